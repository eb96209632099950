import Foundation
import NN
import Testing
import Training

@Suite struct AnomalyScorerTests {
  /// The scores of examples laid one after another.
  func scores(_ scorer: AnomalyScorer, _ input: [Float], _ output: [Float]) -> [Float] {
    let rows = input.count / scorer.size
    var result = [Float](repeating: .nan, count: rows)
    input.withUnsafeBufferPointer { x in
      output.withUnsafeBufferPointer { y in
        result.withUnsafeMutableBufferPointer { scorer.scores(input: x.baseAddress!, output: y.baseAddress!, rows: rows, into: $0.baseAddress!) }
      }
    }
    return result
  }

  /// A direct 2-D convolution with zero padding: the reference for the separable kernel.
  func blurred(_ plane: [Float], height: Int, width: Int, sigma: Float) -> [Float] {
    let radius = Int((3 * sigma).rounded(.up))
    let weights = (-radius...radius).map { Foundation.exp(-Float($0 * $0) / (2 * sigma * sigma)) }
    let total = weights.reduce(0, +)
    var out = [Float](repeating: 0, count: plane.count)
    for i in 0..<height {
      for j in 0..<width {
        var sum: Double = 0
        for di in -radius...radius {
          for dj in -radius...radius where (0..<height).contains(i + di) && (0..<width).contains(j + dj) {
            sum += Double(weights[di + radius] / total * weights[dj + radius] / total * plane[(i + di) * width + j + dj])
          }
        }
        out[i * width + j] = Float(sum)
      }
    }
    return out
  }

  @Test func meanSquaredAndAbsoluteErrorsPerValue() throws {
    let table = try AnomalyScorer(kind: .mse, loss: .binaryCrossEntropy, exampleShape: [3])
    #expect(table.smoothing == 0)  // tables are not smoothed
    #expect(scores(table, [0, 1, 0.5, 1, 1, 1], [0.5, 0.5, 0.5, 1, 1, 0]) == [Float(0.5 / 3), Float(1.0 / 3)])
    let absolute = try AnomalyScorer(kind: .mae, loss: .binaryCrossEntropy, exampleShape: [3])
    #expect(scores(absolute, [0, 1, 0.5], [0.5, 0.5, 0.5]) == [Float(1.0 / 3)])
    // The model's loss: BCE at p = 0.5 is log 2 for every target; MSE for a model trained with it.
    let bce = try AnomalyScorer(kind: .loss, loss: .binaryCrossEntropy, exampleShape: [3])
    #expect(abs(scores(bce, [0, 1, 0.5], [0.5, 0.5, 0.5])[0] - Float(log(2.0))) < 1e-6)
    let squared = try AnomalyScorer(kind: .loss, loss: .meanSquaredError, exampleShape: [3])
    #expect(scores(squared, [0, 1, 0.5], [0.5, 0.5, 0.5]) == [Float(0.5 / 3)])
    // Long rows take the eight-lane path and its tail.
    let long = try AnomalyScorer(kind: .mse, loss: .meanSquaredError, exampleShape: [19])
    let x = (0..<19).map { Float($0) / 19 }, y = [Float](repeating: 0.25, count: 19)
    let expected = zip(x, y).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / 19
    #expect(abs(Double(scores(long, x, y)[0]) - expected) < 1e-7)
  }

  @Test func imagesAreSmoothedByOnePixelByDefault() throws {
    #expect(AnomalyScorer.defaultSmoothing(for: .mse, exampleShape: [28, 28]) == 1)
    #expect(AnomalyScorer.defaultSmoothing(for: .mae, exampleShape: [32, 32, 3]) == 1)
    #expect(AnomalyScorer.defaultSmoothing(for: .mse, exampleShape: [8, 8]) == 0)
    #expect(AnomalyScorer.defaultSmoothing(for: .loss, exampleShape: [28, 28]) == 0)
    #expect(AnomalyScorer.defaultSmoothing(for: .mse, exampleShape: [784]) == 0)
  }

  @Test func smoothedScoresMatchADirectConvolution() throws {
    // Two RGB 5×7 examples: each channel plane blurred on its own, zero outside the image.
    let (height, width, channels) = (5, 7, 3)
    var generator = SystemRandomNumberGenerator()
    let size = height * width * channels
    let input = (0..<(2 * size)).map { _ in Float.random(in: 0...1, using: &generator) }
    let output = (0..<(2 * size)).map { _ in Float.random(in: 0...1, using: &generator) }
    // Radii 1 to 4 (unrolled in the kernel) and 8 (its general loop).
    for (kind, sigma) in [(AnomalyScore.mse, Float(1)), (.mae, 0.7), (.mse, 0.3), (.mse, 0.5), (.mae, 1.2), (.mse, 2.5)] {
      let scorer = try AnomalyScorer(kind: kind, smoothing: sigma, loss: .binaryCrossEntropy, exampleShape: [height, width, channels])
      let computed = scores(scorer, input, output)
      for example in 0..<2 {
        var total = 0.0, map = [Float](repeating: 0, count: size)
        for channel in 0..<channels {
          let residual = (0..<(height * width)).map { p in input[example * size + p * channels + channel] - output[example * size + p * channels + channel] }
          let smooth = blurred(residual, height: height, width: width, sigma: sigma)
          for p in smooth.indices {
            map[p * channels + channel] = kind == .mse ? smooth[p] * smooth[p] : abs(smooth[p])
            total += Double(map[p * channels + channel])
          }
        }
        #expect(abs(Double(computed[example]) - total / Double(size)) < 1e-6, "\(kind) σ \(sigma) example \(example)")
        let errors = input[(example * size)...].withUnsafeBufferPointer { x in
          output[(example * size)...].withUnsafeBufferPointer { y in scorer.errorMap(input: x.baseAddress!, output: y.baseAddress!) }
        }
        #expect(zip(errors, map).allSatisfy { abs($0 - $1) < 1e-6 })
      }
    }
  }

