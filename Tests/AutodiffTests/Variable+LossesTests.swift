import Autodiff
import Foundation
import TensorCore
import TestSupport
import Testing

@Suite struct VariableLossesTests {
  @Test func binaryCrossEntropyOnLogitsValueAndGradient() {
    let logits = randomTensor([4, 5], in: -4..<4, seed: 41)
    let targets = randomTensor([4, 5], in: 0..<1, seed: 42)
    let value = Variable(logits).binaryCrossEntropySum(logitsAgainst: targets, scale: 0.5).value.scalar
    let expected = zip(logits.scalars, targets.scalars).map { x, t in
      -(t * Foundation.log(1 / (1 + Foundation.exp(-x))) + (1 - t) * Foundation.log(1 - 1 / (1 + Foundation.exp(-x))))
    }.reduce(0, +) * 0.5
    #expect(abs(value - expected) < 1e-4 * expected)
    expectGradientsMatchFiniteDifferences(at: [logits]) { $0[0].binaryCrossEntropySum(logitsAgainst: targets, scale: 0.5) }
  }

  @Test func extremeLogitsStayFinite() {
    let logits = Variable(Tensor([-200, 200]), requiresGradient: true)
    let loss = logits.binaryCrossEntropySum(logitsAgainst: Tensor([1, 0]), scale: 1)
    #expect(abs(loss.value.scalar - 400) < 1e-3)
    loss.backward()
    #expect(logits.gradient == Tensor([-1, 1]))
  }
}

@Suite struct SoftmaxCrossEntropyTests {
  @Test func valueIsTheNegativeLogSoftmaxOfEachLabel() {
    let logits = Variable(Tensor(shape: [2, 3], scalars: [1, 2, 3, 0, 0, 0]))
    let loss = logits.softmaxCrossEntropySum(logitsAgainst: Tensor([2, 0]), scale: 0.5)
    let first = -log(exp(3.0) / (exp(1.0) + exp(2.0) + exp(3.0))), second = log(3.0)
    #expect(abs(Double(loss.value.scalar) - 0.5 * (first + second)) < 1e-6)
  }

  @Test func largeLogitsStayFinite() {
    let loss = Variable(Tensor(shape: [1, 2], scalars: [1000, -1000])).softmaxCrossEntropySum(logitsAgainst: Tensor([1]), scale: 1)
    #expect(abs(loss.value.scalar - 2000) < 1e-3)
  }

  @Test func gradientMatchesFiniteDifferences() {
    let labels = Tensor(shape: [2, 3], scalars: [0, 4, 2, 1, 1, 3])
    expectGradientsMatchFiniteDifferences(at: [randomTensor([2, 3, 5], in: -2..<2, seed: 6)]) {
      $0[0].softmaxCrossEntropySum(logitsAgainst: labels, scale: 0.25)
    }
  }
}
