import ArgumentParser
import AutoencoderKit
import Foundation

/// Where the data is.
struct DataOptions: ParsableArguments {
  @Option(help: ArgumentHelp("A folder of MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST).", valueName: "dir"))
  var data = IDXFolder.fashionMNIST
}

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
