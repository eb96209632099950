import Autodiff
import Datasets
import NN
import TensorCore

/// Measures a model without training it: its objective's terms on a set (`terms(on:)`), how well it
/// reconstructs (`metrics(on:)`), and a variational model's test log-likelihood
/// (`negativeLogLikelihood(on:samples:)`).
///
/// Every random draw is seeded: a denoising model's inputs are corrupted with `seed`, and a
/// variational model's latent samples come from streams of it, one per example, so the same
/// evaluation gives the same figures whatever the batch size or thread count.
public struct Evaluator {
  public let model: Autoencoder
  /// The reconstruction loss and how a plain model's is reduced.
  public var loss: Loss
  public var reduction: LossReduction
  /// The corruption of a denoising model's inputs, or nil.
  public var noise: Noise?
  /// The seed of the corruption and of a variational model's latent samples.
  public var seed: UInt64
  /// A variational model's weight on its KL term in `loss`.
  public var beta: Float
  /// A codec's weight on its rate term in `loss`.
  public var rateWeight: Float
  /// The regularizers the model was trained with: terms of its objective here too, as Keras
  /// counts them in `val_loss`.
  public var sparsity: ActivityPenalty?
  public var weightPenalty: WeightPenalty?

  public init(model: Autoencoder, loss: Loss = .binaryCrossEntropy, reduction: LossReduction = .mean, noise: Noise? = nil,
              seed: UInt64 = 0x5EED_0F_7E57, beta: Float = 1, rateWeight: Float = 1, sparsity: ActivityPenalty? = nil,
              weightPenalty: WeightPenalty? = nil) {
    self.model = model
    self.loss = loss
    self.reduction = reduction
    self.noise = noise
    self.seed = seed
    self.beta = beta
    self.rateWeight = rateWeight
    self.sparsity = sparsity
    self.weightPenalty = weightPenalty
  }

  /// An evaluator with the settings a model was trained with (a model file's `training`), so its
  /// figures repeat the training's validation; untrained models get the defaults.
  public init(model: Autoencoder, trainedWith training: TrainingConfiguration?) {
    self.init(model: model, loss: training?.loss ?? .binaryCrossEntropy,
              reduction: training?.reduction ?? (model.isVariational ? .sum : .mean), noise: training?.noise,
              seed: training?.evaluationNoiseSeed ?? 0, beta: training?.beta ?? 1, rateWeight: training?.lambda ?? 1, sparsity: training?.sparsity,
              weightPenalty: training?.weightPenalty)
  }

  /// Every term of the objective, averaged over the examples of `set`: for a variational model the
  /// reconstruction of one latent sample per example and the KL term, weighted by `klWeight`
  /// (default `beta`) in the total.
  public func terms(on set: ImageSet, batchSize: Int = 1024, klWeight: Float? = nil) throws -> TermValues {
    var batches = try Batches(inferenceOn: set, batchSize: batchSize, for: model.architecture)
    let settings = ObjectiveSettings(loss: loss, reduction: reduction, klWeight: klWeight ?? beta, rateWeight: rateWeight, sparsity: sparsity,
                                     weightPenalty: weightPenalty)
    var totals: [(name: String, value: Double, weight: Float)] = []
    for index in 0..<batches.count {
      let batch = batches.batch(index)
      let first = index * batches.batchSize
      let input = corrupted(batch, firstExample: first)
      let terms = withoutGradients {
        model.terms(input: Variable(input), target: batch, settings: settings,
                    context: BatchContext(batchSize: batch.shape[0], firstExample: first, seed: samplingSeed))
          .map { ($0.name, $0.value.value.scalar, $0.weight) }
      }
      if totals.isEmpty { totals = terms.map { ($0.0, 0, $0.2) } }
      for (k, term) in terms.enumerated() { totals[k].value += Double(term.1) * Double(batch.shape[0]) }
    }
    let count = Double(max(set.count, 1))
    return TermValues(totals.map { ($0.name, Float($0.value / count), $0.weight) })
  }

  /// `batch` with the evaluation noise, or `batch` itself when the model is not denoising.
  public func corrupted(_ batch: Tensor, firstExample: Int) -> Tensor {
    noise.map { $0.corrupt(batch, seed: seed, firstExample: firstExample) } ?? batch
  }

  /// The seed of a variational model's latent samples in evaluation.
  var samplingSeed: UInt64 { seed ^ 0x1A7E_27 }
}
