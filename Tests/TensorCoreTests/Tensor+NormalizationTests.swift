import TensorCore
import TestSupport
import Testing

@Suite struct TensorNormalizationTests {
  static var levels: [SIMDLevel] { SIMDLevel.allCases.filter { $0.rawValue <= SIMDLevel.supported.rawValue } }

  // 37 values: whole vectors and a remainder at every level.
  let x = randomTensor([37], seed: 21)
  let squaredNorms = randomTensor([37], in: 0.2..<3, seed: 22)
  let upstream = randomTensor([37], seed: 23)

  @Test(arguments: levels) func theForwardPassMatchesItsDefinition(level: SIMDLevel) {
    // 37 rows of 3 channels: n_i = √(β_i + Σ_j γ_ji x_j²), written out.
    let rows = randomTensor([37, 3], seed: 24), beta = randomTensor([3], in: 0.5..<1.5, seed: 25), gamma = randomTensor([3, 3], in: 0..<0.5, seed: 26)
    let (v, b, c) = (rows.scalars, beta.scalars, gamma.scalars)
    let expectedNorms = (0..<(37 * 3)).map { index -> Float in
      let (row, i) = (index / 3, index % 3)
      return (b[i] + (0..<3).reduce(Float(0)) { $0 + c[$1 * 3 + i] * v[row * 3 + $1] * v[row * 3 + $1] }).squareRoot()
    }
    for inverse in [false, true] {
      let (output, norms) = SIMDLevel.withKernels(at: level) {
        Tensor.divisiveNormalization(rows, squares: rows * rows, beta: beta, gamma: gamma, inverse: inverse)
      }
      expectClose(norms.scalars, expectedNorms, rtol: 1e-5, atol: 0)
      expectClose(output.scalars, zip(v, expectedNorms).map { inverse ? $0 * $1 : $0 / $1 }, rtol: 1e-5, atol: 0, "inverse \(inverse)")
    }
  }

  @Test(arguments: levels) func theBackwardPartsMatchTheirDefinitions(level: SIMDLevel) {
    let norms = Tensor(shape: [37], scalars: squaredNorms.scalars.map { $0.squareRoot() })
    for inverse in [false, true] {
      let (direct, w) = SIMDLevel.withKernels(at: level) {
        Tensor.divisiveNormalizationBackward(upstream, input: x, norms: norms, inverse: inverse)
      }
      let (g, n, v) = (upstream.scalars, norms.scalars, x.scalars)
      expectClose(direct.scalars, (0..<37).map { inverse ? g[$0] * n[$0] : g[$0] / n[$0] }, rtol: 1e-6, atol: 0)
      expectClose(w.scalars, (0..<37).map { inverse ? g[$0] * v[$0] / n[$0] : -g[$0] * v[$0] / (n[$0] * n[$0] * n[$0]) }, rtol: 1e-5, atol: 0)
    }
    var sum = upstream
    SIMDLevel.withKernels(at: level) { sum.addProduct(x, norms) }
    expectClose(sum.scalars, (0..<37).map { upstream.scalars[$0] + x.scalars[$0] * norms.scalars[$0] }, rtol: 1e-6, atol: 1e-7)
  }
}
