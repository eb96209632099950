/// What happened in each epoch of training, as Keras's `History`.
public struct History: Codable, Equatable, Sendable {
  /// One epoch's results.
  public struct Epoch: Codable, Equatable, Sendable {
    /// The epoch's number, from 1.
    public var epoch: Int
    /// The mean training loss over the epoch's batches, weighted by batch size (as Keras reports it).
    public var loss: Float
    /// The loss on the validation data after the epoch, if there was any.
    public var validationLoss: Float?
    /// Wall-clock seconds for the epoch's training steps.
    public var seconds: Double
    /// Training examples per second.
    public var examplesPerSecond: Double

    public init(epoch: Int, loss: Float, validationLoss: Float?, seconds: Double, examplesPerSecond: Double) {
      self.epoch = epoch
      self.loss = loss
      self.validationLoss = validationLoss
      self.seconds = seconds
      self.examplesPerSecond = examplesPerSecond
    }

    enum CodingKeys: String, CodingKey {
      case epoch, loss, validationLoss = "val_loss", seconds, examplesPerSecond = "examples_per_second"
    }
  }

  /// The epochs, in order.
  public var epochs: [Epoch] = []

  public init(epochs: [Epoch] = []) { self.epochs = epochs }

  /// The training loss of each epoch (Keras's `history["loss"]`).
  public var loss: [Float] { epochs.map(\.loss) }
  /// The validation loss of each epoch (Keras's `history["val_loss"]`).
  public var validationLoss: [Float?] { epochs.map(\.validationLoss) }
}
