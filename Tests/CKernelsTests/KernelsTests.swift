import CKernels
import Foundation
import TensorCore
import TestSupport
import Testing

/// The element-wise kernels against libm and plain Swift, at every SIMD level this CPU runs
/// (on an AVX-512 machine that is three compiled copies of each kernel).
@Suite(.serialized) struct KernelsTests {
  /// Inputs spanning the float range: dense near 0, wide tails, and the overflow edges.
  static let wideInputs: [Float] = {
    var values: [Float] = stride(from: -10, through: 10, by: 0.01).map { Float($0) }
    values += stride(from: -104, through: 90, by: 0.37).map { Float($0) }
    values += [0, -0, 1e-30, -1e-30, 88.0, 88.5, 88.72, 88.73, -87.3, -87.4, 1e-7, -1e-7, 20, -20, 40, -40]
    return values
  }()

  static var levels: [SIMDLevel] { SIMDLevel.allCases.filter { $0.rawValue <= SIMDLevel.supported.rawValue } }

  func forEachLevel(_ body: (SIMDLevel) -> Void) {
    for level in Self.levels {
      SIMDLevel.withKernels(at: level) {
        #expect(SIMDLevel.current == level)
        body(level)
      }
    }
  }

  func apply(_ kernel: (Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void, _ x: [Float]) -> [Float] {
    var y = [Float](repeating: .nan, count: x.count)
    x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer { kernel(xs.count, xs.baseAddress, $0.baseAddress) } }
    return y
  }

  @Test func expMatchesLibmWithinTwoUlpAndHandlesTheEdges() {
    forEachLevel { level in
      let x = Self.wideInputs.filter { $0 > -87.33 }
      expectClose(apply(aek_exp, x), x.map { Foundation.exp($0) }, rtol: 3e-7, atol: 0, "exp at \(level.name)")
      let edges = apply(aek_exp, [89, 1000, .infinity, -88, -1000, -.infinity, .nan])
      #expect(edges[0] == .infinity && edges[1] == .infinity && edges[2] == .infinity, "\(level.name)")
      #expect(edges[3] == 0 && edges[4] == 0 && edges[5] == 0, "\(level.name)")
      #expect(edges[6].isNaN, "\(level.name)")
    }
  }

  @Test func logMatchesLibmIncludingDenormalsAndSpecialValues() {
    forEachLevel { level in
      var x: [Float] = stride(from: 0.001, through: 50, by: 0.013).map { Float($0) }
      x += [1, 2, 0.5, 1e-30, Float(bitPattern: 0x0001_1C2C) /* 1e-40, subnormal */, Float.leastNonzeroMagnitude, Float.greatestFiniteMagnitude, 1 + 1e-7]
      expectClose(apply(aek_log, x), x.map { Foundation.log($0) }, rtol: 3e-7, atol: 1e-7, "log at \(level.name)")
      let special = apply(aek_log, [0, -1, .infinity, .nan])
      #expect(special[0] == -.infinity && special[1].isNaN && special[2] == .infinity && special[3].isNaN)
    }
  }

  @Test func sigmoidTanhAndSoftplusMatchTheirDefinitions() {
    forEachLevel { level in
      let x = Self.wideInputs
      let sigmoid = x.map { Double($0) }.map { 1 / (1 + Foundation.exp(-$0)) }.map(Float.init)
      expectClose(apply(aek_sigmoid, x), sigmoid, rtol: 1e-6, atol: 1e-30, "sigmoid at \(level.name)")
      expectClose(apply(aek_tanh, x), x.map { Foundation.tanh($0) }, rtol: 2e-6, atol: 1e-30, "tanh at \(level.name)")
      let softplus = x.map { Double($0) }.map { Swift.max($0, 0) + Foundation.log1p(Foundation.exp(-Swift.abs($0))) }.map(Float.init)
      expectClose(apply(aek_softplus, x), softplus, rtol: 1e-6, atol: 1e-30, "softplus at \(level.name)")
      #expect(apply(aek_sigmoid, [.nan])[0].isNaN)
      #expect(apply(aek_tanh, [.nan])[0].isNaN)
    }
  }

  @Test func binaryCrossEntropyOnLogitsIsExactWhereTheNaiveFormUnderflows() {
    forEachLevel { level in
      let logits: [Float] = [-100, -30, -5, -0.5, 0, 0.5, 5, 30, 100]
      let targets: [Float] = [0, 1, 0.3, 1, 0.5, 0, 0.7, 0, 1]
      let expected = zip(logits, targets).map { x, t -> Double in
        let x = Double(x), t = Double(t)
        return Swift.max(x, 0) - x * t + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
      }
      let total = aek_bce_logits(logits.count, logits, targets)
      #expect(Swift.abs(total - expected.reduce(0, +)) < 1e-4 * expected.reduce(0, +), "\(level.name)")
      // Per-row sums agree with the total.
      var rows = [Float](repeating: 0, count: 3)
      aek_bce_logits_rows(3, 3, logits, targets, &rows)
      #expect(Swift.abs(Double(rows.reduce(0, +)) - total) < 1e-3)
    }
  }

