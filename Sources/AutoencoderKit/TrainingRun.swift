/// Everything `autoencoder train` does, as a library call: load the data, build the model,
/// train it, and return the model file to write; with checkpoints, save the run as it goes and
/// resume it.
///
/// ```swift
/// let data = try TrainingRun.data(configuration)
/// let architecture = Architecture.dense(inputSize: data.training.exampleSize, hiddenSizes: [64])
/// let file = try TrainingRun(architecture: architecture, configuration: configuration).run(data: data)
/// ```
public struct TrainingRun {
  public var architecture: Architecture
  public var configuration: TrainingConfiguration

  public init(architecture: Architecture, configuration: TrainingConfiguration) {
    self.architecture = architecture
    self.configuration = configuration
  }

  /// Where and when a run saves checkpoints.
  public struct CheckpointSettings {
    /// The checkpoint file, rewritten atomically each time.
    public var path: String
    /// After every this-many epochs; 0 only when interrupted; nil every epoch for runs expected
    /// to last over a minute.
    public var everyEpochs: Int?
    /// Polled after each step: when true, the run saves a checkpoint and stops (`Interrupted`).
    public var interruptRequested: () -> Bool

    public init(path: String, everyEpochs: Int? = nil, interruptRequested: @escaping () -> Bool = { false }) {
      self.path = path
      self.everyEpochs = everyEpochs
      self.interruptRequested = interruptRequested
    }
  }

  /// A run stopped on request: its checkpoint is saved, and `file` holds the model as it stood
  /// (the completed epochs' history).
  public struct Interrupted: Error, @unchecked Sendable, CustomStringConvertible {  // handed up once, never shared
    public var file: ModelFile
    public var interruption: TrainingInterrupted
    public var description: String { interruption.description }
  }

  /// The training and validation sets for `configuration`: the source's training examples (its
  /// train split, or all of a single-set source; the first `limit`), and its test split or the last
  /// `validationSplit` of the training examples (none for a single-set source without one). Tables
  /// come scaled (standardized unless the reading options say otherwise), the scaling fitted to
  /// the training examples alone and carried by both sets.
  public static func data(_ configuration: TrainingConfiguration) throws -> (training: ImageSet, validation: ImageSet?) {
    let source = try DataSource(configuration.data, options: configuration.reading ?? ReadingOptions())
    var training = try source.load(source.hasSplits ? .train : nil, threads: Parallel.threads)
    let filtered = configuration.classes != nil || configuration.excludedClasses != nil
    if filtered {
      guard training.labels != nil else {
        throw DataError.empty(source: training.source, role: "labelled", reason: "--classes and --exclude-classes need labels")
      }
      training = training.filtered(byLabel: configuration.includes(label:))
      guard training.count > 0 else { throw DataError.empty(source: training.source, role: "training", reason: "no example is of the classes asked for") }
    }
    if let limit = configuration.limit { training = training.prefix(limit) }
    var validation: ImageSet?
    if let validationSplit = configuration.validationSplit {
      // A single file's rows are often sorted (by class, by time): its validation examples are a
      // seeded random draw, not its end. A source with splits holds out the end, as Keras does,
      // and so does a time series (its last windows: the future is not drawn into training).
      if !source.hasSplits, training.windowing == nil { training = training.shuffledForSplit(seed: configuration.seed) }
      let (kept, heldOut) = training.split(validationFraction: validationSplit)
      guard kept.count > 0 else {
        throw DataError.empty(source: training.source, role: "training",
                              reason: "--validation-split \(validationSplit) of \(training.count) example\(training.count == 1 ? "" : "s") leaves none to train on")
      }
      (training, validation) = (kept, heldOut)
    } else if source.hasSplits {
      var test = try source.load(.test, classNames: training.classNames, threads: Parallel.threads)
      if filtered { test = test.filtered(byLabel: configuration.includes(label:)) }
      if let limit = configuration.limit { test = test.prefix(limit) }
      validation = test
    }
    let kind = configuration.reading?.scaling ?? source.defaultScaling(for: training)
    if kind != .none {
      let scaling = FeatureScaling(fitting: kind, to: training)
      training = scaling.apply(to: training)
      validation = validation.map(scaling.apply(to:))
    }
    return (training, validation)
  }

