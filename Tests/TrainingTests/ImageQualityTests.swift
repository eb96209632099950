import Foundation
import Testing
import Training

@Suite struct ImageQualityTests {
  /// The images of the reference values: ((i·multiplier + offset) mod 97) / 96, NHWC.
  func image(_ height: Int, _ width: Int, _ channels: Int, _ multiplier: Int, _ offset: Int) -> [Float] {
    (0..<(height * width * channels)).map { Float(($0 * multiplier + offset) % 97) / 96 }
  }

  @Test(arguments: [
    (12, 12, 1, (37, 5), (53, 11), 0.9189867377281189), (28, 28, 1, (17, 3), (29, 40), 0.9030311703681946),
    (16, 13, 2, (41, 7), (43, 2), 0.8788332343101501),
  ])
  func ssimMatchesTensorFlow(height: Int, width: Int, channels: Int, first: (Int, Int), second: (Int, Int), expected: Double) {
    // Expected: tf.image.ssim(x, 0.7·x + 0.3·y, max_val=1, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03), TensorFlow 2.21.
    let x = image(height, width, channels, first.0, first.1)
    let y = zip(x, image(height, width, channels, second.0, second.1)).map { 0.7 * $0 + 0.3 * $1 }
    let ssim = x.withUnsafeBufferPointer { a in
      y.withUnsafeBufferPointer { b in ImageQuality.ssim(a, b, height: height, width: width, channels: channels) }
    }
    #expect(abs(ssim - expected) < 1e-5)
  }

  @Test func identicalImagesAreHundredDecibelsAndSSIMOne() {
    let x = image(28, 28, 1, 17, 3)
    x.withUnsafeBufferPointer { a in
      #expect(ImageQuality.psnr(a, a) == 100)
      #expect(abs(ImageQuality.ssim(a, a, height: 28, width: 28, channels: 1) - 1) < 1e-9)
    }
  }

  @Test func psnrIsTenLogOfOneOverTheMeanSquaredError() {
    let a: [Float] = [0, 0.5, 1, 0.25], b: [Float] = [0.1, 0.5, 0.9, 0.25]  // MSE = (0.01 + 0 + 0.01 + 0) / 4 = 0.005
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        #expect(abs(ImageQuality.meanSquaredError(a, b) - 0.005) < 1e-7)  // Float inputs: 0.1 is not exact
        #expect(abs(ImageQuality.psnr(a, b) - 23.0103) < 1e-3)
      }
    }
  }

  @Test func multiscaleSSIMMatchesTensorFlows() throws {
    // References from tf.image.ssim_multiscale and tf.image.ssim (TensorFlow 2.21, max_val 1) on
    // the same two images: a pattern and the pattern plus a clipped ripple, gray and RGB, with odd
    // sides at some scales.
    func pair(_ h: Int, _ w: Int, _ c: Int) -> ([Float], [Float]) {
      var a: [Float] = [], b: [Float] = []
      for y in 0..<h {
        for x in 0..<w {
          for ch in 0..<c {
            let wave: Double = sin(Double(x) / 7 + Double(ch)) * cos(Double(y) / 11)
            let value: Double = 0.5 + 0.4 * wave
            let ripple: Double = 0.1 * sin(Double(x * y) / 17 + Double(ch))
            a.append(Float(value))
            b.append(Float(min(1, max(0, value + ripple))))
          }
        }
      }
      return (a, b)
    }
    for (h, w, c, multiscale, single) in [(200, 180, 1, 0.9527642726898193, 0.5064599514007568), (177, 190, 3, 0.9533413052558899, 0.5109874606132507)] {
      let (a, b) = pair(h, w, c)
      let found = try #require(ImageQuality.multiscaleSSIM(a, b, height: h, width: w, channels: c))
      #expect(abs(found - multiscale) < 2e-4, "\(h)×\(w)×\(c): \(found) against \(multiscale)")
      let ssim = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { ImageQuality.ssim(x, $0, height: h, width: w, channels: c) } }
      #expect(abs(ssim - single) < 2e-4)
      #expect(ImageQuality.multiscaleSSIM(a, a, height: h, width: w, channels: c).map { abs($0 - 1) < 1e-9 } == true)
    }
    #expect(ImageQuality.multiscaleSSIM([Float](repeating: 0, count: 175 * 200), [Float](repeating: 0, count: 175 * 200), height: 175, width: 200, channels: 1) == nil)
  }
}
