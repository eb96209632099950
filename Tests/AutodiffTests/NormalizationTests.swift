import Autodiff
import TensorCore
import TestSupport
import Testing

@Suite struct NormalizationTests {
  /// The operation written out from `*`, `linear` and `squareRoot`, which have their own checks.
  func composed(_ x: Variable, _ beta: Variable, _ gamma: Variable, inverse: Bool) -> Variable {
    let norm = x.squared().linear(weight: gamma, bias: beta).squareRoot()
    return inverse ? x * norm : x / norm
  }

  @Test func normalizesByTheNormsOfEachRow() {
    // Rows (1, −2) and (3, 0.5); β = (1, 4), γ = [[1, 0.25], [0, 4]] (j down):
    // n = (√(1 + 1), √(4 + 0.25 + 16)) and (√(1 + 9), √(4 + 2.25 + 1)).
    let x = Variable(Tensor(shape: [2, 2], scalars: [1, -2, 3, 0.5]))
    let beta = Variable(Tensor(shape: [2], scalars: [1, 4])), gamma = Variable(Tensor(shape: [2, 2], scalars: [1, 0.25, 0, 4]))
    let norms: [Float] = [Float(2).squareRoot(), Float(20.25).squareRoot(), Float(10).squareRoot(), Float(7.25).squareRoot()]
    expectClose(x.divisivelyNormalized(beta: beta, gamma: gamma, inverse: false).value.scalars,
                zip([1, -2, 3, 0.5], norms).map { $0 / $1 }, rtol: 1e-6, atol: 0)
    expectClose(x.divisivelyNormalized(beta: beta, gamma: gamma, inverse: true).value.scalars,
                zip([1, -2, 3, 0.5], norms).map { $0 * $1 }, rtol: 1e-6, atol: 0)
  }

  @Test func gradientsMatchFiniteDifferencesAndTheComposedOperations() {
    for inverse in [false, true] {
      let inputs = [randomTensor([7, 3], seed: 11), randomTensor([3], in: 0.5..<1.5, seed: 12), randomTensor([3, 3], in: 0.05..<0.6, seed: 13)]
      expectGradientsMatchFiniteDifferences(at: inputs) { v in v[0].divisivelyNormalized(beta: v[1], gamma: v[2], inverse: inverse) }
      let (fused, written) = (gradients(of: { v in v[0].divisivelyNormalized(beta: v[1], gamma: v[2], inverse: inverse) }, at: inputs),
                              gradients(of: { v in composed(v[0], v[1], v[2], inverse: inverse) }, at: inputs))
      for (a, b) in zip(fused.analytic, written.analytic) { expectClose(a, b, rtol: 1e-4, atol: 1e-6, "inverse \(inverse)") }
    }
  }
}
