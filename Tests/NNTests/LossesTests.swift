import Autodiff
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct LossesTests {
  let p = Tensor([[0.9, 0.2], [0.4, 0.7]])
  let t = Tensor([[1, 0], [0.5, 1]])

  func handBCE(_ p: [Float], _ t: [Float]) -> [Float] {
    zip(p, t).map { p, t in -(t * Foundation.log(p) + (1 - t) * Foundation.log(1 - p)) }
  }

  @Test func binaryCrossEntropyOnProbabilitiesIsKerasDefinition() {
    let terms = handBCE(p.scalars, t.scalars)
    let mean = binaryCrossEntropy(predicted: Variable(p), expected: t).value.scalar
    #expect(abs(mean - terms.reduce(0, +) / 4) < 1e-6)
    let perImage = binaryCrossEntropy(predicted: Variable(p), expected: t, reduction: .sum).value.scalar
    #expect(abs(perImage - terms.reduce(0, +) / 2) < 1e-6)
    // Clipped at 1e-7: a confident wrong 0 costs -log(1e-7), not infinity.
    let clipped = binaryCrossEntropy(predicted: Variable(Tensor([0])), expected: Tensor([1])).value.scalar
    #expect(abs(clipped - 16.118) < 1e-2)
  }

  @Test func afterASigmoidTheLossUsesTheLogits() {
    let logits = Tensor([[2.1972246, -1.3862944], [-0.4054651, 0.8472979]])  // sigmoid(logits) == p
    let viaSigmoid = binaryCrossEntropy(predicted: Variable(logits).sigmoid(), expected: t).value.scalar
    let viaProbabilities = binaryCrossEntropy(predicted: Variable(p), expected: t).value.scalar
    #expect(abs(viaSigmoid - viaProbabilities) < 1e-5)
    // Where the probability form saturates, the logits form stays exact and its gradient finite.
    let x = Variable(Tensor([-40]), requiresGradient: true)
    let loss = binaryCrossEntropy(predicted: x.sigmoid(), expected: Tensor([1]))
    #expect(abs(loss.value.scalar - 40) < 1e-4)
    loss.backward()
    #expect(abs(x.gradient!.scalar + 1) < 1e-6)
    expectGradientsMatchFiniteDifferences(at: [logits]) { binaryCrossEntropy(predicted: $0[0].sigmoid(), expected: t) }
    expectGradientsMatchFiniteDifferences(at: [p]) { binaryCrossEntropy(predicted: $0[0], expected: t) }
  }

  @Test func squaredAndAbsoluteErrors() {
    // Differences: [-0.1, 0.2, -0.1, -0.3]
    #expect(abs(meanSquaredError(predicted: Variable(p), expected: t).value.scalar - 0.0375) < 1e-6)
    #expect(abs(meanSquaredError(predicted: Variable(p), expected: t, reduction: .sum).value.scalar - 0.075) < 1e-6)
    #expect(abs(meanAbsoluteError(predicted: Variable(p), expected: t).value.scalar - 0.175) < 1e-6)
    expectGradientsMatchFiniteDifferences(at: [p]) { meanSquaredError(predicted: $0[0], expected: t) }
    expectGradientsMatchFiniteDifferences(at: [p], step: 1e-3) { meanAbsoluteError(predicted: $0[0], expected: t) }
  }

  @Test func lossesByNameWithUnits() {
    #expect(Loss(rawValue: "bce") == .binaryCrossEntropy)
    #expect(Loss.binaryCrossEntropy.unit(.mean) == "nats/pixel")
    #expect(Loss.binaryCrossEntropy.unit(.sum) == "nats/image")
    #expect(Loss.meanSquaredError.unit(.mean) == "intensity²/pixel")
    let value = Loss.meanAbsoluteError(predicted: Variable(p), expected: t).value.scalar
    #expect(abs(value - 0.175) < 1e-6)
  }
}
