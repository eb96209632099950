import Datasets
import FileIO
import TensorCore

extension ModelFile {
  /// The examples of `split` of `source` as this model takes them: labels numbered by the model's
  /// classes, values scaled by the model's scaling, the shape checked against its input.
  ///
  /// - Throws: `FileError` (the data), `DataError.shapeMismatch` naming the source.
  public func examples(from source: DataSource, split: IDXFolder.Split? = nil) throws -> ImageSet {
    var set = try source.load(split, classNames: data?.classNames, threads: Parallel.threads)
    try model.architecture.check(exampleShape: set.exampleShape, source: set.source)
    if let scaling = data?.scaling { set = scaling.apply(to: set) }
    return set
  }

  /// The reading options of later data: the ones `given` on the command line, the rest as the
  /// model's training read its data (a saved label column is used where the data has it).
  public func readingOptions(given: ReadingOptions) -> ReadingOptions {
    guard let saved = training?.reading else { return given }
    var options = given
    options.resize = given.resize ?? saved.resize
    options.colour = given.colour ?? saved.colour
    options.header = given.header ?? saved.header
    options.columns = given.columns ?? saved.columns
    // A text model reads text, whatever the file is named.
    options.text = given.text ?? saved.text
    // A series is cut into windows of the model's length; the stride as given, else as in training.
    options.window = given.window ?? saved.window
    options.windowStride = given.windowStride ?? (given.window == nil ? saved.windowStride : nil)
    if given.labelColumn == nil, let column = saved.labelColumn {
      options.labelColumn = column
      options.labelColumnIsOptional = true
    }
    return options
  }

  /// Model outputs (`[n, ...]`, scaled as the model's inputs) in the data's own units.
  public func inDataUnits(_ outputs: Tensor) -> Tensor {
    guard let scaling = data?.scaling else { return outputs }
    return Tensor(shape: outputs.shape, scalars: scaling.restore(outputs.scalars))
  }
}
