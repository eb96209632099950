/// What happened in each epoch of training, as Keras's `History`.
public struct History: Codable, Equatable, Sendable {
  /// One epoch's results, as Keras's logs: `loss` and `val_loss`, and for an objective of
  /// several terms each term by name and with `val_` (`kl`, `val_kl`).
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
    /// Each term of an objective of several terms, mean over the epoch's examples (empty for one term).
    public var terms: [String: Float] = [:]
    /// Each term on the validation data.
    public var validationTerms: [String: Float]?
    /// A variational model's KL weight at the end of the epoch (β, or less during a warm-up).
    public var klWeight: Float?
    /// The learning rate of the epoch's last step, where a schedule changes it.
    public var learningRate: Float?

    public init(epoch: Int, loss: Float, validationLoss: Float?, seconds: Double, examplesPerSecond: Double) {
      self.epoch = epoch
      self.loss = loss
      self.validationLoss = validationLoss
      self.seconds = seconds
      self.examplesPerSecond = examplesPerSecond
    }

    /// The fixed keys; any other key is a term (`kl`) or a validation term (`val_kl`).
    static let fixedKeys = ["epoch", "loss", "val_loss", "seconds", "examples_per_second", "kl_weight", "learning_rate"]

    struct Key: CodingKey {
      let stringValue: String
      init(_ string: String) { stringValue = string }
      init?(stringValue: String) { self.stringValue = stringValue }
      var intValue: Int? { nil }
      init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Key.self)
      epoch = try container.decode(Int.self, forKey: Key("epoch"))
      loss = try container.decode(Float.self, forKey: Key("loss"))
      validationLoss = try container.decodeIfPresent(Float.self, forKey: Key("val_loss"))
      seconds = try container.decode(Double.self, forKey: Key("seconds"))
      examplesPerSecond = try container.decode(Double.self, forKey: Key("examples_per_second"))
      klWeight = try container.decodeIfPresent(Float.self, forKey: Key("kl_weight"))
      learningRate = try container.decodeIfPresent(Float.self, forKey: Key("learning_rate"))
      var validation: [String: Float] = [:]
      for key in container.allKeys where !Self.fixedKeys.contains(key.stringValue) {
        let value = try container.decode(Float.self, forKey: key)
        if key.stringValue.hasPrefix("val_") { validation[String(key.stringValue.dropFirst(4))] = value } else { terms[key.stringValue] = value }
      }
      validationTerms = validation.isEmpty ? nil : validation
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Key.self)
      try container.encode(epoch, forKey: Key("epoch"))
      try container.encode(loss, forKey: Key("loss"))
      try container.encodeIfPresent(validationLoss, forKey: Key("val_loss"))
      try container.encode(seconds, forKey: Key("seconds"))
      try container.encode(examplesPerSecond, forKey: Key("examples_per_second"))
      try container.encodeIfPresent(klWeight, forKey: Key("kl_weight"))
      try container.encodeIfPresent(learningRate, forKey: Key("learning_rate"))
      for (name, value) in terms { try container.encode(value, forKey: Key(name)) }
      for (name, value) in validationTerms ?? [:] { try container.encode(value, forKey: Key("val_\(name)")) }
    }
  }

  /// The epochs, in order.
  public var epochs: [Epoch] = []
  /// The epoch whose weights the model holds, when early stopping restored its best epoch's
  /// weights after later epochs; nil when the model holds the last epoch's.
  public var restoredEpoch: Int?

  public init(epochs: [Epoch] = [], restoredEpoch: Int? = nil) {
    self.epochs = epochs
    self.restoredEpoch = restoredEpoch
  }

  enum CodingKeys: String, CodingKey {
    case epochs, restoredEpoch = "restored_epoch"
  }

  /// The training loss of each epoch (Keras's `history["loss"]`).
  public var loss: [Float] { epochs.map(\.loss) }
  /// The validation loss of each epoch (Keras's `history["val_loss"]`).
  public var validationLoss: [Float?] { epochs.map(\.validationLoss) }
  /// Whether the `window` epochs ending at index `index` each raised the validation loss while
  /// lowering the training loss: the sign of overfitting the epoch line and `info` point out.
  public func isOverfitting(at index: Int, window: Int = 3) -> Bool {
    guard index >= window, index < epochs.count else { return false }
    return (index - window + 1...index).allSatisfy { i in
      guard let now = epochs[i].validationLoss, let before = epochs[i - 1].validationLoss else { return false }
      return now > before && epochs[i].loss < epochs[i - 1].loss
    }
  }

  /// Where the gap between training and validation loss opened: the last epoch before the first
  /// run of `window` epochs that raised the validation loss while lowering the training loss
  /// (`isOverfitting`); nil if there was none.
  public func overfittingOnset(window: Int = 3) -> Int? {
    epochs.indices.first { isOverfitting(at: $0, window: window) }.map { epochs[$0 - window].epoch }
  }

  /// The names of the objective's terms, where it has several ("reconstruction", "kl").
  public var termNames: [String] { epochs.first.map { $0.terms.keys.sorted { ($0 == "reconstruction" ? 0 : 1, $0) < ($1 == "reconstruction" ? 0 : 1, $1) } } ?? [] }
}