  /// Trains a new model, or continues `resuming`'s run, and returns the model with its history in
  /// a model file.
  ///
  /// - Throws: data errors (naming the file), `ArchitectureError`, `DataError` (shapes, or data
  ///   other than a resumed run's), `TrainingError` (a NaN or infinite loss), `Interrupted`.
  ///   Nothing but the checkpoint is written.
  ///
  /// - Parameter calibrating: Calibrate the model's anomaly threshold on the training examples by
  ///   this rule and score: from their scores in the last epoch's forward passes where the trainer
  ///   can keep them (no second pass over the data), else from a pass after training.
  public func run(data: (training: ImageSet, validation: ImageSet?)? = nil, callbacks: [any Callback] = [],
                  checkpoint: CheckpointSettings? = nil, resuming: Checkpoint? = nil,
                  calibrating: (scorer: AnomalyScorer, rule: Calibration.Rule, samples: Int)? = nil) throws -> ModelFile {
    let (training, validation) = try data ?? Self.data(configuration)
    var architecture = resuming?.model.architecture ?? architecture
    if architecture.imageShape == nil, training.exampleShape.count >= 2 { architecture.imageShape = training.exampleShape }
    guard training.count > 0 else { throw DataError.empty(source: training.source, role: "training", reason: "") }
    if let vocabulary = architecture.vocabulary {
      try training.checkTokens(vocabulary: vocabulary)
      try validation?.checkTokens(vocabulary: vocabulary)
    }
    try architecture.checkTrainingMemory(batchSize: min(configuration.batchSize, training.count), threads: Parallel.threads,
                                         optimizerSlots: configuration.optimizer.stateSlots)
    var generator = SplitMix64(seed: configuration.seed)
    let model = try resuming?.model ?? Autoencoder(architecture, using: &generator)
    let trainer = Trainer(model: model, optimizer: configuration.optimizer.makeOptimizer(), loss: configuration.loss,
                          reduction: configuration.reduction, noise: configuration.noise,
                          evaluationNoiseSeed: configuration.evaluationNoiseSeed, beta: configuration.beta ?? 1,
                          klWarmupEpochs: configuration.klWarmupEpochs ?? 0, rateWeight: configuration.lambda ?? 1,
                          sparsity: configuration.sparsity,
                          weightPenalty: configuration.weightPenalty, schedule: configuration.schedule,
                          earlyStopping: configuration.earlyStopping)
    trainer.scoringTrainingExamples = calibrating?.scorer
    var saved = resuming?.snapshot.progress.history ?? History()
    let checkpointing = checkpoint.map { settings in
      Checkpointing(everyEpochs: settings.everyEpochs, interruptRequested: settings.interruptRequested) { snapshot in
        try Checkpoint(model: model, training: configuration, snapshot: snapshot).write(to: settings.path)
        saved = snapshot.progress.history
      }
    }
    do {
      let history = try trainer.fit(on: training, validation: validation, epochs: configuration.epochs,
                                    batchSize: configuration.batchSize, shuffle: configuration.shuffle, using: &generator,
                                    callbacks: callbacks, resuming: resuming?.snapshot, checkpointing: checkpointing)
      var file = ModelFile(model: model, training: configuration, history: history, data: DataDescription(training))
      if let (scorer, rule, samples) = calibrating {
        let examples = "the \(groupedDigits(training.count)) training examples of \(training.source)"
        let (scores, how) = try trainer.lastEpochScores.map { ($0, "\(examples), scored in the last epoch's forward passes") }
          ?? (model.anomalyScores(training, scorer: scorer, samples: samples), "\(examples), scored after training")
        file.calibration = Calibration(score: scorer.kind, smoothing: scorer.smoothing, samples: scorer.kind.isVariational ? samples : nil,
                                       rule: rule, normalScores: scores, data: how)
      }
      if model.bottleneck != nil, training.exampleShape.count >= 2 {
        // A codec's tables per code cell and neighbourhood, counted from its training codes.
        file.entropyTables = model.bottleneck!.symbolTables()
        file.contextTables = try ImageCodec(model: model, modelName: "", tables: file.entropyTables).fittedContextTables(training)
      }
      return file
    } catch let interruption as TrainingInterrupted {
      throw Interrupted(file: ModelFile(model: model, training: configuration, history: saved, data: DataDescription(training)),
                        interruption: interruption)
    }
  }
}

