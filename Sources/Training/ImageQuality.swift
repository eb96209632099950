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
    precondition(image.count == height * width * channels && reference.count == image.count, "SSIM of mismatched images")
    let size = min(ssimWindow.size, height, width)
    let weights = gaussian(size: size, sigma: ssimWindow.sigma)
    let (c1, c2) = (0.01 * 0.01, 0.03 * 0.03)
    let outH = height - size + 1, outW = width - size + 1
    // Five maps filtered separably: x, y, x², y², xy.
    var rows = [Double](repeating: 0, count: 5 * height * outW)
    var total = 0.0
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
      var channelTotal = 0.0
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
          channelTotal += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
        }
      }
      total += channelTotal / Double(outH * outW)
    }
    return total / Double(channels)
  }

  /// Normalized 1-D Gaussian weights.
  static func gaussian(size: Int, sigma: Double) -> [Double] {
    let center = Double(size - 1) / 2
    let raw = (0..<size).map { exp(-pow(Double($0) - center, 2) / (2 * sigma * sigma)) }
    let sum = raw.reduce(0, +)
    return raw.map { $0 / sum }
  }
}
