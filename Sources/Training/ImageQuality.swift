import Foundation

/// Image-quality measures between an image and its reference, intensities in [0, 1].
public enum ImageQuality {
  /// The mean of the squared differences.
  public static func meanSquaredError(_ image: UnsafeBufferPointer<Float>, _ reference: UnsafeBufferPointer<Float>) -> Double {
    precondition(image.count == reference.count && !image.isEmpty, "MSE of \(image.count) against \(reference.count) values")
    var squared = 0.0
    for i in 0..<image.count {
      let d = Double(image[i]) - Double(reference[i])
      squared += d * d
    }
    return squared / Double(image.count)
  }

  /// Peak signal-to-noise ratio in dB for a mean squared error, `10·log10(1 / MSE)`, at most 100 dB
  /// (identical images).
  public static func psnr(meanSquaredError mse: Double) -> Double { mse > 0 ? min(100, 10 * log10(1 / mse)) : 100 }

  /// Peak signal-to-noise ratio in dB of `image` against `reference`.
  public static func psnr(_ image: UnsafeBufferPointer<Float>, _ reference: UnsafeBufferPointer<Float>) -> Double {
    psnr(meanSquaredError: meanSquaredError(image, reference))
  }

  /// The side and standard deviation of SSIM's Gaussian window.
  public static let ssimWindow = (size: 11, sigma: 1.5)

  /// Structural similarity (Wang, Bovik, Sheikh and Simoncelli, 2004) as `tf.image.ssim` computes
  /// it: an 11×11 Gaussian window of σ 1.5 at every position where it fits inside the image,
  /// `K1 = 0.01`, `K2 = 0.03`, dynamic range 1, averaged over positions and then channels.
  /// Images smaller than the window use a window of their size.
  ///
  /// - Parameters: `height`×`width`×`channels` images, stored NHWC (channels innermost).
  public static func ssim(_ image: UnsafeBufferPointer<Float>, _ reference: UnsafeBufferPointer<Float>, height: Int, width: Int,
                          channels: Int) -> Double {
    let parts = ssimParts(image, reference, height: height, width: width, channels: channels)
    return parts.reduce(0) { $0 + $1.ssim } / Double(channels)
  }

  /// Each channel's SSIM and its contrast-structure part `(2σxy + C₂) / (σx² + σy² + C₂)`, each
  /// averaged over the window's positions.
  static func ssimParts(_ image: UnsafeBufferPointer<Float>, _ reference: UnsafeBufferPointer<Float>, height: Int, width: Int,
                        channels: Int) -> [(ssim: Double, contrastStructure: Double)] {
    precondition(image.count == height * width * channels && reference.count == image.count, "SSIM of mismatched images")
    let size = min(ssimWindow.size, height, width)
    let weights = gaussian(size: size, sigma: ssimWindow.sigma)
    let (c1, c2) = (0.01 * 0.01, 0.03 * 0.03)
    let outH = height - size + 1, outW = width - size + 1
    // Five maps filtered separably: x, y, x², y², xy.
    var rows = [Double](repeating: 0, count: 5 * height * outW)
    var parts: [(ssim: Double, contrastStructure: Double)] = []
    for c in 0..<channels {
      for y in 0..<height {
        for ox in 0..<outW {
          var sums = (0.0, 0.0, 0.0, 0.0, 0.0)
          for k in 0..<size {
            let index = (y * width + ox + k) * channels + c
            let (a, b, w) = (Double(image[index]), Double(reference[index]), weights[k])
            sums.0 += w * a
            sums.1 += w * b
            sums.2 += w * a * a
            sums.3 += w * b * b
            sums.4 += w * a * b
          }
          let base = y * outW + ox, plane = height * outW
          (rows[base], rows[plane + base], rows[2 * plane + base], rows[3 * plane + base], rows[4 * plane + base]) = sums
        }
      }
      var ssimTotal = 0.0, csTotal = 0.0
      let plane = height * outW
      for oy in 0..<outH {
        for ox in 0..<outW {
          var m = (0.0, 0.0, 0.0, 0.0, 0.0)
          for k in 0..<size {
            let base = (oy + k) * outW + ox, w = weights[k]
            m.0 += w * rows[base]
            m.1 += w * rows[plane + base]
            m.2 += w * rows[2 * plane + base]
            m.3 += w * rows[3 * plane + base]
            m.4 += w * rows[4 * plane + base]
          }
          let (mx, my) = (m.0, m.1)
          let (vx, vy, cxy) = (m.2 - mx * mx, m.3 - my * my, m.4 - mx * my)
          let cs = (2 * cxy + c2) / (vx + vy + c2)
          ssimTotal += (2 * mx * my + c1) / (mx * mx + my * my + c1) * cs
          csTotal += cs
        }
      }
      parts.append((ssimTotal / Double(outH * outW), csTotal / Double(outH * outW)))
    }
    return parts
  }

  /// The weights of MS-SSIM's five scales (Wang, Simoncelli and Bovik, 2003).
  public static let multiscaleWeights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]
  /// The smallest side MS-SSIM takes: the window must fit at the fifth scale (11 · 2⁴).
  public static let multiscaleMinimumSide = 176

  /// Multi-scale SSIM as `tf.image.ssim_multiscale` computes it: SSIM's contrast-structure part at
  /// four scales and the whole SSIM at the fifth, each clipped at 0, raised to its weight and
  /// multiplied, per channel, then averaged over channels; between scales, 2×2 averages (an odd
  /// side first repeats its last row or column). Nil for images under `multiscaleMinimumSide`.
  public static func multiscaleSSIM(_ image: [Float], _ reference: [Float], height: Int, width: Int, channels: Int) -> Double? {
    guard min(height, width) >= multiscaleMinimumSide else { return nil }
    var (a, b, h, w) = (image, reference, height, width)
    var products = [Double](repeating: 1, count: channels)
    for (scale, weight) in multiscaleWeights.enumerated() {
      if scale > 0 {
        b = halved(b, height: h, width: w, channels: channels).values
        (a, h, w) = halved(a, height: h, width: w, channels: channels)
      }
      let parts = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in ssimParts(x, y, height: h, width: w, channels: channels) } }
      for channel in 0..<channels {
        let value = scale == multiscaleWeights.count - 1 ? parts[channel].ssim : parts[channel].contrastStructure
        products[channel] *= pow(max(value, 0), weight)
      }
    }
    return products.reduce(0, +) / Double(channels)
  }

  /// `values` (`height`×`width`×`channels`) averaged over 2×2 blocks, an odd side first grown by
  /// repeating its last row or column.
  static func halved(_ values: [Float], height: Int, width: Int, channels: Int) -> (values: [Float], height: Int, width: Int) {
    let (h, w) = ((height + 1) / 2, (width + 1) / 2)
    var out = [Float](repeating: 0, count: h * w * channels)
    for y in 0..<h {
      for x in 0..<w {
        for c in 0..<channels {
          var sum: Float = 0
          for dy in 0..<2 { for dx in 0..<2 { sum += values[(min(2 * y + dy, height - 1) * width + min(2 * x + dx, width - 1)) * channels + c] } }
          out[(y * w + x) * channels + c] = sum / 4
        }
      }
    }
    return (out, h, w)
  }

  /// Normalized 1-D Gaussian weights.
  static func gaussian(size: Int, sigma: Double) -> [Double] {
    let center = Double(size - 1) / 2
    let raw = (0..<size).map { exp(-pow(Double($0) - center, 2) / (2 * sigma * sigma)) }
    let sum = raw.reduce(0, +)
    return raw.map { $0 / sum }
  }
}