  @Test func structuralDissimilarity() throws {
    let scorer = try AnomalyScorer(kind: .ssim, loss: .binaryCrossEntropy, exampleShape: [6, 6])
    let image = (0..<36).map { Float($0 % 7) / 7 }
    #expect(abs(scores(scorer, image, image)[0]) < 1e-6)  // identical: SSIM 1
    // Flat images a and b: no variance, so SSIM = (2ab + C₁) / (a² + b² + C₁) at every pixel.
    let (a, b): (Float, Float) = (0.8, 0.2)
    let expected = 1 - (2 * a * b + 1e-4) / (a * a + b * b + 1e-4)
    // (Float rounding of E[x²] − μ² leaves variances of ~1e-8 against C₂ = 9e-4.)
    #expect(abs(scores(scorer, [Float](repeating: a, count: 36), [Float](repeating: b, count: 36))[0] - expected) < 1e-4)
  }

  @Test func structuralDissimilarityMatchesTheDefinition() throws {
    // RGB 7×9: at each value, local statistics under the 11×11 Gaussian window (σ 1.5) over the
    // part of it inside the image, then 1 − SSIM.
    let (height, width, channels) = (7, 9, 3)
    let size = height * width * channels
    var generator = SystemRandomNumberGenerator()
    let x = (0..<size).map { _ in Float.random(in: 0...1, using: &generator) }
    let y = x.map { min(1, max(0, $0 + Float.random(in: -0.3...0.3, using: &generator))) }
    let weights = (-5...5).map { Foundation.exp(-Double($0 * $0) / (2 * 1.5 * 1.5)) }
    var expected = [Double](repeating: 0, count: size)
    for i in 0..<height {
      for j in 0..<width {
        for c in 0..<channels {
          var (mass, sx, sy, sxx, syy, sxy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
          for di in -5...5 {
            for dj in -5...5 where (0..<height).contains(i + di) && (0..<width).contains(j + dj) {
              let w = weights[di + 5] * weights[dj + 5]
              let (a, b) = (Double(x[((i + di) * width + j + dj) * channels + c]), Double(y[((i + di) * width + j + dj) * channels + c]))
              mass += w; sx += w * a; sy += w * b; sxx += w * a * a; syy += w * b * b; sxy += w * a * b
            }
          }
          let (mx, my) = (sx / mass, sy / mass)
          let (vx, vy, cxy) = (sxx / mass - mx * mx, syy / mass - my * my, sxy / mass - mx * my)
          expected[(i * width + j) * channels + c] = 1 - ((2 * mx * my + 1e-4) * (2 * cxy + 9e-4)) / ((mx * mx + my * my + 1e-4) * (vx + vy + 9e-4))
        }
      }
    }
    let scorer = try AnomalyScorer(kind: .ssim, loss: .binaryCrossEntropy, exampleShape: [height, width, channels])
    #expect(abs(Double(scores(scorer, x, y)[0]) - expected.reduce(0, +) / Double(size)) < 1e-4)
    let map = x.withUnsafeBufferPointer { a in y.withUnsafeBufferPointer { b in scorer.errorMap(input: a.baseAddress!, output: b.baseAddress!) } }
    #expect(zip(map, expected).allSatisfy { abs(Double($0) - $1) < 1e-3 })
  }

  @Test func scoresThatDoNotApplyAreRefused() {
    #expect(throws: DetectionError("--smoothing applies to images; these examples are rows of 13 values: give --smoothing 0")) {
      try AnomalyScorer(kind: .mse, smoothing: 1, loss: .meanSquaredError, exampleShape: [13])
    }
    #expect(throws: DetectionError("--smoothing applies to the mse and mae scores, not ssim; give --smoothing 0")) {
      try AnomalyScorer(kind: .ssim, smoothing: 1, loss: .binaryCrossEntropy, exampleShape: [28, 28])
    }
    #expect(throws: DetectionError("the ssim score compares images; these examples are 13")) {
      try AnomalyScorer(kind: .ssim, loss: .binaryCrossEntropy, exampleShape: [13])
    }
    #expect(throws: DetectionError("--smoothing -1.0: give a standard deviation in pixels from 0 to 16")) {
      try AnomalyScorer(kind: .mse, smoothing: -1, loss: .binaryCrossEntropy, exampleShape: [28, 28])
    }
  }
}