  @Test func fusedCrossEntropyEqualsTheSeparateValueAndGradient() {
    forEachLevel { level in
      let n = 1000
      let logits = (0..<n).map { Float($0 % 97) / 4 - 12 }
      let targets = (0..<n).map { Float($0 % 13) / 12 }
      var fusedGradient = [Float](repeating: 0, count: n), gradient = [Float](repeating: 0, count: n)
      let fused = aek_bce_logits_fused(n, 0.5, logits, targets, &fusedGradient)
      aek_bce_logits_backward(n, 0.5, logits, targets, &gradient)
      #expect(abs(fused - aek_bce_logits(n, logits, targets)) < 1e-6 * fused, "\(level.name)")
      expectClose(fusedGradient, gradient, rtol: 1e-6, atol: 1e-7, "\(level.name)")
    }
  }

  @Test func nanInTheLogitsMakesTheLossNaN() {
    // Training stops on a NaN loss; the loss must not swallow a NaN output.
    forEachLevel { level in
      for position in 0..<9 {
        var logits = [Float](repeating: 0.5, count: 9)
        logits[position] = .nan
        let targets: [Float] = [0, 1, 0.5, 0, 1, 0.5, 0, 1, 0.5]
        var gradient = [Float](repeating: 0, count: 9)
        #expect(aek_bce_logits(9, logits, targets).isNaN, "\(level.name)")
        #expect(aek_bce_logits_fused(9, 1, logits, targets, &gradient).isNaN, "\(level.name)")
        #expect(gradient[position].isNaN)
      }
      #expect(apply(aek_softplus, [.nan, 1])[0].isNaN)
    }
  }

  @Test func sumsAccumulateAccuratelyOverAMillionElements() {
    forEachLevel { level in
      let x = [Float](repeating: 0.1, count: 1_000_000)
      #expect(Swift.abs(aek_sum(x.count, x) - 100_000) < 0.05, "\(level.name)")
      #expect(Swift.abs(aek_sum_squares(x.count, x) - 10_000) < 0.01, "\(level.name)")
    }
  }

  @Test func normalsHaveTheRequestedMeanAndSpread() {
    forEachLevel { level in
      var generator = SplitMix64(seed: 7)
      let x = Tensor.randomNormal(shape: [200_001], mean: 2, standardDeviation: 3, using: &generator)
      let values = x.scalars
      let mean = values.reduce(0, +) / Float(values.count)
      let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)
      #expect(Swift.abs(mean - 2) < 0.03, "\(level.name)")
      #expect(Swift.abs(variance.squareRoot() - 3) < 0.03, "\(level.name)")
      // Tails: about 4.55% beyond two standard deviations.
      let tail = Float(values.filter { Swift.abs($0 - 2) > 6 }.count) / Float(values.count)
      #expect(Swift.abs(tail - 0.0455) < 0.003, "\(level.name)")
    }
  }

  @Test func everyLevelComputesTheSameMapsAsBaseline() {
    let x = Self.wideInputs
    let reference = SIMDLevel.withKernels(at: .baseline) {
      [apply(aek_exp, x), apply(aek_sigmoid, x), apply(aek_tanh, x), apply(aek_relu, x)]
    }
    forEachLevel { level in
      let results = [apply(aek_exp, x), apply(aek_sigmoid, x), apply(aek_tanh, x), apply(aek_relu, x)]
      for (r, e) in zip(results, reference) { expectClose(r, e, rtol: 2e-7, atol: 0, "\(level.name) vs baseline") }
    }
  }

  @Test func optimizerKernelsFollowKerasFormulas() {
    // One Adam step from m = v = 0 moves each parameter by alpha * sign(g) (for |g| >> eps).
    var param: [Float] = [1, 1], m: [Float] = [0, 0], v: [Float] = [0, 0]
    aek_adam_update(2, 0.1, 0.9, 0.999, 1e-7, [0.5, -2], &m, &v, &param)
    expectClose(m, [0.05, -0.2])
    expectClose(v, [0.00025, 0.004], rtol: 1e-4)
    // alpha * m / (sqrt(v) + eps) = 0.1 * 0.05 / 0.0158114 = 0.316228
    expectClose(param, [1 - 0.316228, 1 + 0.316228], rtol: 1e-5)
  }

  /// Column sums (a bias's gradient) for every column count the kernel treats apart (lanes that
  /// divide 16, multiples of 16, the rest), against sums in doubles, added to what `out` held.
  @Test func columnSumsAddEachColumnToWhatTheOutputHeld() {
    var generator = SplitMix64(seed: 5)
    forEachLevel { level in
      for cols in [1, 2, 3, 4, 5, 8, 16, 24, 32, 48, 64] {
        for rows in [1, 7, 33, 250] {
          let x = (0..<(rows * cols)).map { _ in Float.random(in: -1...1, using: &generator) }
          var out = (0..<cols).map { Float($0) }
          aek_add_column_sums(rows, cols, x, &out)
          let expected = (0..<cols).map { c in Float(Double(c) + (0..<rows).reduce(0.0) { $0 + Double(x[$1 * cols + c]) }) }
          expectClose(out, expected, rtol: 1e-5, atol: 1e-5, "\(rows) × \(cols) at \(level.name)")
        }
      }
    }
  }
}

