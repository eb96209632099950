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

  @Test func categoricalCrossEntropySharesAddUpToo() {
    // Logits [3 sequences, 2 steps, 4 tokens] against token ids [3, 2], split 2 + 1.
    let logits = randomTensor([3, 2, 4], in: -2..<2, seed: 12), ids = Tensor(shape: [3, 2], scalars: [0, 3, 2, 2, 1, 0])
    for reduction in LossReduction.allCases {
      let whole = Variable(logits, requiresGradient: true)
      let all = Loss.categoricalCrossEntropy(predicted: whole, expected: ids, reduction: reduction)
      all.backward()
      let parts = [0..<2, 2..<3].map { rows -> (Float, [Float]) in
        let shard = Variable(logits.rows(rows), requiresGradient: true)
        let share = Loss.categoricalCrossEntropy(predicted: shard, expected: ids.rows(rows), reduction: reduction, batchSize: 3)
        share.backward()
        return (share.value.scalar, shard.gradient!.scalars)
      }
      expectClose([parts[0].0 + parts[1].0], [all.value.scalar], rtol: 1e-6, atol: 0)
      expectClose(parts[0].1 + parts[1].1, whole.gradient!.scalars, rtol: 1e-6, atol: 1e-9)
      // Per token (mean over 6) or per sequence (sum over a sequence's 2 steps, mean over 3).
      #expect(Loss.categoricalCrossEntropy.unit(reduction) == (reduction == .mean ? "nats/token" : "nats/sequence"))
    }
    let mean = Loss.categoricalCrossEntropy(predicted: Variable(logits), expected: ids).value.scalar
    let sum = Loss.categoricalCrossEntropy(predicted: Variable(logits), expected: ids, reduction: .sum).value.scalar
    #expect(abs(sum - 2 * mean) < 1e-5)
  }

  @Test func theSharesOfABatchsShardsAddUpToItsLossAndGradient() {
    // A batch of 3 examples split 2 + 1, as a data-parallel step splits it: each shard's loss,
    // given the batch's size, is its share, for every loss and both reductions.
    let predicted = Tensor([[0.9, 0.2], [0.4, 0.7], [0.3, 0.6]]), expected = Tensor([[1, 0], [0.5, 1], [0, 0.25]])
    for loss in Loss.allCases where loss != .categoricalCrossEntropy {
      for reduction in LossReduction.allCases {
        for viaLogits in [false, true] {
          func prediction(_ x: Variable) -> Variable { viaLogits ? x.sigmoid() : x }
          let whole = Variable(predicted, requiresGradient: true)
          let all = loss(predicted: prediction(whole), expected: expected, reduction: reduction)
          all.backward()
          let (first, second) = (Variable(predicted.rows(0..<2), requiresGradient: true), Variable(predicted.rows(2..<3), requiresGradient: true))
          let shares = [(first, 0..<2), (second, 2..<3)].map { shard, rows in
            let share = loss(predicted: prediction(shard), expected: expected.rows(rows), reduction: reduction, batchSize: 3)
            share.backward()
            return share.value.scalar
          }
          let label = Comment(rawValue: "\(loss.name), \(reduction), \(viaLogits ? "logits" : "probabilities")")
          expectClose([shares[0] + shares[1]], [all.value.scalar], rtol: 1e-6, atol: 0, label)
          expectClose(first.gradient!.scalars + second.gradient!.scalars, whole.gradient!.scalars, rtol: 1e-6, atol: 1e-9, label)
        }
      }
    }
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