extension ImageSet {
  /// The examples in a seeded random order (memory-mapped sets stay in order), for a held-out
  /// fraction that is a fair draw from a file whose rows are sorted.
  public func shuffledForSplit(seed: UInt64) -> ImageSet {
    if case .mapped = storage { return self }  // never copied
    var generator = SplitMix64(seed: seed ^ 0x5B11_7DA7_A5E7)
    var order = Array(0..<count)
    order.shuffle(using: &generator)
    return reordered(by: order)
  }
}

/// Which architecture to train, as the command line names it.
public enum ModelChoice: Equatable, Sendable {
  /// A named preset (`Architecture.presetNames`).
  case preset(String)
  /// A dense autoencoder with these hidden sizes down to the code; the decoder mirrors them.
  case hiddenSizes([Int])
  /// A spec string (`Architecture(spec:exampleShape:)`), or the path of a JSON architecture file.
  case architecture(String)

  /// The architecture for examples of `exampleShape`, built and checked against it.
  ///
  /// - Throws: `ArchitectureError` (a layer that does not fit, naming it and the shapes),
  ///   `SpecError` (a spec or file that cannot be read), `FileError`.
  ///
  /// - Parameter latent: The latent size of a variational preset (`vae`, `vae-pytorch`,
  ///   `conv-vae`), or, with hidden sizes, the latent size that makes the dense model variational.
  public func architecture(exampleShape: [Int], activation: Activation = .relu, outputActivation: Activation = .sigmoid,
                           latent: Int? = nil) throws -> Architecture
  {
    var architecture: Architecture
    switch self {
    case .preset(let name):
      guard let preset = try Architecture.preset(named: name, exampleShape: exampleShape, activation: activation,
                                                 outputActivation: outputActivation, latent: latent)
      else { throw SpecError("unknown model \"\(name)\" (known: \(Architecture.presetNames.joined(separator: ", ")))") }
      guard latent == nil || preset.isVariational else {
        throw SpecError("--latent \(latent!) applies to the variational presets (vae, vae-pytorch, conv-vae) and to --hidden; "
          + "\(name) is not variational")
      }
      architecture = preset
    case .hiddenSizes(let sizes):
      architecture = latent.map { .variational(inputSize: exampleShape.reduce(1, *), hiddenSizes: sizes, latent: $0, activation: activation,
                                               outputActivation: outputActivation) }
        ?? .dense(inputSize: exampleShape.reduce(1, *), hiddenSizes: sizes, activation: activation, outputActivation: outputActivation)
    case .architecture(let text):
      if let latent { throw SpecError("--latent \(latent) does not apply to --architecture; end the encoder with latent \(latent)") }
      if text.hasSuffix(".json") || FileIO.exists(text) && !text.contains("|") {
        architecture = try Architecture(json: try FileIO.read(text), source: text, exampleShape: exampleShape)
      } else {
        architecture = try Architecture(spec: text, exampleShape: exampleShape)
      }
    }
    if architecture.imageShape == nil, exampleShape.count >= 2 { architecture.imageShape = exampleShape }
    try architecture.validated()
    return architecture
  }

  /// The batch size the choice's tutorial uses: 128 for the convolutional presets, else 256.
  public var tutorialBatchSize: Int {
    if case .preset(let name) = self { return Architecture.tutorialBatchSize(forPreset: name) }
    return 256
  }
}
