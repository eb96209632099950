import CKernels
import Foundation
import TensorCore
import TestSupport
import Testing

/// The exact kernels (exact.c): accurate, and computing exactly their definition's sequence of
/// rounded operations, whatever the blocking.
@Suite struct ExactTests {
  @Test func exponentialIsWithinAFewUlps() {
    var worst = 0.0
    for step in -8000...8000 {
      let x = Float(step) / 100
      let relative = abs(Double(aek_exact_exp(x)) - Foundation.exp(Double(x))) / Foundation.exp(Double(x))
      worst = max(worst, relative)
    }
    #expect(worst < 5e-7, "worst relative error \(worst)")
    #expect(aek_exact_exp(0) == 1)
    #expect(aek_exact_exp(-200) < 2e-38 && aek_exact_exp(-200) >= 0)
    #expect(aek_exact_exp(200).isFinite)
  }

  @Test func sigmoidAndTanhAreWithinRounding() {
    for step in -2000...2000 {
      let x = Double(step) / 100
      #expect(abs(Double(aek_exact_sigmoid(Float(x))) - 1 / (1 + Foundation.exp(-x))) < 2e-7)
      #expect(abs(Double(aek_exact_tanh(Float(x))) - Foundation.tanh(x)) < 5e-7)
    }
  }

  /// `bias + Σ x·w` in the kernel's order, one rounded operation at a time (Swift does not fuse).
  func definition(_ x: [Float], _ w: [Float], _ bias: [Float]?, rows: Int, inputs: Int, outputs: Int) -> [Float] {
    var y = [Float](repeating: 0, count: rows * outputs)
    for r in 0..<rows {
      for j in 0..<outputs {
        var sum: Float = 0
        for k in 0..<inputs {
          let product = x[r * inputs + k] * w[k * outputs + j]
          sum = sum + product
        }
        y[r * outputs + j] = sum + (bias?[j] ?? 0)
      }
    }
    return y
  }

