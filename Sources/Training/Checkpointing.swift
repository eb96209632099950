import Datasets
import FileIO
import Foundation
import Optimizers
import TensorCore

/// Where a run stands between two steps: with the weights, the optimizer's state, the order of
/// the examples and early stopping's best weights (`RunSnapshot`), everything a resumed run needs
/// to go on as if it had never stopped.
public struct RunProgress: Codable, Equatable, Sendable {
  /// Epochs completed, and steps done of the next one (0 at an epoch's end).
  public var epochsDone = 0, batchesDone = 0
  /// The run's generator (`SplitMix64.state`), which shuffles and seeds each step's draws.
  public var generatorState: UInt64 = 0
  /// The completed epochs.
  public var history: History
  /// Within an epoch: its terms' names, the running sums (the loss first, then each term, times
  /// examples), the examples and the seconds so far.
  public var epochTerms: [String] = [], epochTotals: [Double] = [], epochExamples = 0, epochSeconds: Double = 0
  /// The optimizer's update count (Adam's bias correction depends on it).
  public var optimizerStep: Int
  /// A schedule's state (`plateau`'s rate, best loss and counts), where there is a schedule.
  public var scheduler: LearningRateScheduler?
  /// Early stopping's state, where it is on.
  public var earlyStopping: EarlyStopping.Progress?
  /// `ImageSet.fingerprint` of the training data, so a resumed run refuses other data.
  public var dataFingerprint: String

  public init(history: History, optimizerStep: Int, dataFingerprint: String) {
    self.history = history
    self.optimizerStep = optimizerStep
    self.dataFingerprint = dataFingerprint
  }

  enum CodingKeys: String, CodingKey {
    case epochsDone = "epochs_done", batchesDone = "batches_done", generatorState = "generator_state", history
    case epochTerms = "epoch_terms", epochTotals = "epoch_totals", epochExamples = "epoch_examples", epochSeconds = "epoch_seconds"
    case optimizerStep = "optimizer_step", scheduler, earlyStopping = "early_stopping", dataFingerprint = "data_fingerprint"
  }

  // The generator's state is written as a string: JSON readers may round integers above 2^53.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    epochsDone = try container.decode(Int.self, forKey: .epochsDone)
    batchesDone = try container.decode(Int.self, forKey: .batchesDone)
    let text = try container.decode(String.self, forKey: .generatorState)
    guard let state = UInt64(text) else {
      throw DecodingError.dataCorruptedError(forKey: .generatorState, in: container, debugDescription: "not a 64-bit unsigned integer: \(text)")
    }
    generatorState = state
    history = try container.decode(History.self, forKey: .history)
    epochTerms = try container.decode([String].self, forKey: .epochTerms)
    epochTotals = try container.decode([Double].self, forKey: .epochTotals)
    epochExamples = try container.decode(Int.self, forKey: .epochExamples)
    epochSeconds = try container.decode(Double.self, forKey: .epochSeconds)
    optimizerStep = try container.decode(Int.self, forKey: .optimizerStep)
    scheduler = try container.decodeIfPresent(LearningRateScheduler.self, forKey: .scheduler)
    earlyStopping = try container.decodeIfPresent(EarlyStopping.Progress.self, forKey: .earlyStopping)
    dataFingerprint = try container.decode(String.self, forKey: .dataFingerprint)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(epochsDone, forKey: .epochsDone)
    try container.encode(batchesDone, forKey: .batchesDone)
    try container.encode(String(generatorState), forKey: .generatorState)
    try container.encode(history, forKey: .history)
    try container.encode(epochTerms, forKey: .epochTerms)
    try container.encode(epochTotals, forKey: .epochTotals)
    try container.encode(epochExamples, forKey: .epochExamples)
    try container.encode(epochSeconds, forKey: .epochSeconds)
    try container.encode(optimizerStep, forKey: .optimizerStep)
    try container.encodeIfPresent(scheduler, forKey: .scheduler)
    try container.encodeIfPresent(earlyStopping, forKey: .earlyStopping)
    try container.encode(dataFingerprint, forKey: .dataFingerprint)
  }

  /// What is wrong with the numbers (as read from a file), or nil.
  public var problem: String? {
    guard epochsDone >= 0, batchesDone >= 0, epochExamples >= 0, optimizerStep >= 0 else { return "a negative count" }
    guard epochTotals.isEmpty || epochTotals.count == epochTerms.count + 1 else { return "\(epochTotals.count) running sums for \(epochTerms.count) terms" }
    guard history.epochs.count <= epochsDone else { return "a history of \(history.epochs.count) epochs after \(epochsDone)" }
    return nil
  }
}

/// A run's state at a step, as `Trainer.fit` hands it to `Checkpointing.write` and takes it
/// back to resume. The weights are the model's own.
public struct RunSnapshot {
  public var progress: RunProgress
  /// The examples' order in the current epoch (`Batches.currentOrder`).
  public var order: [Int64]
  /// `Optimizer.stateTensors`.
  public var optimizerState: [String: Tensor]
  /// Early stopping's best weights, by parameter name (empty without early stopping).
  public var bestWeights: [String: Tensor]

  public init(progress: RunProgress, order: [Int64], optimizerState: [String: Tensor], bestWeights: [String: Tensor]) {
    self.progress = progress
    self.order = order
    self.optimizerState = optimizerState
    self.bestWeights = bestWeights
  }
}

/// When and how a run saves snapshots.
public struct Checkpointing {
  /// After every this-many epochs; 0 only when interrupted; nil every epoch for a run expected to
  /// last over a minute (judged after its first epoch), else only when interrupted.
  public var everyEpochs: Int?
  /// Saves a snapshot (with the model's weights as they are now), atomically.
  public var write: (RunSnapshot) throws -> Void
  /// Polled after each step: when true, the run saves a snapshot and throws `TrainingInterrupted`.
  public var interruptRequested: () -> Bool

  public init(everyEpochs: Int?, interruptRequested: @escaping () -> Bool = { false }, write: @escaping (RunSnapshot) throws -> Void) {
    self.everyEpochs = everyEpochs
    self.interruptRequested = interruptRequested
    self.write = write
  }
}

/// A run stopped on request after a step, its snapshot saved.
public struct TrainingInterrupted: Error, Equatable, CustomStringConvertible {
  /// The epoch and the step of it done last, of `batches`.
  public var epoch: Int, batch: Int, batches: Int

  public var description: String { "training interrupted after step \(batch) of \(batches) of epoch \(epoch)" }
}
