import CKernels
import Foundation
import TensorCore
import Testing

/// A codec density's bits (mixture.c) against the mixture written out in Double with the C
/// library's exponential, at every SIMD level this CPU runs.
@Suite(.serialized) struct MixtureTests {
  static var levels: [SIMDLevel] { SIMDLevel.allCases.filter { $0.rawValue <= SIMDLevel.supported.rawValue } }

  /// `channels` channels of `k` logistics each, as the kernels take them.
  struct Mixture {
    var channels: Int, k: Int, weights: [Double], means: [Double], scales: [Double]

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// Σ −log₂ max(P, 10⁻⁹), written out.
    func bits(_ values: [Float], means: [Double]? = nil) -> Double {
      let means = means ?? self.means
      return values.enumerated().reduce(0.0) { total, item in
        let channel = item.offset % channels, y = Double(item.element)
        let p = (0..<k).reduce(0.0) { sum, j in
          let slot = channel * k + j
          return sum + weights[slot] * (Self.sigmoid((y + 0.5 - means[slot]) / scales[slot]) - Self.sigmoid((y - 0.5 - means[slot]) / scales[slot]))
        }
        return total - log2(max(p, 1e-9))
      }
    }

    func kernelBits(_ values: [Float]) -> Double { aek_mixture_bits(values.count, channels, k, values, weights, means, scales, 1e-9) }

    func kernelGradients(_ values: [Float]) -> (code: [Float], logits: [Double], means: [Double], scales: [Double], bits: Double) {
      var code = [Float](repeating: 0, count: values.count), logits = [Double](repeating: 0, count: channels * k)
      var meanGradient = logits, scaleGradient = logits
      let bits = aek_mixture_bits_backward(values.count, channels, k, values, weights, means, scales, 1e-9, 1 / log(2.0), &code, &logits,
                                           &meanGradient, &scaleGradient)
      return (code, logits, meanGradient, scaleGradient, bits)
    }
  }

  // Two channels of two logistics; values near and far from the locations, integers and not.
  static let two = Mixture(channels: 2, k: 2, weights: [0.3, 0.7, 0.5, 0.5], means: [-1, 2, 0, 0.25], scales: [0.5, 1.5, 0.2, 3])
  // Three channels of three (the codec's), narrow and wide scales; 7 positions, so a last group of 3.
  static let three = Mixture(channels: 3, k: 3, weights: [0.2, 0.5, 0.3, 0.6, 0.3, 0.1, 1.0 / 3, 1.0 / 3, 1.0 / 3],
                             means: [-2, 0, 2, -0.5, 0.1, 4, 0, 0, 1], scales: [0.05, 1, 20, 0.7, 0.3, 2, 1e-3, 500, 1.2])
  static let threeValues: [Float] = [0, 0.4, -3, 2, 40, -0.6, 7.5, 1, -0.49, 0.51, 3, -1500, 1e4, 2.2, -2, 0.2, 1, 1.7, 6, -5, 0.01]

  @Test func bitsAreTheMixturesMassesAtEveryLevel() {
    let values: [Float] = [0, 0.4, -3, 2, 40, -0.6, 7.5, 1]
    for level in Self.levels {
      SIMDLevel.withKernels(at: level) {
        for (mixture, values) in [(Self.two, values), (Self.three, Self.threeValues)] {
          let (kernel, written) = (mixture.kernelBits(values), mixture.bits(values))
          #expect(abs(kernel - written) < 1e-12 * abs(written), "\(level.name): \(kernel) against \(written)")
          // The backward pass returns the same sum, bit for bit (training takes the bits from it).
          #expect(mixture.kernelGradients(values).bits == kernel, "\(level.name)")
        }
        // A value far in a tail of every logistic costs the bound's log₂ 10⁹ bits, not infinity or NaN.
        let far = Self.two.kernelBits([1e6, 0]) - Self.two.kernelBits([0, 0]) + Self.two.bits([0])
        #expect(abs(far - log2(1e9)) < 1e-9, "\(level.name): \(far)")
      }
    }
  }

  @Test func eachValuesBitsFromCertaintyToTheBoundAtEveryLevel() {
    // One logistic of scale 1: values from its centre out to its tail give probabilities from
    // 0.245 down to under 10⁻⁹ (the bound), mantissas above and below √2 among them; each value's
    // bits alone, so the kernel's log₂ of every lane is checked, not a sum. And a narrow logistic
    // (scale 10⁻³) gives a value at its centre probability 1 − 10⁻²¹⁷, zero bits.
    let one = Mixture(channels: 1, k: 1, weights: [1], means: [0], scales: [1])
    let narrow = Mixture(channels: 1, k: 1, weights: [1], means: [0], scales: [1e-3])
    for level in Self.levels {
      SIMDLevel.withKernels(at: level) {
        for step in 0..<240 {
          // The written-out mass as 1 − σ(b) − (1 − σ(a)): σ(a) − σ(b) loses digits in the tail.
          let value = Float(step) * 0.0917, y = Double(value)
          let written = -log2(max(Mixture.sigmoid(0.5 - y) - Mixture.sigmoid(-0.5 - y), 1e-9)), kernel = one.kernelBits([value])
          #expect(abs(kernel - written) <= 2e-15 * abs(written), "\(level.name): \(value) costs \(kernel) against \(written)")
        }
        #expect(abs(narrow.kernelBits([0, 0, 0, 0, 0])) < 1e-15, "\(level.name)")
      }
    }
  }

