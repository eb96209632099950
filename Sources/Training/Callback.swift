/// Progress of training within an epoch, after each batch.
public struct BatchProgress: Sendable {
  /// The epoch, from 1, and the number of epochs.
  public var epoch: Int, epochs: Int
  /// Batches done in this epoch, and per epoch.
  public var batch: Int, batches: Int
  /// The mean training loss so far this epoch.
  public var loss: Float
  /// Examples trained on so far this epoch.
  public var examples: Int
  /// Seconds since the epoch began.
  public var seconds: Double
  /// For an objective of several terms, each term's mean so far this epoch, in order.
  public var terms: [(name: String, value: Float)]

  public init(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Float, examples: Int, seconds: Double,
              terms: [(name: String, value: Float)] = []) {
    (self.epoch, self.epochs, self.batch, self.batches) = (epoch, epochs, batch, batches)
    (self.loss, self.examples, self.seconds, self.terms) = (loss, examples, seconds, terms)
  }
}

/// Whether training goes on: callbacks set `shouldStop` to end it after the current epoch.
public struct TrainingState: Sendable {
  public var shouldStop = false
  public init() {}
}

/// Hooks into `Trainer.fit`, as Keras's callbacks; every method does nothing unless implemented.
public protocol Callback {
  /// After each training step.
  mutating func onBatchEnd(_ progress: BatchProgress, state: inout TrainingState) throws
  /// After each epoch, its validation included.
  mutating func onEpochEnd(_ epoch: History.Epoch, of epochs: Int, state: inout TrainingState) throws
  /// After the last epoch (or the one a callback stopped at), before `fit` returns `history`.
  mutating func onTrainEnd(_ history: inout History) throws
}

extension Callback {
  public mutating func onBatchEnd(_ progress: BatchProgress, state: inout TrainingState) throws {}
  public mutating func onEpochEnd(_ epoch: History.Epoch, of epochs: Int, state: inout TrainingState) throws {}
  public mutating func onTrainEnd(_ history: inout History) throws {}
}
