import Datasets
import FileIO
import Foundation
import TestSupport
import Testing

/// Runs the built `autoencoder` executable, as a user would.
struct CLI {
  struct Result {
    var status: Int32
    var output: String
    var error: String
  }

  /// The executable beside the test bundle (`.build/<configuration>/autoencoder`).
  static let executable: String = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    for _ in 0..<5 {
      url.deleteLastPathComponent()
      let candidate = url.appendingPathComponent("autoencoder").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return "autoencoder"
  }()

  static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) throws -> Result {
    let process = process(arguments, in: directory, environment: environment)
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                  error: String(decoding: errorData, as: UTF8.self))
  }

  /// The tool's process for `arguments`, not yet started.
  static func process(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(["AUTOENCODERKIT_TEST": "1"].merging(environment) { $1 }) { $1 }
    return process
  }

  /// Runs the command and checks it failed cleanly: one line on standard error, starting
  /// `autoencoder: error: ` and mentioning every fragment, an exit status from 1 to 127, no trap.
  static func expectFailure(_ arguments: [String], mentions fragments: [String], environment: [String: String] = [:],
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
    let result = try run(arguments, environment: environment)
    #expect((1..<128).contains(result.status), "exit status \(result.status): \(result.error)", sourceLocation: sourceLocation)
    #expect(result.error.split(separator: "\n").count == 1, "error lines: \(result.error)", sourceLocation: sourceLocation)
    #expect(result.error.hasPrefix("autoencoder: error: "), "\(result.error)", sourceLocation: sourceLocation)
    for fragment in fragments {
      #expect(result.error.contains(fragment), "\(result.error) should mention \(fragment)", sourceLocation: sourceLocation)
    }
    #expect(!result.error.contains("Fatal error") && !result.error.contains("Backtrace"), sourceLocation: sourceLocation)
  }

  /// A folder of MNIST-format files holding small synthetic 8x8 images: 300 to train on, 60 to test.
  static func dataFolder() throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory()
    for (stem, count, seed) in [("train", 300, UInt64(1)), ("t10k", 60, UInt64(2))] {
      let set = syntheticImages(count: count, seed: seed)
      guard case .bytes(let bytes) = set.storage else { fatalError() }
      try directory.write(Zlib.gzip(IDX.encode(IDX.Array(shape: [count, 8, 8], bytes: bytes))), to: "\(stem)-images-idx3-ubyte.gz")
      try directory.write(IDX.encode(IDX.Array(shape: [count], bytes: Array(set.labels!))), to: "\(stem)-labels-idx1-ubyte")
    }
    return directory
  }
}
