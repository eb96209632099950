import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Times training: seconds per epoch, images per second and the matrix products' GFLOP/s, on
/// real data, with the machine's BLAS and threads. `autoencoder benchmark` prints it;
/// benchmarks/compare runs it beside PyTorch and Keras.
public struct TrainingBenchmark {
  public var architecture: Architecture
  public var batchSize = 256
  /// Timed epochs (after one untimed warm-up epoch).
  public var epochs = 3
  public var seed: UInt64 = 0
  /// What the results call the model (default: the architecture's one-line description).
  public var name: String?

  public init(architecture: Architecture, batchSize: Int = 256, epochs: Int = 3, seed: UInt64 = 0, name: String? = nil) {
    self.architecture = architecture
    self.name = name
    self.batchSize = batchSize
    self.epochs = epochs
    self.seed = seed
  }

  /// The measurements.
  public struct Result: Codable, Sendable {
    public var framework = "AutoencoderKit \(autoencoderKitVersion)"
    public var model: String
    public var examples: Int
    public var batchSize: Int
    public var threads: Int
    /// Seconds of each timed epoch.
    public var epochSeconds: [Double]
    /// The median of `epochSeconds`.
    public var secondsPerEpoch: Double
    public var imagesPerSecond: Double
    /// Matrix-product GFLOP per epoch, counted from the architecture.
    public var gflopPerEpoch: Double
    public var gflopPerSecond: Double
    /// The training loss of the last epoch (to show the work was real).
    public var finalLoss: Float
    /// The process's peak resident memory.
    public var peakRSSMegabytes: Double
    public var system: SystemInfo

    enum CodingKeys: String, CodingKey {
      case framework, model, examples, batchSize = "batch_size", threads, epochSeconds = "epoch_seconds",
           secondsPerEpoch = "seconds_per_epoch", imagesPerSecond = "images_per_second", gflopPerEpoch = "gflop_per_epoch",
           gflopPerSecond = "gflop_per_second", finalLoss = "final_loss", peakRSSMegabytes = "peak_rss_mb", system
    }
  }

  /// Trains a fresh model on `training` for a warm-up epoch plus `epochs` timed ones.
  public func run(on training: ImageSet, callbacks: [any Callback] = []) throws -> Result {
    var generator = SplitMix64(seed: seed)
    let model = try Autoencoder(architecture, using: &generator)
    // A variational model's reconstruction is summed per image, with its KL term: the ELBO.
    let trainer = Trainer(model: model, optimizer: Adam(), loss: .binaryCrossEntropy, reduction: architecture.isVariational ? .sum : .mean)
    let history = try trainer.fit(on: training, epochs: epochs + 1, batchSize: batchSize, using: &generator, callbacks: callbacks)
    let timed = history.epochs.dropFirst().map(\.seconds)
    let median = timed.sorted()[timed.count / 2]
    let gflop = Double(try architecture.trainingFLOPsPerExample()) * Double(training.count) / 1e9
    return Result(model: name ?? architecture.description, examples: training.count, batchSize: batchSize, threads: Parallel.threads,
                  epochSeconds: timed, secondsPerEpoch: median, imagesPerSecond: Double(training.count) / median,
                  gflopPerEpoch: gflop, gflopPerSecond: gflop / median, finalLoss: history.loss.last ?? .nan,
                  peakRSSMegabytes: Self.peakRSSMegabytes(), system: SystemInfo.current())
  }

  /// The peak resident set size of this process so far.
  public static func peakRSSMegabytes() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576  // bytes on macOS
    #endif
  }
}
