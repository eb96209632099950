import ArgumentParser
import AutoencoderKit
import Foundation

/// Where the data is, and how to read it.
struct DataOptions: ParsableArguments {
  @Option(help: ArgumentHelp(
    "The data: a folder of MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST), a folder of PNG images (a subfolder per class gives labels; train and test subfolders give splits), a .csv file, a .npy array or a .npz of arrays (x and y, or x_train, y_train, x_test, y_test).",
    valueName: "path"))
  var data = IDXFolder.fashionMNIST
  @Option(help: ArgumentHelp("PNG folders: resize every image to this size (bilinear).", valueName: "WxH")) var resize: ImageSize?
  @Option(help: "PNG folders: convert every image to gray or rgb (default: the first image's colour).") var color: ImageFolder.Colour?
  @Flag(inversion: .prefixedNo, help: "CSV files: the first row is a header (default: detected: a first row with no numbers).") var header: Bool?
  @Option(help: ArgumentHelp("CSV files: the column holding labels (a header name, or its number from 1); it may hold any text.", valueName: "column"))
  var labelColumn: String?
  @Option(help: ArgumentHelp(".npy arrays: a file of labels, one per example (.npy, or a one-column .csv).", valueName: "file")) var labels: String?
  @Option(help: ArgumentHelp("CSV files: the columns to read as values, comma-separated (header names or numbers from 1); the others may hold any text, as a time series' timestamps (default: all but the label column).",
                             valueName: "columns"))
  var valueColumns: ColumnList?
  @Option(help: ArgumentHelp("A time series (a CSV file's rows, an .npy array's first dimension, as time steps): train on and score its sliding windows of this many steps (standardized per channel with the training series' statistics).",
                             valueName: "steps"))
  var window: Int?
  @Option(help: ArgumentHelp("With --window: the steps from one window's start to the next (default 1; for text, the window's length).", valueName: "steps")) var windowStride: Int?
  @Flag(help: ArgumentHelp("Read --data as text: its bytes are the tokens of a token model (--model text), cut into windows of --window bytes (default \(ReadingOptions.defaultTextWindow)).")) var text = false

  /// The reading options given.
  var reading: ReadingOptions {
    ReadingOptions(resize: resize.map { [$0.width, $0.height] }, colour: color, header: header, labelColumn: labelColumn, labels: labels,
                   columns: valueColumns?.names, window: window, windowStride: windowStride, text: text ? true : nil)
  }

  /// The data source, read as `model`'s training read its data where no option says otherwise.
  func source(for model: ModelFile? = nil) throws -> DataSource {
    try DataSource(data, options: model?.readingOptions(given: reading) ?? reading)
  }

  /// The examples of `split` as `model` takes them (scaled, labels numbered by its classes).
  func examples(for model: ModelFile, split: SplitOption?) throws -> ImageSet {
    try model.examples(from: try source(for: model), split: split?.split)
  }
}

/// `value` or `temp,humidity` or `2,3`: CSV columns by header name or number.
struct ColumnList: ExpressibleByArgument {
  let names: [String]
  init?(argument: String) {
    names = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else { return nil }
  }
}

/// `3` or `3,5`: class numbers (labels).
struct ClassList: ExpressibleByArgument {
  let labels: [Int]
  init?(argument: String) {
    let labels = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !labels.isEmpty, labels.allSatisfy({ (0...255).contains($0 ?? -1) }) else { return nil }
    self.labels = labels.map { $0! }
  }
}

/// `64x48`: a width and a height.
struct ImageSize: ExpressibleByArgument {
  let width: Int, height: Int
  init?(argument: String) {
    let parts = argument.lowercased().split(separator: "x").map { Int($0) }
    guard parts.count == 2, let width = parts[0], let height = parts[1], (1...Image.maximumSide).contains(width), (1...Image.maximumSide).contains(height)
    else { return nil }
    (self.width, self.height) = (width, height)
  }
}

extension ImageFolder.Colour: ExpressibleByArgument {}
extension FeatureScaling.Kind: ExpressibleByArgument {}

/// How many threads compute.
struct ThreadOptions: ParsableArguments {
  @Option(help: "Threads for matrix products and element-wise kernels (default: one per core).")
  var threads: Int?