  @Test(arguments: [(1, 3, 1), (2, 16, 16), (5, 37, 35), (4, 64, 48), (3, 7, 17)])
  func affineIsItsDefinitionBitForBit(rows: Int, inputs: Int, outputs: Int) {
    let x = randomTensor([rows, inputs], seed: 1).scalars, w = randomTensor([inputs, outputs], seed: 2).scalars
    let bias = randomTensor([outputs], seed: 3).scalars
    for withBias in [true, false] {
      var y = [Float](repeating: .nan, count: rows * outputs)
      aek_exact_affine(rows, inputs, outputs, x, inputs, w, withBias ? bias : nil, &y, outputs)
      let expected = definition(x, w, withBias ? bias : nil, rows: rows, inputs: inputs, outputs: outputs)
      #expect(y.map(\.bitPattern) == expected.map(\.bitPattern))
      // One row at a time (the edge path) gives the same bits as rows in blocks.
      for r in 0..<rows {
        var row = [Float](repeating: .nan, count: outputs)
        Array(x[(r * inputs)..<((r + 1) * inputs)]).withUnsafeBufferPointer { xr in
          aek_exact_affine(1, inputs, outputs, xr.baseAddress!, inputs, w, withBias ? bias : nil, &row, outputs)
        }
        #expect(row.map(\.bitPattern) == Array(y[(r * outputs)..<((r + 1) * outputs)]).map(\.bitPattern))
      }
    }
    // Every SIMD level this CPU runs gives the same bits (the AVX2 variant's wider blocks included).
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      var z = [Float](repeating: .nan, count: rows * outputs)
      SIMDLevel.withKernels(at: level) { aek_exact_affine(rows, inputs, outputs, x, inputs, w, bias, &z, outputs) }
      #expect(z.map(\.bitPattern) == definition(x, w, bias, rows: rows, inputs: inputs, outputs: outputs).map(\.bitPattern), "at \(level)")
    }
    // Strided rows: every other row of a wider matrix.
    let wide = randomTensor([rows, 2 * inputs], seed: 5).scalars
    var y = [Float](repeating: 0, count: rows * (outputs + 3))
    aek_exact_affine(rows, inputs, outputs, wide, 2 * inputs, w, bias, &y, outputs + 3)
    let packed = (0..<rows).flatMap { Array(wide[($0 * 2 * inputs)..<($0 * 2 * inputs + inputs)]) }
    let expected = definition(packed, w, bias, rows: rows, inputs: inputs, outputs: outputs)
    for r in 0..<rows {
      #expect(Array(y[(r * (outputs + 3))..<(r * (outputs + 3) + outputs)]) == Array(expected[(r * outputs)..<((r + 1) * outputs)]))
    }
  }

  @Test func frequenciesAreTheSoftmaxInIntegers() {
    var frequencies = [UInt32](repeating: 0, count: 256)
    // Equal logits: 256 each of 65,536.
    #expect(aek_exact_frequencies(256, [Float](repeating: 3, count: 256), 1 << 16, &frequencies) == 0)
    #expect(frequencies.allSatisfy { $0 == 256 })
    // Random and extreme logits: each at least 1, summing to the total, near the probabilities.
    for seed in 1...20 {
      var logits = randomTensor([256], in: -10..<10, seed: UInt64(seed)).scalars
      if seed % 4 == 0 { logits[17] = 80 }  // one symbol takes almost everything
      #expect(aek_exact_frequencies(256, logits, 1 << 16, &frequencies) == 0)
      #expect(frequencies.reduce(0, +) == 1 << 16 && frequencies.allSatisfy { $0 >= 1 })
      // 1 + ⌊p·(total − 256)⌋ each; the likeliest also takes what the floors left (under 256).
      let largest = logits.max()!, sum = logits.reduce(0.0) { $0 + Foundation.exp(Double($1 - largest)) }
      let likeliest = logits.firstIndex(of: largest)!
      for (index, (logit, frequency)) in zip(logits, frequencies).enumerated() {
        let share = Foundation.exp(Double(logit - largest)) / sum * Double((1 << 16) - 256)
        let extra = Double(frequency) - 1 - share
        #expect(index == likeliest ? (extra > -1 && extra < 257) : abs(extra) < 1 + share * 1e-5)
      }
    }
    var logits = [Float](repeating: 0, count: 256)
    logits[3] = .nan
    #expect(aek_exact_frequencies(256, logits, 1 << 16, &frequencies) == -1)
    logits[3] = .infinity
    #expect(aek_exact_frequencies(256, logits, 1 << 16, &frequencies) == -1)
  }

  @Test func cellsFollowKerasEquations() {
    let units = 3
    let a = randomTensor([2, 3 * units], seed: 7).scalars, m = randomTensor([2, 3 * units], seed: 8).scalars
    var h = randomTensor([2, units], seed: 9).scalars
    let previous = h
    aek_exact_gru_step(2, units, a, m, &h)
    func sigmoid(_ x: Float) -> Double { 1 / (1 + Foundation.exp(-Double(x))) }
    for r in 0..<2 {
      for u in 0..<units {
        let (i, j) = (r * 3 * units, r * units + u)
        let z = sigmoid(a[i + u] + m[i + u]), reset = sigmoid(a[i + units + u] + m[i + units + u])
        let candidate = Foundation.tanh(Double(a[i + 2 * units + u]) + reset * Double(m[i + 2 * units + u]))
        #expect(abs(Double(h[j]) - (z * Double(previous[j]) + (1 - z) * candidate)) < 1e-6)
      }
    }
    let gates = randomTensor([1, 4 * units], in: -2..<2, seed: 10).scalars
    var c = randomTensor([1, units], seed: 11).scalars, hidden = [Float](repeating: 0, count: units)
    let cell = c
    aek_exact_lstm_step(1, units, gates, &c, &hidden)
    for u in 0..<units {
      let expectedCell = sigmoid(gates[units + u]) * Double(cell[u]) + sigmoid(gates[u]) * Foundation.tanh(Double(gates[2 * units + u]))
      #expect(abs(Double(c[u]) - expectedCell) < 1e-6)
      #expect(abs(Double(hidden[u]) - sigmoid(gates[3 * units + u]) * Foundation.tanh(expectedCell)) < 1e-6)
    }
  }
}
