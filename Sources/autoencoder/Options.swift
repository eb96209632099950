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
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
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

/// Checks before any work that `path` can be written, so a long run does not fail at its end.
func checkWritable(_ path: String, option: String) throws {
  let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
    throw ValidationError("\(option) \(path): directory \(directory) does not exist")
  }
  guard FileManager.default.isWritableFile(atPath: directory) else {
    throw ValidationError("\(option) \(path): directory \(directory) is not writable")
  }
}

/// `101,200`.
func grouped(_ value: Int) -> String {
  let formatter = NumberFormatter()
  formatter.numberStyle = .decimal
  formatter.groupingSeparator = ","
  formatter.usesGroupingSeparator = true
  return formatter.string(from: NSNumber(value: value)) ?? String(value)
}

/// Writes a line to standard output at once (unbuffered, so lines keep their order beside the
/// progress lines and reach a pipe as they happen).
func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Prints `value` as one line of JSON.
func printJSON(_ value: some Encodable) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  say(String(decoding: try encoder.encode(value), as: UTF8.self))
}

extension Noise: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
  public static var allValueStrings: [String] { names }
}
