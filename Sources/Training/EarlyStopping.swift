import NN
import TensorCore

/// Stops training when the validation loss (the training loss, without validation data) has not
/// fallen below its best by more than `minimumDelta` for `patience` epochs, as Keras's
/// `EarlyStopping(monitor="val_loss", restore_best_weights=True)`.
///
/// Given a model, it keeps a copy of the weights of the best epoch and puts them back when
/// training ends (whether it stopped early or ran out of epochs; Keras 3 restores only when it
/// stops), recording the epoch in `History.restoredEpoch`.
public struct EarlyStopping: Callback {
  public let patience: Int
  public let minimumDelta: Float
  /// Where it stands: the best loss and its epoch, the epochs waited since, and where it stopped.
  public private(set) var progress = Progress(bestLoss: nil, bestEpoch: nil, wait: 0, stoppedEpoch: nil)
  private let model: (any Module)?
  /// The best epoch's weights, in the order of the model's `namedParameters` (empty until an
  /// epoch ends, or without a model).
  public internal(set) var bestWeights: [Tensor] = []

  /// - Parameter model: The model whose best weights to restore at the end, or nil to leave the
  ///   last epoch's.
  public init(patience: Int, minimumDelta: Float = 0, restoringBestWeightsOf model: (any Module)? = nil) {
    precondition(patience >= 0 && minimumDelta >= 0, "patience and the minimum delta must be non-negative")
    self.patience = patience
    self.minimumDelta = minimumDelta
    self.model = model
  }

  /// Early stopping's state, which a checkpoint saves.
  public struct Progress: Codable, Equatable, Sendable {
    public var bestLoss: Float?
    public var bestEpoch: Int?
    public var wait: Int
    public var stoppedEpoch: Int?

    public init(bestLoss: Float?, bestEpoch: Int?, wait: Int, stoppedEpoch: Int?) {
      self.bestLoss = bestLoss
      self.bestEpoch = bestEpoch
      self.wait = wait
      self.stoppedEpoch = stoppedEpoch
    }

    enum CodingKeys: String, CodingKey {
      case bestLoss = "best_loss", bestEpoch = "best_epoch", wait, stoppedEpoch = "stopped_epoch"
    }
  }

  /// The best loss seen, and its epoch.
  public var best: (loss: Float, epoch: Int)? {
    guard let loss = progress.bestLoss, let epoch = progress.bestEpoch else { return nil }
    return (loss, epoch)
  }

  /// The epoch training stopped after, if it stopped early.
  public var stoppedEpoch: Int? { progress.stoppedEpoch }

  /// Continues from a checkpoint's `progress` and best weights.
  public mutating func resume(from progress: Progress, bestWeights: [Tensor]) {
    self.progress = progress
    self.bestWeights = bestWeights
  }

  public mutating func onEpochEnd(_ epoch: History.Epoch, of epochs: Int, state: inout TrainingState) throws {
    let loss = epoch.validationLoss ?? epoch.loss
    if best == nil || loss < best!.loss - minimumDelta {
      (progress.bestLoss, progress.bestEpoch, progress.wait) = (loss, epoch.epoch, 0)
      // Copies share storage until the optimizer next writes a parameter (copy on write).
      if let model { bestWeights = model.namedParameters.map(\.parameter.value) }
    } else {
      progress.wait += 1
      if progress.wait >= patience {
        state.shouldStop = true
        progress.stoppedEpoch = epoch.epoch
      }
    }
  }

  public mutating func onTrainEnd(_ history: inout History) throws {
    guard let model, let best, best.epoch != history.epochs.last?.epoch, !bestWeights.isEmpty else { return }
    for ((_, parameter), weights) in zip(model.namedParameters, bestWeights) {
      parameter.updateValue { $0 = weights }
    }
    history.restoredEpoch = best.epoch
    bestWeights = []
  }
}
