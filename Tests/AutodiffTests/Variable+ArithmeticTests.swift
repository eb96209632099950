import Autodiff
import TensorCore
import TestSupport
import Testing

@Suite struct VariableArithmeticTests {
  let a = randomTensor([3, 4], seed: 1)
  let b = randomTensor([3, 4], seed: 2)
  let positive = randomTensor([3, 4], in: 0.5..<2, seed: 3)

  @Test func addSubtractMultiplyDivide() {
    expectGradientsMatchFiniteDifferences(at: [a, b]) { $0[0] + $0[1] }
    expectGradientsMatchFiniteDifferences(at: [a, b]) { $0[0] - $0[1] }
    expectGradientsMatchFiniteDifferences(at: [a, b]) { $0[0] * $0[1] }
    expectGradientsMatchFiniteDifferences(at: [a, positive]) { $0[0] / $0[1] }
  }

  @Test func broadcastingSumsGradientsBackToEachShape() {
    let row = randomTensor([4], seed: 4), column = randomTensor([3, 1], in: 0.5..<2, seed: 5)
    expectGradientsMatchFiniteDifferences(at: [a, row]) { $0[0] + $0[1] }
    expectGradientsMatchFiniteDifferences(at: [a, row]) { $0[1] - $0[0] }
    expectGradientsMatchFiniteDifferences(at: [a, column]) { $0[0] * $0[1] }
    expectGradientsMatchFiniteDifferences(at: [a, column]) { $0[0] / $0[1] }
    expectGradientsMatchFiniteDifferences(at: [a, Tensor(0.7)]) { $0[0] * $0[1] }
  }

  @Test func scalarsAndConstants() {
    expectGradientsMatchFiniteDifferences(at: [a]) { $0[0].affine(scale: -1.5, offset: 2) }
    expectGradientsMatchFiniteDifferences(at: [a]) { 3 - $0[0] * 2 + 1 }
    expectGradientsMatchFiniteDifferences(at: [a]) { -$0[0] / 4 }
    expectGradientsMatchFiniteDifferences(at: [a]) { $0[0] * b - b }
    expectGradientsMatchFiniteDifferences(at: [a]) { b - $0[0] / positive }
  }
}
