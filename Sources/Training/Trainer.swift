import Autodiff
import Datasets
import Dispatch
import NN
import Optimizers
import TensorCore

/// Trains an autoencoder to reconstruct its input, as Keras's `model.fit(x, x, ...)`.
///
/// ```swift
/// let trainer = Trainer(model: autoencoder, optimizer: Adam(), loss: .binaryCrossEntropy)
/// var generator = SplitMix64(seed: 0)
/// let history = try trainer.fit(on: training, validation: test, epochs: 50, batchSize: 256,
///                               using: &generator, callbacks: [ProgressBar()])
/// ```
///
/// `fit` is this loop, which `step(input:target:)` exposes for custom training:
/// ```swift
/// for epoch in 1...epochs {
///   batches.shuffle(using: &generator)
///   for index in 0..<batches.count {
///     let batch = batches.batch(index)
///     let loss = trainer.step(input: batch, target: batch)   // forward, backward, update
///     guard loss.isFinite else { throw TrainingError.nonFiniteLoss(...) }
///   }
///   validationLoss = try trainer.evaluate(validation)
/// }
/// ```
public final class Trainer {
  public let model: Autoencoder
  public let optimizer: any Optimizer
  public let loss: Loss
  public let reduction: LossReduction
  /// Corruption of the inputs for a denoising autoencoder (targets stay clean), or nil.
  public let noise: Noise?
  /// The seed of the fixed noise on validation and evaluation inputs, so every epoch's validation
  /// loss is measured on the same noisy images.
  public let evaluationNoiseSeed: UInt64

  public init(model: Autoencoder, optimizer: any Optimizer, loss: Loss = .binaryCrossEntropy, reduction: LossReduction = .mean,
              noise: Noise? = nil, evaluationNoiseSeed: UInt64 = 0x5EED_0F_7E57) {
    self.model = model
    self.optimizer = optimizer
    self.loss = loss
    self.reduction = reduction
    self.noise = noise
    self.evaluationNoiseSeed = evaluationNoiseSeed
  }

  /// The fewest examples a shard of a data-parallel step holds: smaller batches run whole.
  public static let minimumShardRows = 32

  /// One training step: the loss of `model(input)` against `target`, its gradients, and an
  /// optimizer update. Returns the loss before the update.
  ///
  /// With more than one thread the batch is split by rows into one shard per thread, each
  /// differentiated on its own thread (data parallelism: one synchronization per step instead of
  /// one per operation); shards have at least `minimumShardRows` examples.
  @discardableResult
  public func step(input: Tensor, target: Tensor) -> Float {
    precondition(input.shape[0] == target.shape[0], "a batch of \(input.shape[0]) inputs for \(target.shape[0]) targets")
    return step(rows: input.shape[0]) { (input.rows($0), target.rows($0)) }
  }

  /// A step on a batch of `rows` examples whose shards `examples(rows)` gives as inputs and
  /// targets, called on the shard's own thread.
  private func step(rows: Int, _ examples: (Range<Int>) -> (input: Tensor, target: Tensor)) -> Float {
    let shards = Parallel.shards(ofRows: rows, minimumRows: Self.minimumShardRows)
    let (value, gradients) = valueWithGradient(at: model, shards: shards) { model, shard in
      let (input, target) = examples(shard)
      // The shard's share of the batch's loss (either reduction divides by the batch's size).
      return loss(predicted: model(Variable(input)), expected: target, reduction: reduction, batchSize: rows)
    }
    optimizer.update(model, along: gradients)
    return value
  }

