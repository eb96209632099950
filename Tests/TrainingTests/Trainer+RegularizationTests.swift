import Datasets
import NN
import Optimizers
import TensorCore
import TestSupport
import Testing
@testable import Training

/// Training with the tools for long runs: regularizers, dropout, schedules and early stopping.
@Suite(.serialized) struct TrainerRegularizationTests {
  let data = syntheticImages(count: 600)

  func fit(_ architecture: Architecture = .dense(inputSize: 64, hiddenSizes: [8]), sparsity: ActivityPenalty? = nil,
           weightPenalty: WeightPenalty? = nil, schedule: LearningRateSchedule? = nil, epochs: Int = 4, threads: Int = 2,
           callbacks: (Autoencoder) -> [any Callback] = { _ in [] }) throws -> (Autoencoder, History) {
    try Parallel.withThreads(threads) {
      var generator = SplitMix64(seed: 3)
      let model = try Autoencoder(architecture, using: &generator)
      let (training, validation) = data.split(validationFraction: 0.2)
      let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), sparsity: sparsity, weightPenalty: weightPenalty, schedule: schedule)
      let history = try trainer.fit(on: training, validation: validation, epochs: epochs, batchSize: 32, using: &generator,
                                    callbacks: callbacks(model))
      return (model, history)
    }
  }

  @Test func anL1PenaltyMakesTheCodeSparserAndIsLoggedApart() throws {
    let (plain, _) = try fit()
    let (sparse, history) = try fit(sparsity: .l1(0.05))
    let x = Tensor(shape: [100, 64], scalars: (0..<100).flatMap { data.example($0) })
    func meanActivation(_ model: Autoencoder) -> Float { model.encode(x).scalars.reduce(0, +) / Float(model.encode(x).count) }
    #expect(meanActivation(sparse) < meanActivation(plain) / 2, "\(meanActivation(sparse)) vs \(meanActivation(plain))")
    let last = try #require(history.epochs.last)
    #expect(Set(last.terms.keys) == ["reconstruction", "sparsity"] && Set(last.validationTerms!.keys) == ["reconstruction", "sparsity"])
    #expect(abs(last.terms["reconstruction"]! + last.terms["sparsity"]! - last.loss) < 1e-4)
  }

  @Test func theKLSparsityPenaltyTrainsWholeBatchesTowardItsTarget() throws {
    let architecture = try Architecture(spec: "dense 16 sigmoid | dense 64 sigmoid", exampleShape: [8, 8])
    let (model, history) = try fit(architecture, sparsity: .kl(target: 0.05, weight: 3), epochs: 8)
    let trainer = Trainer(model: model, optimizer: Adam(), sparsity: .kl(target: 0.05, weight: 3))
    #expect(trainer.minimumShardRows == Int.max)
    let x = Tensor(shape: [200, 64], scalars: (0..<200).flatMap { data.example($0) })
    let mean = model.encode(x).scalars.reduce(0, +) / Float(200 * 16)
    #expect(mean < 0.15, "mean activation \(mean)")
    #expect(history.epochs.last!.terms["sparsity"]! < history.epochs.first!.terms["sparsity"]!)
  }

  @Test func aWeightPenaltyShrinksTheWeights() throws {
    let (plain, _) = try fit()
    let (penalized, history) = try fit(weightPenalty: .l2(0.01))
    func norm(_ model: Autoencoder) -> Float { model.namedParameters.filter { $0.name.hasSuffix("weight") }.map { $0.parameter.value.sumOfSquares() }.reduce(0, +) }
    #expect(norm(penalized) < norm(plain) * 0.8, "\(norm(penalized)) vs \(norm(plain))")
    #expect(history.epochs.last!.terms["weight_penalty"] != nil)
  }

  @Test func dropoutTrainsDeterministicallyAndStaysOffInValidation() throws {
    let architecture = try Architecture(spec: "dropout 0.2, dense 8 relu | dense 64 sigmoid", exampleShape: [8, 8])
    let (a, historyA) = try fit(architecture)
    let (b, historyB) = try fit(architecture)
    #expect(historyA == historyB.with(secondsOf: historyA))
    for ((name, p), (_, q)) in zip(a.namedParameters, b.namedParameters) { #expect(p.value == q.value, "\(name)") }
    // Validation sees no dropout: the evaluator's loss is the model's plain loss.
    let validation = data.split(validationFraction: 0.2).validation
    let plainLoss = try Evaluator(model: a).terms(on: validation).total
    #expect(abs(plainLoss - historyA.epochs.last!.validationLoss!) < 1e-6)
    // And it changes training: the same run without dropout ends elsewhere.
    let (c, _) = try fit(try Architecture(spec: "dense 8 relu | dense 64 sigmoid", exampleShape: [8, 8]))
    #expect(a.namedParameters.last!.parameter.value != c.namedParameters.last!.parameter.value)
  }

  @Test func aScheduleSetsTheRateEachStepAndIsLogged() throws {
    let (_, history) = try fit(schedule: .step(every: 1, factor: 0.5))
    #expect(history.epochs.map(\.learningRate) == [0.01, 0.005, 0.0025, 0.00125])
    let (_, cosine) = try fit(schedule: .cosine(epochs: nil, alpha: 0))
    let rates = cosine.epochs.map { $0.learningRate! }
    #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 > $1 } && rates.last! < 0.0002)
    // Without a schedule the history has no rates, as before.
    #expect(try fit(epochs: 1).1.epochs[0].learningRate == nil)
  }

  @Test func earlyStoppingStopsAndRestoresTheBestEpochsWeights() throws {
    // A rate far too high makes validation worse after a few epochs; patience 1 stops it.
    var saved: [Tensor] = []
    let (model, history) = try Parallel.withThreads(2) {
      var generator = SplitMix64(seed: 3)
      let model = try Autoencoder(.dense(inputSize: 64, hiddenSizes: [8]), using: &generator)
      let (training, validation) = data.split(validationFraction: 0.2)
      struct Snapshot: Callback {
        let model: Autoencoder
        let record: (Int, [Tensor]) -> Void
        mutating func onEpochEnd(_ epoch: History.Epoch, of epochs: Int, state: inout TrainingState) throws {
          record(epoch.epoch, model.namedParameters.map(\.parameter.value))
        }
      }
      var snapshots: [Int: [Tensor]] = [:]
      let history = try Trainer(model: model, optimizer: SGD(learningRate: 3)).fit(
        on: training, validation: validation, epochs: 30, batchSize: 32, using: &generator,
        callbacks: [Snapshot(model: model) { snapshots[$0] = $1 }, EarlyStopping(patience: 1, restoringBestWeightsOf: model)])
      saved = snapshots[history.restoredEpoch ?? -1] ?? []
      return (model, history)
    }
    let restored = try #require(history.restoredEpoch)
    #expect(history.epochs.count < 30 && restored < history.epochs.count)
    let best = history.epochs.min { $0.validationLoss! < $1.validationLoss! }!
    #expect(best.epoch == restored)
    #expect(model.namedParameters.map(\.parameter.value) == saved)
  }
}

extension History {
  /// This history with the timings of `other` (timings differ from run to run).
  func with(secondsOf other: History) -> History {
    var copy = self
    for i in copy.epochs.indices where i < other.epochs.count {
      copy.epochs[i].seconds = other.epochs[i].seconds
      copy.epochs[i].examplesPerSecond = other.epochs[i].examplesPerSecond
    }
    return copy
  }
}
