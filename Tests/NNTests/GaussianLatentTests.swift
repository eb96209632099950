import Autodiff
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct GaussianLatentTests {
  @Test func meanAndLogVarianceAreTwoDenseLayers() {
    let head = GaussianLatent(mean: Dense(weight: Tensor([[1, 0], [0, 2]]), bias: Tensor([0, 1])),
                              logVariance: Dense(weight: Tensor([[0, 1], [1, 0]]), bias: Tensor([-1, 0])))
    let (mean, logVariance) = head(Variable(Tensor([[1, 2]])))
    #expect(mean.value == Tensor([[1, 5]]) && logVariance.value == Tensor([[1, 1]]))
    #expect(head.namedParameters.map(\.name) == ["mean.weight", "mean.bias", "log_variance.weight", "log_variance.bias"])
    #expect(head.description == "GaussianLatent(2 => 2)")
  }

  @Test func theKLDivergenceIsTheClosedForm() {
    // -½ Σ (1 + log σ² - μ² - σ²) over (μ 1, log σ² 0) and (μ 0, log σ² ln 2), divided by a batch of 2.
    let mean = Variable(Tensor([[1, 0]])), logVariance = Variable(Tensor([[0, Float(log(2.0))]]))
    let kl = mean.klDivergenceFromStandardNormal(logVariance: logVariance, batchSize: 2).value.scalar
    let expected = -0.5 * ((1 + 0 - 1 - 1) + (1 + log(2.0) - 0 - 2)) / 2
    #expect(abs(Double(kl) - expected) < 1e-6)
    // N(0, I) itself has no divergence.
    #expect(Variable(Tensor([[0, 0]])).klDivergenceFromStandardNormal(logVariance: Variable(Tensor([[0, 0]])), batchSize: 1).value.scalar == 0)
  }

  @Test func reparameterizationAndKLGradientsMatchFiniteDifferences() {
    let noise = randomTensor([3, 2], seed: 4)
    expectGradientsMatchFiniteDifferences(at: [randomTensor([3, 2], seed: 2), randomTensor([3, 2], seed: 3)]) { p in
      p[0].reparameterized(logVariance: p[1], noise: noise)
    }
    expectGradientsMatchFiniteDifferences(at: [randomTensor([3, 2], seed: 5), randomTensor([3, 2], seed: 6)]) { p in
      p[0].klDivergenceFromStandardNormal(logVariance: p[1], batchSize: 3)
    }
  }
}
