import Autodiff
import TensorCore
import TestSupport
import Testing

@Suite struct VariableMathTests {
  let x = randomTensor([3, 5], seed: 11)
  let positive = randomTensor([3, 5], in: 0.5..<3, seed: 12)

  @Test func elementaryFunctions() {
    expectGradientsMatchFiniteDifferences(at: [x]) { $0[0].exp() }
    expectGradientsMatchFiniteDifferences(at: [positive]) { $0[0].log() }
    expectGradientsMatchFiniteDifferences(at: [positive]) { $0[0].squareRoot() }
    expectGradientsMatchFiniteDifferences(at: [randomTensorAwayFromZero([3, 5])]) { $0[0].abs() }
    expectGradientsMatchFiniteDifferences(at: [x]) { $0[0].squared() }
  }

  @Test func clampPassesGradientsInsideTheRangeOnly() {
    // Values at least 0.1 from the bounds ±0.5, so the differences (step 0.01) do not cross them.
    let values: [Float] = [-0.9, -0.3, 0.1, 0.35, 0.8, -0.7, 0.0, 0.25, 1.2, -0.15]
    let (analytic, _) = gradients(of: { $0[0].clamped(to: -0.5...0.5) }, at: [Tensor(values)])
    #expect(analytic[0].map { $0 == 0 } == values.map { abs($0) > 0.5 })
    expectGradientsMatchFiniteDifferences(at: [Tensor(values)]) { $0[0].clamped(to: -0.5...0.5) }
  }

  @Test func reductionsAndReshape() {
    expectGradientsMatchFiniteDifferences(at: [x]) { $0[0].sum() }
    expectGradientsMatchFiniteDifferences(at: [x]) { $0[0].mean() }
    expectGradientsMatchFiniteDifferences(at: [x]) { $0[0].sum(alongAxis: 0) }
    expectGradientsMatchFiniteDifferences(at: [x]) { $0[0].sum(alongAxis: 1) }
    expectGradientsMatchFiniteDifferences(at: [x]) { $0[0].reshaped(to: [5, 3]) * $0[0].reshaped(to: [5, 3]) }
  }

  @Test func aVAEStyleCompositeTrainsThroughEveryPiece() {
    // z = mu + exp(logVar / 2) * eps and the KL term -0.5 * sum(1 + logVar - mu² - exp(logVar)).
    let eps = randomTensor([3, 5], seed: 13)
    expectGradientsMatchFiniteDifferences(at: [x, positive]) { v in
      let (mu, logVar) = (v[0], v[1])
      let z = mu + (logVar / 2).exp() * eps
      let kl = ((1 + logVar - mu.squared() - logVar.exp()).sum()) * -0.5
      return z.squared().mean() + kl
    }
  }
}
