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
  /// The seed of the fixed noise on validation and evaluation inputs (and of a variational
  /// model's latent samples there), so every epoch's validation loss is measured on the same draws.
  public let evaluationNoiseSeed: UInt64
  /// A variational model's weight on its KL term (β-VAE; 1 is the evidence lower bound).
  public let beta: Float
  /// Epochs over which the KL term's weight rises linearly from 0 to `beta`, step by step (0: none).
  public let klWarmupEpochs: Int
  /// A codec's weight on its rate term (λ in D + λ R).
  public let rateWeight: Float
  /// A penalty on the code's activity (the term `sparsity`), or nil.
  public let sparsity: ActivityPenalty?
  /// A penalty on the weights (the term `weight_penalty`), or nil.
  public let weightPenalty: WeightPenalty?
  /// How the optimizer's learning rate changes over the run, or nil for a constant rate.
  public let schedule: LearningRateSchedule?
  /// Stop when the monitored loss stops falling, and keep the best epoch's weights; or nil.
  public let earlyStopping: EarlyStoppingSettings?
  /// Scores every training example's reconstruction in the forward passes of training itself
  /// (`lastEpochScores`), so a model can be calibrated with no second pass over the data; nil for none.
  public var scoringTrainingExamples: AnomalyScorer?
  /// The anomaly scores of the training examples (in data order) in the last epoch's forward
  /// passes, when `scoringTrainingExamples` was set and they are the final weights' scores in all but
  /// the last steps' updates: nil when the model is variational, denoising or has dropout (training
  /// passes see other inputs or outputs than scoring), when the epoch was resumed part way, or when
  /// early stopping restored an earlier epoch's weights.
  public private(set) var lastEpochScores: [Float]?

  public init(model: Autoencoder, optimizer: any Optimizer, loss: Loss = .binaryCrossEntropy, reduction: LossReduction = .mean,
              noise: Noise? = nil, evaluationNoiseSeed: UInt64 = 0x5EED_0F_7E57, beta: Float = 1, klWarmupEpochs: Int = 0,
              rateWeight: Float = 1, sparsity: ActivityPenalty? = nil, weightPenalty: WeightPenalty? = nil, schedule: LearningRateSchedule? = nil,
              earlyStopping: EarlyStoppingSettings? = nil) {
    precondition(beta >= 0 && beta.isFinite && klWarmupEpochs >= 0, "β must be a non-negative number and the warm-up non-negative")
    precondition(sparsity?.problem == nil && weightPenalty?.problem == nil && schedule?.problem == nil, "a regularizer or schedule out of range")
    self.model = model
    self.optimizer = optimizer
    self.loss = loss
    self.reduction = reduction
    self.noise = noise
    self.evaluationNoiseSeed = evaluationNoiseSeed
    self.beta = beta
    self.klWarmupEpochs = klWarmupEpochs
    self.rateWeight = rateWeight
    self.sparsity = sparsity
    self.weightPenalty = weightPenalty
    self.schedule = schedule
    self.earlyStopping = earlyStopping
  }

  /// The fewest examples a shard of a data-parallel step holds: smaller batches run whole.
  public static let minimumShardRows = 32
  /// The same for a variational model. Its presets' 400- and 512-wide dense layers train batches
  /// of 128 faster whole, each product split across the threads by columns, than as two shards of
  /// 64 rows, whose weight gradients are products over 64 rows summed afterwards (on this
  /// project's machine, 1.6 s against 2.7 s an epoch for 784-512-2). Plain models keep 32, so their
  /// steps, and their results bit for bit, are as before.
  public static let minimumVariationalShardRows = 128

  /// The fewest examples a shard of this trainer's steps holds.
  public var minimumShardRows: Int {
    // A batch statistic (Ng's KL sparsity) is computed on whole batches.
    if sparsity?.needsWholeBatch == true { return Int.max }
    return model.isVariational ? Self.minimumVariationalShardRows : Self.minimumShardRows
  }

  /// The values a shard's activations may hold for it to take its rows through the model at once
  /// (2 MB of floats, a share of the last-level cache): a larger shard runs in pieces.
  public static let pieceValues = 1 << 19
  /// The fewest rows a piece holds.
  public static let minimumPieceRows = 8

  /// The most rows a shard takes through the model at once. A fully convolutional model whose
  /// shard's activations exceed `pieceValues` runs it in pieces of at least `minimumPieceRows`,
  /// which the threads take one at a time, so that each layer reads its input from cache and
  /// a step holds a few pieces' activations, not its shards (keras-io's denoiser: pieces of 8 rows,
  /// peak memory 175 → 95 MB; the Keras blog's conv model: 13, 117 → 95 MB; epoch times the same
  /// within this machine's noise, the denoiser's 4% less at the median of 13 alternating pairs). Whole for every
  /// other model (products over fewer rows run slower: dense and recurrent layers) and for a batch
  /// statistic.
  public var rowsPerPiece: Int {
    guard sparsity?.needsWholeBatch != true, model.architecture.isFullyConvolutional,
          let values = try? model.architecture.activationValuesPerExample(), values > 0 else { return .max }
    return max(Self.minimumPieceRows, Self.pieceValues / values)
  }

  /// The objective's settings with the KL term weighted by `klWeight`.
  public func settings(klWeight: Float? = nil) -> ObjectiveSettings {
    ObjectiveSettings(loss: loss, reduction: reduction, klWeight: klWeight ?? beta, rateWeight: rateWeight, sparsity: sparsity,
                      weightPenalty: weightPenalty)
  }

  /// The KL term's weight after `steps` of `stepsPerEpoch`: `beta`, ramped up linearly over the
  /// first `klWarmupEpochs` epochs.
  public func klWeight(afterSteps steps: Int, stepsPerEpoch: Int) -> Float {
    guard klWarmupEpochs > 0 else { return beta }
    return beta * min(1, Float(steps) / Float(klWarmupEpochs * max(stepsPerEpoch, 1)))
  }

  /// One training step: the loss of `model(input)` against `target`, its gradients, and an
  /// optimizer update. Returns the loss before the update.
  ///
  /// With more than one thread the batch is split by rows into one shard per thread, each
  /// differentiated on its own thread (data parallelism: one synchronization per step instead of
  /// one per operation); shards have at least `minimumShardRows` examples, and run in pieces of at
  /// most `rowsPerPiece`.
  @discardableResult
  public func step(input: Tensor, target: Tensor, seed: UInt64 = 0) -> Float {
    stepTerms(input: input, target: target, seed: seed).total
  }

  /// `step(input:target:)`, returning every term of the objective.
  @discardableResult
  public func stepTerms(input: Tensor, target: Tensor, seed: UInt64 = 0) -> TermValues {
    precondition(input.shape[0] == target.shape[0], "a batch of \(input.shape[0]) inputs for \(target.shape[0]) targets")
    return step(rows: input.shape[0], settings: settings(), seed: seed) { (input.rows($0), target.rows($0)) }
  }

  /// A step on a batch of `rows` examples whose shards `examples(rows)` gives as inputs and
  /// targets, called on the shard's own thread.
  private func step(rows: Int, settings: ObjectiveSettings, seed: UInt64,
                    observing observe: (@Sendable (BatchContext, Tensor, Tensor) -> Void)? = nil,
                    _ examples: (Range<Int>) -> (input: Tensor, target: Tensor)) -> TermValues
  {
    let shards = Parallel.shards(ofRows: rows, minimumRows: minimumShardRows)
    let (terms, gradients) = termsWithGradient(at: model, shards: shards, rowsPerPiece: rowsPerPiece) { model, shard in
      let (input, target) = examples(shard)
      // The shard's share of the batch's terms (each divides by the batch's size); layers that
      // act only in training (dropout) see the batch.
      let context = BatchContext(batchSize: rows, firstExample: shard.lowerBound, seed: seed, observeReconstructions: observe)
      return BatchContext.$training.withValue(context) {
        model.terms(input: Variable(input), target: target, settings: settings, context: context)
      }
    }
    optimizer.update(model, along: gradients)
    return terms
  }

  /// Trains for `epochs` passes over `training`, shuffling each epoch (Keras's `shuffle=True`)
  /// and evaluating `validation` after each.
  ///
  /// With `checkpointing`, the run saves snapshots (after epochs, and after the current step
  /// when an interruption is requested, then throwing `TrainingInterrupted`); given one of those
  /// snapshots in `resuming` (and the model holding the weights saved with it), it continues
  /// where the snapshot was taken, and ends with the weights the uninterrupted run would have,
  /// bit for bit, on the same threads. Both need `generator` to be a `SplitMix64`.
  ///
  /// - Returns: The history of losses (and, for an objective of several terms, of each term) and
  ///   timings.
  /// - Throws: before training, `DataError` when a set is empty or does not fit the model (or a
  ///   snapshot's order does not fit it) and `MemoryBudget.Exceeded` when a step would need more
  ///   memory than `budget`; `TrainingError` when a step's loss or term, or a validation loss, is
  ///   NaN or infinite; `TrainingInterrupted`; anything a callback or `checkpointing.write` throws.
  public func fit<Generator: RandomNumberGenerator>(
    on training: ImageSet, validation: ImageSet? = nil, epochs: Int, batchSize: Int, shuffle: Bool = true,
    using generator: inout Generator, callbacks: [any Callback] = [], budget: MemoryBudget = .current,
    resuming saved: RunSnapshot? = nil, checkpointing: Checkpointing? = nil
  ) throws -> History {
    precondition(epochs >= 0 && batchSize > 0, "epochs must be non-negative and the batch size positive")
    precondition((saved == nil && checkpointing == nil) || Generator.self == SplitMix64.self, "checkpoints need a SplitMix64 generator")
    guard training.count > 0 else { throw DataError.empty(source: training.source, role: "training", reason: "") }
    if let validation, validation.count == 0 { throw DataError.empty(source: validation.source, role: "validation", reason: "") }
    var batches = try Batches(training, batchSize: batchSize, for: model.architecture)
    if let validation { _ = try Batches(validation, batchSize: batchSize, for: model.architecture) }
    try model.architecture.checkTrainingMemory(batchSize: batches.batchSize, threads: Parallel.threads,
                                               optimizerSlots: optimizer.configuration.stateSlots, budget: budget)
    var callbacks = callbacks
    var state = TrainingState()
    var scheduler = schedule.map {
      LearningRateScheduler($0, initialRate: optimizer.learningRate, stepsPerEpoch: batches.count, epochs: epochs)
    }
    var stopping = earlyStopping.map { EarlyStopping(patience: $0.patience, minimumDelta: $0.minimumDelta, restoringBestWeightsOf: model) }
    // Where the run starts: epoch 1, batch 0, or where a snapshot left it.
    // The data's fingerprint is taken when a snapshot first needs it (a pass over the data).
    var progress = RunProgress(history: History(), optimizerStep: optimizer.step, dataFingerprint: "")
    if let saved {
      let fingerprint = training.fingerprint
      guard saved.progress.dataFingerprint == fingerprint else {
        throw DataError.changed(source: training.source, saved: saved.progress.dataFingerprint, now: fingerprint)
      }
      try batches.restore(order: saved.order)
      try optimizer.restore(step: saved.progress.optimizerStep, state: saved.optimizerState)
      generator = SplitMix64(seed: saved.progress.generatorState) as! Generator
      progress = saved.progress
      if let state = saved.progress.scheduler { scheduler = state }
      if let state = saved.progress.earlyStopping {
        stopping?.resume(from: state, bestWeights: model.namedParameters.compactMap { saved.bestWeights[$0.name] })
      }
    }
    var history = progress.history
    // A snapshot from the run's last epoch, or from where early stopping stopped it, has no
    // epochs left: the run only ends (restoring the best weights).
    let firstEpoch = progress.earlyStopping?.stoppedEpoch != nil ? epochs + 1 : progress.epochsDone + 1
    let drawsSeeds = noise != nil || model.isVariational || model.bottleneck != nil || model.architecture.hasDropout
    var checkpointEvery = checkpointing?.everyEpochs

    /// The run's state now, `batchesDone` steps into the epoch after `epochsDone`.
    func currentSnapshot(epochsDone: Int, batchesDone: Int, partial: (names: [String], totals: [Double], examples: Int, seconds: Double)) -> RunSnapshot {
      if progress.dataFingerprint.isEmpty { progress.dataFingerprint = training.fingerprint }
      var progress = progress
      (progress.epochsDone, progress.batchesDone, progress.history) = (epochsDone, batchesDone, history)
      (progress.epochTerms, progress.epochTotals, progress.epochExamples, progress.epochSeconds) = partial
      progress.generatorState = (generator as! SplitMix64).state
      progress.optimizerStep = optimizer.step
      progress.scheduler = scheduler
      progress.earlyStopping = stopping?.progress
      let names = model.namedParameters.map(\.name)
      return RunSnapshot(progress: progress, order: batches.currentOrder, optimizerState: optimizer.stateTensors,
                         bestWeights: Dictionary(uniqueKeysWithValues: zip(names, stopping?.bestWeights ?? [])))
    }

    // Each example's score in this epoch's forward passes, where asked for (each shard writes its rows' own slots).
    let scoring = scoringTrainingExamples.flatMap { model.isVariational || model.bottleneck != nil || noise != nil || model.architecture.hasDropout ? nil : $0 }
    let epochScores = UnsafeMutableBufferPointer<Float>.allocate(capacity: scoring == nil ? 0 : training.count)
    defer { epochScores.deallocate() }
    var scoredEpoch: Int?
    lastEpochScores = nil

    for epoch in firstEpoch..<max(epochs + 1, firstEpoch) {
      // A snapshot taken within this epoch resumes after its last step, in its order.
      let resumed = epoch == progress.epochsDone + 1 && progress.batchesDone > 0
      if shuffle && !resumed { batches.shuffle(using: &generator) }
      let order = UnsafeSendable(scoring == nil ? [] : batches.currentOrder)
      let start = DispatchTime.now().uptimeNanoseconds
      var (names, totals, examples) = resumed ? (progress.epochTerms, progress.epochTotals, progress.epochExamples) : ([], [], 0)
      let carried = resumed ? progress.epochSeconds : 0
      var klWeight = beta
      for index in (resumed ? progress.batchesDone : 0)..<batches.count {
        let seed = drawsSeeds ? generator.next() : 0
        let step = (epoch - 1) * batches.count + index
        klWeight = self.klWeight(afterSteps: step, stepsPerEpoch: batches.count)
        if let scheduler { optimizer.learningRate = scheduler.rate(atStep: step) }
        let rows = batches.positions(ofBatch: index).count
        var observe: (@Sendable (BatchContext, Tensor, Tensor) -> Void)?
        if let scoring {
          let (slots, first) = (UnsafeSendable(epochScores.baseAddress!), batches.positions(ofBatch: index).lowerBound)
          observe = { context, output, target in
            var scores = [Float](repeating: 0, count: output.shape[0])
            target.withUnsafeBufferPointer { x in
              output.withUnsafeBufferPointer { y in scoring.scores(input: x.baseAddress!, output: y.baseAddress!, rows: output.shape[0], into: &scores) }
            }
            for (row, score) in scores.enumerated() { slots.value[Int(order.value[first + context.firstExample + row])] = score }
          }
        }
        let terms = self.step(rows: rows, settings: settings(klWeight: klWeight), seed: seed, observing: observe) { shard in
          // Each shard gathers (and corrupts) its own rows: example i's noise depends on i only.
          let clean = batches.batch(index, rows: shard)
          return (noise.map { $0.corrupt(clean, seed: seed, firstExample: shard.lowerBound) } ?? clean, clean)
        }
        if let bad = terms.terms.first(where: { !$0.value.isFinite }), terms.terms.count > 1 {
          throw TrainingError.nonFiniteLoss(bad.value, epoch: epoch, batch: index + 1, term: bad.name)
        }
        guard terms.total.isFinite else { throw TrainingError.nonFiniteLoss(terms.total, epoch: epoch, batch: index + 1) }
        if totals.isEmpty { (names, totals) = (terms.terms.map(\.name), Array(repeating: 0, count: terms.terms.count + 1)) }
        totals[0] += Double(terms.total) * Double(rows)
        for (k, term) in terms.terms.enumerated() { totals[k + 1] += Double(term.value) * Double(rows) }
        examples += rows
        let seconds = carried + seconds(since: start)
        let progress = BatchProgress(epoch: epoch, epochs: epochs, batch: index + 1, batches: batches.count,
                                     loss: Float(totals[0] / Double(examples)), examples: examples, seconds: seconds,
                                     terms: names.count > 1 ? zip(names, totals.dropFirst()).map { ($0, Float($1 / Double(examples))) } : [])
        for i in callbacks.indices { try callbacks[i].onBatchEnd(progress, state: &state) }
        if let checkpointing, checkpointing.interruptRequested() {
          try checkpointing.write(currentSnapshot(epochsDone: epoch - 1, batchesDone: index + 1, partial: (names, totals, examples, seconds)))
          throw TrainingInterrupted(epoch: epoch, batch: index + 1, batches: batches.count)
        }
      }
      scoredEpoch = resumed ? nil : epoch
      let elapsed = carried + seconds(since: start)
      let validationTerms = try validation.map { try evaluator.terms(on: $0, batchSize: max(batchSize, 1024), klWeight: klWeight) }
      if let validationTerms, !validationTerms.total.isFinite {
        throw TrainingError.nonFiniteValidationLoss(validationTerms.total, epoch: epoch)
      }
      var record = History.Epoch(epoch: epoch, loss: Float(totals[0] / Double(max(examples, 1))), validationLoss: validationTerms?.total,
                                 seconds: elapsed, examplesPerSecond: Double(examples) / max(elapsed, 1e-9))
      if names.count > 1 {
        record.terms = Dictionary(uniqueKeysWithValues: zip(names, totals.dropFirst().map { Float($0 / Double(max(examples, 1))) }))
        record.validationTerms = validationTerms.map { Dictionary(uniqueKeysWithValues: $0.terms.map { ($0.name, $0.value) }) }
        if model.isVariational { record.klWeight = klWeight }
      }
      if scheduler != nil {
        record.learningRate = optimizer.learningRate
        scheduler!.epochEnded(loss: validationTerms?.total ?? record.loss)
      }
      history.epochs.append(record)
      for i in callbacks.indices { try callbacks[i].onEpochEnd(record, of: epochs, state: &state) }
      try stopping?.onEpochEnd(record, of: epochs, state: &state)
      if let checkpointing {
        // By default, every epoch of a run expected to last over a minute (judged after its first epoch here).
        if checkpointEvery == nil { checkpointEvery = elapsed * Double(epochs - epoch + 1) > 60 ? 1 : 0 }
        let every = checkpointEvery ?? 0
        if every > 0, epoch % every == 0 || epoch == epochs || state.shouldStop {
          try checkpointing.write(currentSnapshot(epochsDone: epoch, batchesDone: 0, partial: ([], [], 0, 0)))
        }
      }
      if state.shouldStop { break }
    }
    try stopping?.onTrainEnd(&history)
    if scoring != nil, let scoredEpoch, scoredEpoch == history.epochs.last?.epoch, stopping?.best.map({ $0.epoch == scoredEpoch }) ?? true {
      lastEpochScores = Array(epochScores)
    }
    for i in callbacks.indices { try callbacks[i].onTrainEnd(&history) }
    return history
  }

  /// The evaluator with this trainer's settings: the validation loss `fit` reports is its
  /// `terms(on:)`.
  public var evaluator: Evaluator {
    Evaluator(model: model, loss: loss, reduction: reduction, noise: noise, seed: evaluationNoiseSeed, beta: beta, rateWeight: rateWeight,
              sparsity: sparsity, weightPenalty: weightPenalty)
  }

  /// The mean loss over every example of `set` (weighted by batch size), without training; for a
  /// denoising model, of the reconstructions of the inputs corrupted by `noise` (with the fixed
  /// `evaluationNoiseSeed`, the same whatever the batch size) against the clean ones.
  public func evaluate(_ set: ImageSet, batchSize: Int = 1024) throws -> Float {
    try evaluator.terms(on: set, batchSize: batchSize).total
  }

  private func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}

/// Training that cannot go on.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
  /// A step's loss, or one term of it, was NaN or infinite.
  case nonFiniteLoss(Float, epoch: Int, batch: Int, term: String? = nil)
  /// The loss on the validation data was NaN or infinite after an epoch.
  case nonFiniteValidationLoss(Float, epoch: Int)

  public var description: String {
    switch self {
    case .nonFiniteLoss(let value, let epoch, let batch, let term):
      "\(term.map { "the \($0) term of the loss" } ?? "the loss") became \(value.spelledOut) at epoch \(epoch), batch \(batch); "
        + "try a lower --learning-rate, or check the data for NaN"
    case .nonFiniteValidationLoss(let value, let epoch):
      "val_loss became \(value.spelledOut) after epoch \(epoch) (the training loss was finite); try a lower --learning-rate, or check the "
        + "validation data for NaN"
    }
  }
}