  @Test func gradientsMatchFiniteDifferencesAtEveryLevel() {
    // Where the bound does not hold (past it, they pass on as if it did not, by design).
    let inner: [Float] = [0, 0.4, -3, 2, 1.5, -0.6, 7.5, 1]
    var first: (code: [Float], logits: [Double], means: [Double], scales: [Double], bits: Double)?
    for level in Self.levels {
      SIMDLevel.withKernels(at: level) {
        let mixture = Self.two
        let gradients = mixture.kernelGradients(inner)
        // ∂bits/∂ỹ and ∂bits/∂μ by central differences (the kernel's g is 1/ln 2 for an upstream 1).
        for index in [0, 1, 3, 5] {
          var up = inner, down = inner
          up[index] += 1e-2
          down[index] -= 1e-2
          let numeric = (mixture.bits(up) - mixture.bits(down)) / 2e-2
          #expect(abs(Double(gradients.code[index]) - numeric) < 2e-2 * max(1, abs(numeric)), "value \(index), \(level.name)")
        }
        for slot in 0..<4 {
          var up = mixture.means, down = mixture.means
          up[slot] += 1e-4
          down[slot] -= 1e-4
          let numeric = (mixture.bits(inner, means: up) - mixture.bits(inner, means: down)) / 2e-4
          #expect(abs(gradients.means[slot] - numeric) < 1e-3 * max(1, abs(numeric)), "mean \(slot), \(level.name)")
        }
        // Every level gives the same gradients to 1e-12 (their sums' orders and exponentials differ only in rounding).
        if let first {
          for (a, b) in zip(first.means + first.scales + first.logits, gradients.means + gradients.scales + gradients.logits) {
            #expect(abs(a - b) <= 1e-12 * max(1, abs(a)), "\(level.name)")
          }
          #expect(zip(first.code, gradients.code).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($0)) }, "\(level.name)")
        } else {
          first = gradients
        }
      }
    }
  }

  @Test func gradientsAreTheWrittenOutOnesForEveryValueAndSlot() {
    // Three channels of 7 positions: each channel's last group of four holds three values.
    let mixture = Self.three, values = Self.threeValues, g = 1 / log(2.0)
    var code = [Double](repeating: 0, count: values.count), logits = [Double](repeating: 0, count: 9)
    var means = logits, scales = logits
    for (index, value) in values.enumerated() {
      let channel = index % 3, y = Double(value), slots = (channel * 3)..<(channel * 3 + 3)
      let parts = slots.map { slot -> (above: Double, below: Double, mass: Double, da: Double, db: Double) in
        let (a, b) = ((y + 0.5 - mixture.means[slot]) / mixture.scales[slot], (y - 0.5 - mixture.means[slot]) / mixture.scales[slot])
        let (sa, sb) = (Mixture.sigmoid(a), Mixture.sigmoid(b))
        return (a, b, max(sa - sb, 0), sa * (1 - sa), sb * (1 - sb))
      }
      let p = zip(slots, parts).reduce(0.0) { $0 + mixture.weights[$1.0] * $1.1.mass }
      let factor = -g / max(p, 1e-9)
      for (slot, part) in zip(slots, parts) {
        let (w, slope) = (mixture.weights[slot], (part.da - part.db) / mixture.scales[slot])
        code[index] += factor * w * slope
        means[slot] -= factor * w * slope
        scales[slot] -= factor * w * (part.da * part.above - part.db * part.below)
        logits[slot] += factor * w * (part.mass - p)
      }
    }
    for level in Self.levels {
      SIMDLevel.withKernels(at: level) {
        let kernel = mixture.kernelGradients(values)
        for index in values.indices {
          #expect(abs(Double(kernel.code[index]) - code[index]) <= 1e-5 * max(1e-3, abs(code[index])), "value \(index), \(level.name)")
        }
        for slot in 0..<9 {
          for (name, got, expected) in [("mean", kernel.means, means), ("scale", kernel.scales, scales), ("logit", kernel.logits, logits)] {
            #expect(abs(got[slot] - expected[slot]) <= 1e-7 * max(1, abs(expected[slot])), "\(name) \(slot), \(level.name)")
          }
        }
      }
    }
  }
}
