/// Stops training when the validation loss has not improved by `minimumDelta` for `patience`
/// epochs, as Keras's `EarlyStopping(monitor="val_loss")`.
public struct EarlyStopping: Callback {
  public let patience: Int
  public let minimumDelta: Float
  /// The best validation loss seen, and its epoch.
  public private(set) var best: (loss: Float, epoch: Int)?
  private var wait = 0

  public init(patience: Int, minimumDelta: Float = 0) {
    precondition(patience >= 0, "patience must be non-negative")
    self.patience = patience
    self.minimumDelta = minimumDelta
  }

  public mutating func onEpochEnd(_ epoch: History.Epoch, of epochs: Int, state: inout TrainingState) throws {
    guard let loss = epoch.validationLoss else { return }
    if let best, loss > best.loss - minimumDelta {
      wait += 1
      if wait >= patience { state.shouldStop = true }
    } else {
      best = (loss, epoch.epoch)
      wait = 0
    }
  }
}
