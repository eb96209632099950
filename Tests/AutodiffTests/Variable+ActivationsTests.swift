import Autodiff
import TensorCore
import TestSupport
import Testing

@Suite struct VariableActivationsTests {
  let x = randomTensor([4, 6], in: -3..<3, seed: 21)
  let awayFromZero = randomTensorAwayFromZero([4, 6], seed: 22)

  @Test func smoothActivations() {
    expectGradientsMatchFiniteDifferences(at: [x]) { $0[0].sigmoid() }
    expectGradientsMatchFiniteDifferences(at: [x]) { $0[0].tanh() }
    expectGradientsMatchFiniteDifferences(at: [x]) { $0[0].softplus() }
  }

  @Test func piecewiseLinearActivationsAwayFromTheKink() {
    expectGradientsMatchFiniteDifferences(at: [awayFromZero]) { $0[0].relu() }
    expectGradientsMatchFiniteDifferences(at: [awayFromZero]) { $0[0].leakyRelu(slope: 0.2) }
  }
}
