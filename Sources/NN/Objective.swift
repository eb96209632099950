import Autodiff
import TensorCore

/// One term of a model's objective on a batch: its value, a scalar to be reduced per example or per
/// pixel as its unit says, and its weight in the sum that training differentiates.
///
/// A plain autoencoder's objective is one term, `reconstruction`; a variational one's is
/// `reconstruction` and `kl`, weighted by β. Training logs every term by name (`kl`, `val_kl`).
public struct LossTerm {
  /// The term's name in logs and histories: "reconstruction", "kl".
  public var name: String
  /// The term's value on the batch (a scalar).
  public var value: Variable
  /// Its weight in the objective.
  public var weight: Float

  public init(_ name: String, _ value: Variable, weight: Float = 1) {
    self.name = name
    self.value = value
    self.weight = weight
  }
}

/// The settings of an objective that come from how a model is trained, not from its layers.
public struct ObjectiveSettings: Sendable, Equatable {
  /// The reconstruction loss.
  public var loss: Loss
  /// How a plain autoencoder's reconstruction loss is reduced (a variational one's is per image).
  public var reduction: LossReduction
  /// The weight of the KL term (β, times the warm-up's factor this epoch).
  public var klWeight: Float
  /// The weight of a codec's rate term (λ in D + λ R, R in bits per pixel).
  public var rateWeight: Float
  /// A penalty on the code's activity (the term `sparsity`), or nil.
  public var sparsity: ActivityPenalty?
  /// A penalty on the weights (the term `weight_penalty`), or nil.
  public var weightPenalty: WeightPenalty?

  public init(loss: Loss = .binaryCrossEntropy, reduction: LossReduction = .mean, klWeight: Float = 1, rateWeight: Float = 1,
              sparsity: ActivityPenalty? = nil, weightPenalty: WeightPenalty? = nil) {
    self.loss = loss
    self.reduction = reduction
    self.klWeight = klWeight
    self.rateWeight = rateWeight
    self.sparsity = sparsity
    self.weightPenalty = weightPenalty
  }
}

/// Where a batch, or a shard of one, sits: the batch's size (so a shard's terms are its share of
/// the batch's), the index of its first example, and the seed of the batch's random draws (each
/// example draws from its own stream, `SplitMix64(seed:stream:)`).
public struct BatchContext: Sendable {
  public var batchSize: Int
  public var firstExample: Int
  public var seed: UInt64
  /// Called with each forward pass's reconstructions and their targets (a plain model's), for
  /// what the trainer measures as it goes (the anomaly scores of a calibration with no second pass).
  public var observeReconstructions: (@Sendable (_ context: BatchContext, _ output: Tensor, _ target: Tensor) -> Void)?

  public init(batchSize: Int, firstExample: Int = 0, seed: UInt64 = 0,
              observeReconstructions: (@Sendable (_ context: BatchContext, _ output: Tensor, _ target: Tensor) -> Void)? = nil) {
    self.batchSize = batchSize
    self.firstExample = firstExample
    self.seed = seed
    self.observeReconstructions = observeReconstructions
  }

  /// The seed of a variational model's latent samples: derived from `seed`, so they are not the
  /// draws that corrupt a denoising model's inputs with `seed` itself.
  public var samplingSeed: UInt64 { seed ^ 0x5A3F_1ED5_0C0D_E5ED }

  /// The batch a training step is computing its objective on, on this thread; nil otherwise (at
  /// inference and in evaluation). Layers that act only in training, as dropout, read it.
  @TaskLocal public static var training: BatchContext?
}
