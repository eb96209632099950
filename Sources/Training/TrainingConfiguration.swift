import NN
import Optimizers

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

  public init(epochs: Int, batchSize: Int, shuffle: Bool = true, seed: UInt64, loss: Loss, reduction: LossReduction,
              optimizer: OptimizerConfiguration, data: String, validation: String, threads: Int, noise: Noise? = nil) {
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
  }

  /// The seed of the fixed noise on validation inputs: derived from `seed`, so a model file's
  /// evaluation repeats its training's validation.
  public var evaluationNoiseSeed: UInt64 { seed ^ 0x5EED_0F_7E57 }

  enum CodingKeys: String, CodingKey {
    case epochs, batchSize = "batch_size", shuffle, seed, loss, reduction, optimizer, data, validation, threads, noise
  }
}
