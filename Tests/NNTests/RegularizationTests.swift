import Autodiff
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct RegularizationTests {
  // Codes of 3 examples, 2 units: [[3, 3], [2, 2], [1, 1]] (the reference script's relu output).
  let codes = Tensor([[3, 3], [2, 2], [1, 1]])

  @Test func anL1PenaltyIsItsWeightTimesTheMeanOverExamplesOfTheSummedMagnitudes() {
    // Keras 3.15.1's Dense(activity_regularizer=L1(0.1)) on these codes adds 0.4.
    #expect(abs(ActivityPenalty.l1(0.1)(Variable(codes), batchSize: 3).value.scalar - 0.4) < 1e-6)
    #expect(abs(ActivityPenalty.l1(0.1)(Variable(-codes), batchSize: 3).value.scalar - 0.4) < 1e-6)
    // By hand: 0.5 · (9 + 9 + 4 + 4 + 1 + 1) / 3.
    #expect(abs(ActivityPenalty.l2(0.5)(Variable(codes), batchSize: 3).value.scalar - 0.5 * 28 / 3) < 1e-5)
  }

  @Test func aShardsPenaltyIsItsShareOfTheBatchs() {
    let whole = ActivityPenalty.l1(0.1)(Variable(codes), batchSize: 3).value.scalar
    let parts = ActivityPenalty.l1(0.1)(Variable(codes.rows(0..<1)), batchSize: 3).value.scalar
      + ActivityPenalty.l1(0.1)(Variable(codes.rows(1..<3)), batchSize: 3).value.scalar
    #expect(abs(whole - parts) < 1e-6)
  }

  @Test func theKLSparsityPenaltyIsNgsFormulaOnTheMeanActivation() {
    // Mean activations of [[0.1, 0.5], [0.3, 0.7]]: 0.2 and 0.6; target 0.05, weight 3.
    let codes = Tensor([[0.1, 0.5], [0.3, 0.7]])
    func kl(_ rho: Double, _ mean: Double) -> Double {
      let first: Double = rho * Foundation.log(rho / mean)
      return first + (1 - rho) * Foundation.log((1 - rho) / (1 - mean))
    }
    let expected = 3 * (kl(0.05, 0.2) + kl(0.05, 0.6))
    let value = ActivityPenalty.kl(target: 0.05, weight: 3)(Variable(codes), batchSize: 2).value.scalar
    #expect(abs(Double(value) - expected) < 1e-5)
    // At the target, nothing.
    let atTarget = ActivityPenalty.kl(target: 0.05, weight: 3)(Variable(Tensor(shape: [4, 3], repeating: 0.05)), batchSize: 4)
    #expect(abs(atTarget.value.scalar) < 1e-6)
    #expect(ActivityPenalty.kl(target: 0.05, weight: 3).needsWholeBatch && !ActivityPenalty.l1(1).needsWholeBatch)
  }

  @Test func thePenaltiesGradientsMatchFiniteDifferences() {
    let away = randomTensorAwayFromZero([4, 3], seed: 3)
    expectGradientsMatchFiniteDifferences(at: [away], step: 1e-3) { ActivityPenalty.l1(0.3)($0[0], batchSize: 4) }
    expectGradientsMatchFiniteDifferences(at: [away], step: 1e-3) { ActivityPenalty.l2(0.3)($0[0], batchSize: 4) }
    let activations = randomTensor([5, 3], in: 0.1..<0.9, seed: 4)
    expectGradientsMatchFiniteDifferences(at: [activations], step: 1e-3) { ActivityPenalty.kl(target: 0.1, weight: 2)($0[0], batchSize: 5) }
  }

  @Test func aWeightPenaltyCountsKernelsNotBiases() throws {
    let layer = Dense(weight: Tensor([[1, -2], [3, 0.5]]), bias: Tensor([10, 10]))
    #expect(abs(WeightPenalty.l2(0.01)(layer, share: 1).value.scalar - 0.01 * (1 + 4 + 9 + 0.25)) < 1e-6)
    #expect(abs(WeightPenalty.l1(0.01)(layer, share: 0.5).value.scalar - 0.5 * 0.01 * 6.5) < 1e-6)
    // Its gradient reaches the kernel: 2λw.
    let (_, gradients) = valueWithGradient(at: layer) { WeightPenalty.l2(0.01)($0, share: 1) }
    expectClose(gradients["weight"]!, Tensor([[0.02, -0.04], [0.06, 0.01]]), rtol: 1e-5)
    #expect(gradients["bias"]!.scalars == [0, 0])
  }

  @Test func penaltiesParseTheirSpellingsAndRefuseOthersNamingThem() throws {
    #expect(try ActivityPenalty(parsing: "l1:1e-5") == .l1(1e-5))
    #expect(try ActivityPenalty(parsing: "L2:0.5") == .l2(0.5))
    #expect(try ActivityPenalty(parsing: "kl:0.05:3") == .kl(target: 0.05, weight: 3))
    #expect(try ActivityPenalty(parsing: "kl:0.1") == .kl(target: 0.1, weight: 1))
    #expect(try WeightPenalty(parsing: "l2:1e-4") == .l2(1e-4))
    for (text, fragment) in [("l1", "not a sparsity penalty"), ("l1:-1", "non-negative"), ("kl:1.5:3", "(0, 1)"), ("l3:1", "not a sparsity"),
                             ("l1:nan", "not a number"), ("kl:0.1:x", "not a number")] {
      #expect { try ActivityPenalty(parsing: text) } throws: { "\($0)".contains(text) && "\($0)".contains(fragment) }
    }
    #expect { try WeightPenalty(parsing: "l2:-0.1") } throws: { "\($0)".contains("non-negative") }
    #expect { try WeightPenalty(parsing: "kl:0.1:2") } throws: { "\($0)".contains("not a weight penalty") }
    // What a model file stores reads back.
    for penalty in [ActivityPenalty.l1(1e-5), .kl(target: 0.05, weight: 3)] { #expect(try ActivityPenalty(parsing: penalty.description) == penalty) }
  }

  @Test func anObjectiveGainsATermPerRegularizer() throws {
    var generator = SplitMix64(seed: 5)
    let model = try Autoencoder(.dense(inputSize: 8, hiddenSizes: [3]), using: &generator)
    let x = randomTensor([6, 8], in: 0..<1, seed: 21)
    let settings = ObjectiveSettings(sparsity: .l1(0.01), weightPenalty: .l2(0.001))
    let terms = model.terms(input: Variable(x), target: x, settings: settings, context: BatchContext(batchSize: 6))
    #expect(terms.map(\.name) == ["reconstruction", "sparsity", "weight_penalty"])
    let code = model.encode(x)
    #expect(abs(terms[1].value.value.scalar - 0.01 * code.scalars.map(abs).reduce(0, +) / 6) < 1e-6)
    let kernels = model.namedParameters.filter { $0.name.hasSuffix("weight") }.map { $0.parameter.value.scalars.map { $0 * $0 }.reduce(0, +) }
    #expect(abs(terms[2].value.value.scalar - 0.001 * kernels.reduce(0, +)) < 1e-6)
    // The plain objective is unchanged by their absence.
    let plain = model.terms(input: Variable(x), target: x, settings: ObjectiveSettings(), context: BatchContext(batchSize: 6))
    #expect(plain.count == 1 && plain[0].value.value == terms[0].value.value)
  }
}