  /// Loads BLAS (so a missing library is a clean error) and sets the threads.
  func prepare() throws {
    if let threads, !(1...Limits.maximumThreads).contains(threads) {
      throw ValidationError("--threads \(threads): give 1 to \(Limits.maximumThreads)")
    }
    try BLAS.load()
    if let threads { Parallel.threads = threads }
  }
}

/// Which split of a dataset folder.
enum SplitOption: String, ExpressibleByArgument, CaseIterable {
  case train, test
  var split: IDXFolder.Split { self == .train ? .train : .test }
}

extension Loss: ExpressibleByArgument {
  public init?(argument: String) {
    switch argument.lowercased().replacingOccurrences(of: "-", with: "_") {
    case "bce", "binary_crossentropy", "binary_cross_entropy": self = .binaryCrossEntropy
    case "mse", "mean_squared_error": self = .meanSquaredError
    case "mae", "mean_absolute_error": self = .meanAbsoluteError
    default: return nil
    }
  }
  public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension LossReduction: ExpressibleByArgument {}
extension OptimizerConfiguration.Name: ExpressibleByArgument {}

extension Activation: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
  public static var allValueStrings: [String] { ["relu", "sigmoid", "tanh", "leaky_relu[:SLOPE]", "identity"] }
}

/// `256` or `128,64`: hidden layer sizes.
struct HiddenSizes: ExpressibleByArgument {
  let sizes: [Int]
  init?(argument: String) {
    let sizes = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
    self.sizes = sizes.map { $0! }
  }
}

/// Checks before any work that `path` can be written (`FileIO.checkOutput`), so a long run does
/// not fail at its end, and a device, FIFO or folder is never replaced.
func checkWritable(_ path: String, option: String) throws {
  do {
    try FileIO.checkOutput(path)
  } catch let error as FileError {
    throw ValidationError("\(option) \(error.path): \(error.problem)")
  }
}

/// The first file name that two of `paths` share (outputs named after inputs would collide), or nil.
func repeatedFileName(_ paths: [String]) -> String? {
  var seen = Set<String>()
  return paths.map { ($0 as NSString).lastPathComponent }.first { !seen.insert($0).inserted }
}

/// `101,200`.
func grouped(_ value: Int) -> String { groupedDigits(value) }

/// Writes a line to standard output at once (unbuffered, so lines keep their order beside the
/// progress lines and reach a pipe as they happen).
func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Prints `value` as one line of JSON. JSON has no NaN or infinity: such a number is written as
/// `null`, and a `"warnings"` list says which field held what.
func printJSON(_ value: some Encodable) throws {
  say(try jsonLine(value))
}

/// The JSON text `printJSON` prints.
func jsonLine(_ value: some Encodable) throws -> String {
  let marker = "\u{1}non-finite:"
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: marker + "infinity", negativeInfinity: marker + "-infinity",
                                                                nan: marker + "NaN")
  var text = String(decoding: try encoder.encode(value), as: UTF8.self)
  let escaped = "\\u0001non-finite:"  // how JSONEncoder writes the marker inside a string
  guard text.contains(escaped) else { return text }
  var warnings: [String] = []
  let pattern = try NSRegularExpression(pattern: #"(?:"([^"]*)":)?"\\u0001non-finite:([^"]*)""#)
  for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
    let key = Range(match.range(at: 1), in: text).map { String(text[$0]) }
    let kind = Range(match.range(at: 2), in: text).map { String(text[$0]) } ?? "NaN"
    warnings.insert("\(key ?? "a value") is \(kind), written as null", at: 0)
    text.replaceSubrange(Range(match.range, in: text)!, with: key.map { "\"\($0)\":null" } ?? "null")
  }
  if text.hasPrefix("{") {
    let list = try String(decoding: JSONEncoder().encode(warnings), as: UTF8.self)
    text = "{\"warnings\":\(list)" + (text == "{}" ? "}" : "," + text.dropFirst())
  }
  return text
}

extension Noise: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
  public static var allValueStrings: [String] { names }
}

/// Checks an image output option before any work: a PNG figure or an NPY array, at a scale of 1
/// to 16, at a path that can be written.
func validateImageOutput(_ output: String, scale: Int) throws {
  guard (1...16).contains(scale) else { throw ValidationError("--scale \(scale): give 1 to 16") }
  guard output.hasSuffix(".png") || output.hasSuffix(".npy") else { throw ValidationError("--output \(output): must end in .png or .npy") }
  try checkWritable(output, option: "--output")
}