  /// Trains for `epochs` passes over `training`, shuffling each epoch (Keras's `shuffle=True`)
  /// and evaluating `validation` after each.
  ///
  /// - Returns: The history of losses and timings.
  /// - Throws: before training, `DataError` when a set is empty or does not fit the model and
  ///   `MemoryBudget.Exceeded` when a step would need more memory than `budget`;
  ///   `TrainingError` when a step's loss or a validation loss is NaN or infinite; anything a
  ///   callback throws.
  public func fit(on training: ImageSet, validation: ImageSet? = nil, epochs: Int, batchSize: Int, shuffle: Bool = true,
                  using generator: inout some RandomNumberGenerator, callbacks: [any Callback] = [],
                  budget: MemoryBudget = .current) throws -> History {
    precondition(epochs >= 0 && batchSize > 0, "epochs must be non-negative and the batch size positive")
    guard training.count > 0 else { throw DataError.empty(source: training.source, role: "training", reason: "") }
    if let validation, validation.count == 0 { throw DataError.empty(source: validation.source, role: "validation", reason: "") }
    var batches = try Batches(training, batchSize: batchSize, for: model.architecture)
    if let validation { _ = try Batches(validation, batchSize: batchSize, for: model.architecture) }
    try model.architecture.checkTrainingMemory(batchSize: batches.batchSize, threads: Parallel.threads,
                                               optimizerSlots: optimizer.configuration.stateSlots, budget: budget)
    var callbacks = callbacks
    var history = History()
    var state = TrainingState()
    guard epochs > 0 else { return history }
    for epoch in 1...epochs {
      if shuffle { batches.shuffle(using: &generator) }
      let start = DispatchTime.now().uptimeNanoseconds
      var total: Double = 0, examples = 0
      for index in 0..<batches.count {
        let noiseSeed = noise == nil ? 0 : generator.next()
        let value = step(rows: batches.positions(ofBatch: index).count) { shard in
          // Each shard gathers (and corrupts) its own rows: example i's noise depends on i only.
          let clean = batches.batch(index, rows: shard)
          return (noise.map { $0.corrupt(clean, seed: noiseSeed, firstExample: shard.lowerBound) } ?? clean, clean)
        }
        guard value.isFinite else { throw TrainingError.nonFiniteLoss(value, epoch: epoch, batch: index + 1) }
        let rows = batches.positions(ofBatch: index).count
        total += Double(value) * Double(rows)
        examples += rows
        let progress = BatchProgress(epoch: epoch, epochs: epochs, batch: index + 1, batches: batches.count,
                                     loss: Float(total / Double(examples)), examples: examples, seconds: seconds(since: start))
        for i in callbacks.indices { try callbacks[i].onBatchEnd(progress, state: &state) }
      }
      let elapsed = seconds(since: start)
      let validationLoss = try validation.map { try evaluate($0, batchSize: max(batchSize, 1024)) }
      if let validationLoss, !validationLoss.isFinite { throw TrainingError.nonFiniteValidationLoss(validationLoss, epoch: epoch) }
      let record = History.Epoch(epoch: epoch, loss: Float(total / Double(max(examples, 1))), validationLoss: validationLoss,
                                 seconds: elapsed, examplesPerSecond: Double(examples) / max(elapsed, 1e-9))
      history.epochs.append(record)
      for i in callbacks.indices { try callbacks[i].onEpochEnd(record, of: epochs, state: &state) }
      if state.shouldStop { break }
    }
    return history
  }

  /// The mean loss over every example of `set` (weighted by batch size), without training; for a
  /// denoising model, of the reconstructions of the inputs corrupted by `noise` (with the fixed
  /// `evaluationNoiseSeed`, the same whatever the batch size) against the clean ones.
  public func evaluate(_ set: ImageSet, batchSize: Int = 1024) throws -> Float {
    var batches = try Batches(inferenceOn: set, batchSize: batchSize, for: model.architecture)
    var total: Double = 0
    for index in 0..<batches.count {
      let batch = batches.batch(index)
      let input = corruptedForEvaluation(batch, firstExample: index * batches.batchSize)
      let value = withoutGradients { loss(predicted: model(Variable(input)), expected: batch, reduction: reduction).value.scalar }
      total += Double(value) * Double(batch.shape[0])
    }
    return Float(total / Double(max(set.count, 1)))
  }

  /// `batch` with the evaluation noise, or `batch` itself when the model is not denoising.
  public func corruptedForEvaluation(_ batch: Tensor, firstExample: Int) -> Tensor {
    noise.map { $0.corrupt(batch, seed: evaluationNoiseSeed, firstExample: firstExample) } ?? batch
  }

  private func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}

/// Training that cannot go on.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
  /// A step's loss was NaN or infinite.
  case nonFiniteLoss(Float, epoch: Int, batch: Int)
  /// The loss on the validation data was NaN or infinite after an epoch.
  case nonFiniteValidationLoss(Float, epoch: Int)

  public var description: String {
    switch self {
    case .nonFiniteLoss(let value, let epoch, let batch):
      "the loss became \(value.spelledOut) at epoch \(epoch), batch \(batch); try a lower --learning-rate, or check the data for NaN"
    case .nonFiniteValidationLoss(let value, let epoch):
      "val_loss became \(value.spelledOut) after epoch \(epoch) (the training loss was finite); try a lower --learning-rate, or check the "
        + "validation data for NaN"
    }
  }
}
