import ArgumentParser
import AutoencoderKit
import Foundation

@main
struct AutoencoderCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "autoencoder",
    abstract: "Train, run and inspect autoencoders on the CPU.",
    discussion: """
      Start with `autoencoder train`: it trains Keras's tutorial model (784-64-784, Adam, binary \
      cross-entropy, batch 256) on Fashion-MNIST and writes model.safetensors and a reconstruction figure.
      """,
    version: autoencoderKitVersion,
    subcommands: [Train.self, Evaluate.self, Encode.self, Embed.self, Score.self, Calibrate.self, Decode.self, Reconstruct.self, Denoise.self, Compress.self,
                  Decompress.self, FitTables.self, RateDistortion.self, Sample.self, Interpolate.self,
                  Manifold.self, Info.self, Benchmark.self])

  /// Runs the command; any error is one line on standard error and a non-zero exit.
  static func main() {
    Interruption.install { "autoencoder: interrupted by \($0)" }
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let code as ExitCode {  // the command has said why
      Foundation.exit(code.rawValue)
    } catch {
      let code = exitCode(for: error)
      if code == .success {  // --help, --version
        print(fullMessage(for: error))
        Foundation.exit(0)
      }
      let message = message(for: error).split(separator: "\n").joined(separator: " ")
      FileHandle.standardError.write(Data("autoencoder: error: \(message)\n".utf8))
      Foundation.exit(code.rawValue == 0 ? 1 : code.rawValue)
    }
  }
}
