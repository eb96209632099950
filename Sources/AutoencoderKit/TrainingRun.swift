/// Everything `autoencoder train` does, as a library call: load the data, build the model,
/// train it, and return the model file to write.
///
/// ```swift
/// let data = try TrainingRun.data(configuration)
/// let architecture = Architecture.dense(inputSize: data.training.exampleSize, hiddenSizes: [64])
/// let file = try TrainingRun(architecture: architecture, configuration: configuration).run(data: data)
/// ```
public struct TrainingRun {
  public var architecture: Architecture
  public var configuration: TrainingConfiguration
  /// Train on the first this-many training examples only (quick trials); nil for all.
  public var limit: Int?
  /// The fraction of the training data held out for validation, instead of the test split.
  public var validationSplit: Double?

  public init(architecture: Architecture, configuration: TrainingConfiguration, limit: Int? = nil, validationSplit: Double? = nil) {
    self.architecture = architecture
    self.configuration = configuration
    self.limit = limit
    self.validationSplit = validationSplit
  }

  /// The training and validation sets for `configuration`: the folder's train split (its first
  /// `limit` examples) and either its test split or the last `validationSplit` of the training data.
  public static func data(_ configuration: TrainingConfiguration, limit: Int? = nil, validationSplit: Double? = nil) throws
    -> (training: ImageSet, validation: ImageSet?)
  {
    let folder = IDXFolder(configuration.data)
    var training = try folder.load(.train)
    if let limit { training = training.prefix(limit) }
    if let validationSplit { return training.split(validationFraction: validationSplit) }
    var test = try folder.load(.test)
    if let limit { test = test.prefix(limit) }
    return (training, test)
  }

  /// Trains a new model and returns it with its history in a model file.
  ///
  /// - Throws: data errors (naming the file), `ArchitectureError`, `DataError` (shapes),
  ///   `TrainingError` (a NaN or infinite loss). Nothing is written.
  public func run(data: (training: ImageSet, validation: ImageSet?)? = nil, callbacks: [any Callback] = []) throws -> ModelFile {
    let (training, validation) = try data ?? Self.data(configuration, limit: limit, validationSplit: validationSplit)
    var architecture = architecture
    if architecture.imageShape == nil, training.exampleShape.count >= 2 { architecture.imageShape = training.exampleShape }
    var generator = SplitMix64(seed: configuration.seed)
    let model = try Autoencoder(architecture, using: &generator)
    let trainer = Trainer(model: model, optimizer: configuration.optimizer.makeOptimizer(), loss: configuration.loss,
                          reduction: configuration.reduction)
    let history = try trainer.fit(on: training, validation: validation, epochs: configuration.epochs,
                                  batchSize: configuration.batchSize, shuffle: configuration.shuffle,
                                  using: &generator, callbacks: callbacks)
    return ModelFile(model: model, training: configuration, history: history)
  }
}
