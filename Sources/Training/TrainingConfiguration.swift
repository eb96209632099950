import Datasets
import NN
import Optimizers
import TensorCore

/// How a model was trained: what its model file records, so a run can be repeated.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
  public var epochs: Int
  public var batchSize: Int
  public var shuffle: Bool
  /// The seed of the generator behind initialization, shuffling and noise.
  public var seed: UInt64
  public var loss: Loss
  public var reduction: LossReduction
  public var optimizer: OptimizerConfiguration
  /// The dataset folder.
  public var data: String
  /// What the validation loss was measured on: "test split" or "last 10% of training".
  public var validation: String
  /// Threads for matrix products and element-wise kernels.
  public var threads: Int
  /// The corruption of inputs for a denoising autoencoder, or nil.
  public var noise: Noise?
  /// A variational model's weight on the KL term (β-VAE), or nil for 1 and for plain models.
  public var beta: Float?
  /// Epochs over which a variational model's KL weight rose linearly from 0 to β, or nil.
  public var klWarmupEpochs: Int?
  /// A codec's weight on its rate term (λ in D + λ R, R in bits per pixel), or nil for other models.
  public var lambda: Float?
  /// A penalty on the code's activity (sparse autoencoders), or nil.
  public var sparsity: ActivityPenalty?
  /// A penalty on the weights, or nil.
  public var weightPenalty: WeightPenalty?
  /// The learning-rate schedule, or nil for a constant rate.
  public var schedule: LearningRateSchedule?
  /// Early stopping: the epochs without improvement it waits, and the least fall in the
  /// monitored loss that counts as one; nil for none.
  public var earlyStopping: EarlyStoppingSettings?
  /// Trained on the first this-many training examples only (`--limit`), or nil for all.
  public var limit: Int?
  /// The fraction of the training data held out for validation (`--validation-split`), or nil
  /// for the test split.
  public var validationSplit: Double?
  /// How the data was read (PNG folders' size and colour, a CSV's header and label column, an
  /// array's labels, the scaling), or nil for the defaults.
  public var reading: ReadingOptions?
  /// Trained (and validated) on examples of these classes only (`--classes`), or nil for all.
  public var classes: [Int]?
  /// Trained (and validated) without examples of these classes (`--exclude-classes`), or nil.
  public var excludedClasses: [Int]?

  /// Whether an example of class `label` is trained on.
  public func includes(label: Int) -> Bool {
    (classes?.contains(label) ?? true) && !(excludedClasses?.contains(label) ?? false)
  }

  public init(epochs: Int, batchSize: Int, shuffle: Bool = true, seed: UInt64, loss: Loss, reduction: LossReduction,
              optimizer: OptimizerConfiguration, data: String, validation: String, threads: Int, noise: Noise? = nil,
              beta: Float? = nil, klWarmupEpochs: Int? = nil) {
    self.epochs = epochs
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.seed = seed
    self.loss = loss
    self.reduction = reduction
    self.optimizer = optimizer
    self.data = data
    self.validation = validation
    self.threads = threads
    self.noise = noise
    self.beta = beta
    self.klWarmupEpochs = klWarmupEpochs
  }

  /// What is wrong with the configuration (as read from a model file), or nil: negative epochs,
  /// a batch size or thread count out of range, bad optimizer settings.
  public var problem: String? {
    guard epochs >= 0 else { return "epochs \(epochs) is negative" }
    guard batchSize > 0 else { return "batch size \(batchSize) is not positive" }
    guard (1...Limits.maximumThreads).contains(threads) else { return "threads \(threads) does not lie in 1...\(Limits.maximumThreads)" }
    if let beta, !(beta >= 0 && beta.isFinite) { return "beta \(beta) is not a non-negative number" }
    if let klWarmupEpochs, klWarmupEpochs < 0 { return "the KL warm-up \(klWarmupEpochs) is negative" }
    if let lambda, !(lambda >= 0 && lambda.isFinite) { return "lambda \(lambda) is not a non-negative number" }
    if let problem = sparsity?.problem { return "sparsity: \(problem)" }
    if let problem = weightPenalty?.problem { return "weight penalty: \(problem)" }
    if let problem = schedule?.problem { return "learning-rate schedule: \(problem)" }
    if let limit, limit < 1 { return "limit \(limit) is not positive" }
    if let validationSplit, !(validationSplit > 0 && validationSplit < 1) { return "validation split \(validationSplit) does not lie in (0, 1)" }
    if let earlyStopping, !(earlyStopping.patience >= 0 && earlyStopping.minimumDelta >= 0 && earlyStopping.minimumDelta.isFinite) {
      return "early stopping: the patience \(earlyStopping.patience) and minimum delta \(earlyStopping.minimumDelta) must be non-negative"
    }
    return optimizer.problem.map { "optimizer: \($0)" }
  }

  /// The seed of the fixed noise on validation inputs: derived from `seed`, so a model file's
  /// evaluation repeats its training's validation.
  public var evaluationNoiseSeed: UInt64 { seed ^ 0x5EED_0F_7E57 }

  enum CodingKeys: String, CodingKey {
    case epochs, batchSize = "batch_size", shuffle, seed, loss, reduction, optimizer, data, validation, threads, noise, beta
    case klWarmupEpochs = "kl_warmup_epochs", lambda, sparsity, weightPenalty = "weight_penalty", schedule = "learning_rate_schedule"
    case earlyStopping = "early_stopping", limit, validationSplit = "validation_split", reading, classes
    case excludedClasses = "excluded_classes"
  }
}

/// Early stopping's settings: stop after `patience` epochs in which the validation loss did not
/// fall by more than `minimumDelta` below its best, and keep the best epoch's weights.
public struct EarlyStoppingSettings: Codable, Equatable, Sendable {
  public var patience: Int
  public var minimumDelta: Float

  public init(patience: Int, minimumDelta: Float = 0) {
    self.patience = patience
    self.minimumDelta = minimumDelta
  }

  enum CodingKeys: String, CodingKey {
    case patience, minimumDelta = "min_delta"
  }
}