/// The model file at `path`, which `what` ("sampling") needs to be variational.
func variationalModel(_ path: String, for what: String) throws -> ModelFile {
  let file = try ModelFile.read(path)
  guard file.model.isVariational else {
    throw ValidationError("\(path): \(what) needs a variational model (trained with --model vae, vae-pytorch, conv-vae, --latent, "
      + "or latent N); this one is \(file.model.architecture.description)")
  }
  return file
}

/// How `score`, `calibrate` and `train --contamination` compute anomaly scores.
struct ScoreOptions: ParsableArguments {
  @Option(help: ArgumentHelp("""
    The anomaly score: mse (mean squared error per value; the default, or the calibration's), mae, ssim (1 − structural similarity, \
    images), loss (the model's own loss per value), or for a variational model elbo (negative evidence lower bound) or nll \
    (importance-sampled negative log-likelihood), in nats per example.
    """, valueName: "score"))
  var score: AnomalyScore?
  @Option(help: ArgumentHelp("Smooth the residual by a Gaussian of this many pixels before mse or mae (default: 1 for images of at least 16×16, 0 for tables; or the calibration's).", valueName: "px"))
  var smoothing: Float?
  @Option(help: ArgumentHelp("Importance samples per example for the elbo and nll scores (default: 64, or the calibration's).", valueName: "k"))
  var importanceSamples: Int?

  func validate() throws {
    if let importanceSamples, importanceSamples < 1 { throw ValidationError("--importance-samples \(importanceSamples): give at least 1") }
  }

  /// The scorer for the examples of `set` (a time series' windows as rows of values: they are
  /// not images) of a model trained with `loss`: these options, else those `calibration` used,
  /// else the defaults; and whether `calibration` applies to its scores (the same score and settings).
  func scorer(for set: ImageSet, loss: Loss, calibration: Calibration? = nil) throws -> (scorer: AnomalyScorer, samples: Int, calibrated: Bool) {
    let exampleShape = set.windowing == nil ? set.exampleShape : [set.exampleSize]
    let kind = score ?? calibration?.score ?? .mse
    let same = calibration?.score == kind
    let smoothing = smoothing ?? (same ? calibration?.smoothing : nil)
    let samples = importanceSamples ?? (same ? calibration?.samples : nil) ?? 64
    do {
      let scorer = try AnomalyScorer(kind: kind, smoothing: smoothing, loss: loss, exampleShape: exampleShape)
      let calibrated = same && scorer.smoothing == calibration?.smoothing && (!kind.isVariational || samples == calibration?.samples)
      return (scorer, samples, calibrated)
    } catch let error as DetectionError {
      throw ValidationError(error.description)
    }
  }
}

/// The rule that sets an anomaly threshold from normal examples' scores (`calibrate`, and `train`
/// calibrating as it trains).
struct CalibrationOptions: ParsableArguments {
  @Option(help: ArgumentHelp("The expected share of anomalies, in (0, 0.5]: the threshold is the normal scores' (1 − c) quantile (PyOD's rule).", valueName: "c"))
  var contamination: Double?
  @Option(help: ArgumentHelp("The threshold is this percentile of the normal scores, in (0, 100]; 100 is the largest (keras-io's time-series rule).", valueName: "p")) var percentile: Double?
  @Option(help: ArgumentHelp("The threshold is the normal scores' mean plus this many standard deviations.", valueName: "k")) var sigma: Double?

  /// The rule given, or nil.
  var givenRule: Calibration.Rule? {
    if let percentile { return .percentile(percentile) }
    if let sigma { return .sigma(sigma) }
    return contamination.map { .contamination($0) }
  }

  func validate() throws {
    guard [contamination, percentile, sigma].compactMap({ $0 }).count <= 1 else {
      throw ValidationError("give one of --contamination, --percentile and --sigma")
    }
    if let problem = givenRule?.problem { throw ValidationError(problem) }
  }
}

/// Throws for a token model given to `command`, which works on reconstructions: a text model
/// predicts each byte from the ones before it and reconstructs nothing.
func refuseTextModel(_ file: ModelFile, _ path: String, command: String) throws {
  guard file.model.architecture.vocabulary != nil else { return }
  throw ValidationError("\(path) is a text model: it predicts each byte from the ones before it and has no reconstructions to \(command); "
    + "use evaluate (bits per character) or compress")
}
