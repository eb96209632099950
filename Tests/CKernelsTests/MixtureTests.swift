import CKernels
import Foundation
import Testing

/// A codec density's bits (mixture.c) against the mixture written out in Double.
@Suite struct MixtureTests {
  @Test func bitsAreTheMixturesMassesAndGradientsMatchFiniteDifferences() {
    // Two channels of two logistics; values near and far from the locations, integers and not.
    let weights: [Double] = [0.3, 0.7, 0.5, 0.5], means: [Double] = [-1, 2, 0, 0.25], scales: [Double] = [0.5, 1.5, 0.2, 3]
    let values: [Float] = [0, 0.4, -3, 2, 40, -0.6, 7.5, 1]
    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    func bits(_ values: [Float], means: [Double]) -> Double {
      values.enumerated().reduce(0.0) { total, item in
        let channel = item.offset % 2, y = Double(item.element)
        let p = (0..<2).reduce(0.0) { sum, j in
          let slot = channel * 2 + j
          return sum + weights[slot] * (sigmoid((y + 0.5 - means[slot]) / scales[slot]) - sigmoid((y - 0.5 - means[slot]) / scales[slot]))
        }
        return total - log2(max(p, 1e-9))
      }
    }
    let kernel = aek_mixture_bits(values.count, 2, 2, values, weights, means, scales, 1e-9)
    #expect(abs(kernel - bits(values, means: means)) < 1e-6 * abs(kernel))
    // Gradients where the bound does not hold (past it, they pass on as if it did not, by design).
    let inner: [Float] = [0, 0.4, -3, 2, 1.5, -0.6, 7.5, 1]
    var code = [Float](repeating: 0, count: inner.count), logits = [Double](repeating: 0, count: 4)
    var meanGradient = logits, scaleGradient = logits
    aek_mixture_bits_backward(inner.count, 2, 2, inner, weights, means, scales, 1e-9, 1 / log(2.0), &code, &logits, &meanGradient, &scaleGradient)
    // ∂bits/∂ỹ and ∂bits/∂μ by central differences (the kernel's g is 1/ln 2 for an upstream 1).
    for index in [0, 1, 3, 5] {
      var up = inner, down = inner
      up[index] += 1e-2
      down[index] -= 1e-2
      let numeric = (bits(up, means: means) - bits(down, means: means)) / 2e-2
      #expect(abs(Double(code[index]) - numeric) < 2e-2 * max(1, abs(numeric)), "value \(index)")
    }
    for slot in 0..<4 {
      var up = means, down = means
      up[slot] += 1e-4
      down[slot] -= 1e-4
      let numeric = (bits(inner, means: up) - bits(inner, means: down)) / 2e-4
      #expect(abs(meanGradient[slot] - numeric) < 1e-3 * max(1, abs(numeric)), "mean \(slot)")
    }
  }
}
