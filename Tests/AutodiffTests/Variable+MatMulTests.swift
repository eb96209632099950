import Autodiff
import TensorCore
import TestSupport
import Testing

@Suite struct VariableMatMulTests {
  let x = randomTensor([5, 4], seed: 31)
  let w = randomTensor([4, 3], seed: 32)
  let b = randomTensor([3], seed: 33)

  @Test func matmulGradients() {
    expectGradientsMatchFiniteDifferences(at: [x, w]) { $0[0].matmul($0[1]) }
  }

  @Test func linearGradientsWithAndWithoutBias() {
    expectGradientsMatchFiniteDifferences(at: [x, w, b]) { $0[0].linear(weight: $0[1], bias: $0[2]) }
    expectGradientsMatchFiniteDifferences(at: [x, w]) { $0[0].linear(weight: $0[1], bias: nil) }
  }

  @Test func linearEqualsMatmulPlusBias() {
    let fused = Variable(x).linear(weight: Variable(w), bias: Variable(b)).value
    expectClose(fused, Tensor.matmul(x, w) + b)
  }

  @Test func noGradientIsComputedForConstantInputs() {
    let weight = Variable(w, requiresGradient: true)
    let input = Variable(x)
    input.linear(weight: weight, bias: nil).sum().backward()
    #expect(input.gradient == nil)
    expectClose(weight.gradient!, Tensor.matmul(x, Tensor.ones(shape: [5, 3]), transposeA: true))
  }
}
