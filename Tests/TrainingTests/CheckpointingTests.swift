import Datasets
import Foundation
import NN
import Optimizers
import TensorCore
import TestSupport
import Testing
@testable import Training

/// A run stopped at any step and resumed from its snapshot ends with the uninterrupted run's
/// weights, bit for bit.
@Suite(.serialized) struct CheckpointingTests {
  let data = syntheticImages(count: 400)

  struct Saved {
    var snapshot: RunSnapshot
    var weights: [String: Tensor]
  }

  /// Trains `architecture` for `epochs` from seed 7; with `stopAfterSteps`, stops there and
  /// returns the snapshot; with `resuming`, continues it. Every snapshot written is kept in `saved`.
  func train(_ architecture: Architecture, epochs: Int = 4, noise: Noise? = nil, schedule: LearningRateSchedule? = nil,
             earlyStopping: EarlyStoppingSettings? = nil, stopAfterSteps: Int? = nil, every: Int? = 0, resuming: Saved? = nil,
             saved: inout [Saved], training: ImageSet? = nil) throws -> (model: Autoencoder, history: History) {
    try Parallel.withThreads(2) {
      var generator = SplitMix64(seed: 7)
      let model = try Autoencoder(architecture, using: &generator)
      if let resuming {
        for (name, parameter) in model.namedParameters { parameter.updateValue { $0 = resuming.weights[name]! } }
      }
      let (trainingSet, validation) = data.split(validationFraction: 0.25)
      let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.005), reduction: architecture.isVariational ? .sum : .mean, noise: noise,
                            schedule: schedule, earlyStopping: earlyStopping)
      var steps = 0
      var written: [Saved] = []
      let checkpointing = Checkpointing(everyEpochs: every, interruptRequested: {
        steps += 1
        return steps == stopAfterSteps
      }) { snapshot in
        written.append(Saved(snapshot: snapshot, weights: Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value) })))
      }
      defer { saved = written }
      let history = try trainer.fit(on: training ?? trainingSet, validation: validation, epochs: epochs, batchSize: 32, using: &generator,
                                    resuming: resuming?.snapshot, checkpointing: checkpointing)
      return (model, history)
    }
  }

  func expectSameWeights(_ a: Autoencoder, _ b: Autoencoder, sourceLocation: SourceLocation = #_sourceLocation) {
    for ((name, p), (_, q)) in zip(a.namedParameters, b.namedParameters) {
      #expect(p.value == q.value, "\(name) differs", sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: [1, 9, 10, 23, 40])  // mid-epoch, the last step of an epoch, the first of the next, ...
  func aRunStoppedAtAnyStepResumesToTheSameBits(step: Int) throws {
    let architecture = try Architecture(spec: "dropout 0.1, dense 8 relu | dense 64 sigmoid", exampleShape: [8, 8])
    var saved: [Saved] = []
    let (reference, referenceHistory) = try train(architecture, noise: .gaussian(standardDeviation: 0.2), saved: &saved)
    #expect(throws: TrainingInterrupted.self) {
      try train(architecture, noise: .gaussian(standardDeviation: 0.2), stopAfterSteps: step, saved: &saved)
    }
    let snapshot = try #require(saved.last)
    #expect(snapshot.snapshot.progress.epochsDone * 10 + snapshot.snapshot.progress.batchesDone == step)  // 300 examples, batch 32: 10 steps
    var unused: [Saved] = []
    let (resumed, history) = try train(architecture, noise: .gaussian(standardDeviation: 0.2), resuming: snapshot, saved: &unused)
    expectSameWeights(resumed, reference)
    #expect(history.epochs.map(\.loss) == referenceHistory.epochs.map(\.loss))
    #expect(history.epochs.map(\.validationLoss) == referenceHistory.epochs.map(\.validationLoss))
  }

  @Test func variationalRunsWithSchedulesAndEarlyStoppingResumeFromEpochCheckpoints() throws {
    let architecture = Architecture.variational(inputSize: 64, hiddenSizes: [16], latent: 2)
    let schedule = LearningRateSchedule.plateau(factor: 0.5, patience: 1, minimumDelta: 1e-4, cooldown: 0, minimum: 0)
    let stopping = EarlyStoppingSettings(patience: 2)
    var saved: [Saved] = []
    let (reference, referenceHistory) = try train(architecture, epochs: 6, schedule: schedule, earlyStopping: stopping, every: 1, saved: &saved)
    #expect(saved.count == referenceHistory.epochs.count)
    #expect(saved.map(\.snapshot.progress.epochsDone) == Array(1...referenceHistory.epochs.count))
    var unused: [Saved] = []
    let (resumed, history) = try train(architecture, epochs: 6, schedule: schedule, earlyStopping: stopping, resuming: saved[2], saved: &unused)
    expectSameWeights(resumed, reference)
    #expect(history.restoredEpoch == referenceHistory.restoredEpoch && history.epochs.map(\.learningRate) == referenceHistory.epochs.map(\.learningRate))
  }

  @Test func aSnapshotWithNoEpochsLeftOnlyEndsTheRunRestoringTheBestWeights() throws {
    // A minimum delta no loss can beat: early stopping stops after epoch 2 and keeps epoch 1's weights.
    let stopping = EarlyStoppingSettings(patience: 1, minimumDelta: 10)
    var saved: [Saved] = []
    let (reference, history) = try train(.dense(inputSize: 64, hiddenSizes: [8]), earlyStopping: stopping, every: 1, saved: &saved)
    #expect(history.epochs.count == 2 && history.restoredEpoch == 1 && saved.count == 2)
    var unused: [Saved] = []
    for snapshot in saved {  // from epoch 1, it trains epoch 2 and stops; from epoch 2, it only restores
      let (resumed, again) = try train(.dense(inputSize: 64, hiddenSizes: [8]), earlyStopping: stopping, resuming: snapshot, saved: &unused)
      expectSameWeights(resumed, reference)
      #expect(again.epochs.count == 2 && again.restoredEpoch == 1)
    }
  }

  @Test func byDefaultShortRunsSaveOnlyWhenInterrupted() throws {
    var saved: [Saved] = []
    _ = try train(.dense(inputSize: 64, hiddenSizes: [8]), every: nil, saved: &saved)
    #expect(saved.isEmpty)  // four epochs of milliseconds: under a minute
    _ = try train(.dense(inputSize: 64, hiddenSizes: [8]), every: 2, saved: &saved)
    #expect(saved.map(\.snapshot.progress.epochsDone) == [2, 4])
  }

  @Test func otherDataIsRefusedNamingIt() throws {
    var saved: [Saved] = []
    #expect(throws: TrainingInterrupted.self) { try train(.dense(inputSize: 64, hiddenSizes: [8]), stopAfterSteps: 3, saved: &saved) }
    let other = syntheticImages(count: 400, seed: 2).split(validationFraction: 0.25).training
    #expect {
      try train(.dense(inputSize: 64, hiddenSizes: [8]), resuming: saved.last, saved: &saved, training: other)
    } throws: { "\($0)".contains("the training data is not the checkpoint's (300 examples hashing to") }
  }

  @Test func progressRoundTripsThroughJSONWithTheGeneratorExact() throws {
    var progress = RunProgress(history: History(epochs: [.init(epoch: 1, loss: 0.5, validationLoss: 0.4, seconds: 1, examplesPerSecond: 2)]),
                               optimizerStep: 12, dataFingerprint: "300:abc")
    progress.generatorState = UInt64.max - 12_345  // beyond 2^53: a JSON number would round it
    progress.epochsDone = 1
    progress.batchesDone = 2
    (progress.epochTerms, progress.epochTotals, progress.epochExamples, progress.epochSeconds) = (["reconstruction", "kl"], [3, 2, 1], 64, 0.25)
    progress.scheduler = LearningRateScheduler(.step(every: 1, factor: 0.5), initialRate: 0.1, stepsPerEpoch: 10, epochs: 3)
    progress.earlyStopping = EarlyStopping.Progress(bestLoss: 0.4, bestEpoch: 1, wait: 0, stoppedEpoch: nil)
    let json = try JSONEncoder().encode(progress)
    #expect(String(decoding: json, as: UTF8.self).contains("\"generator_state\":\"18446744073709539270\""))
    #expect(try JSONDecoder().decode(RunProgress.self, from: json) == progress)
    #expect(progress.problem == nil)
    progress.epochTotals = [1]
    #expect(progress.problem == "1 running sums for 2 terms")
  }
}
