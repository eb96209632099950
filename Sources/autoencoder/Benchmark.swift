import ArgumentParser
import AutoencoderKit
import Foundation

struct Benchmark: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Time training on the full training set: seconds per epoch, images/s, GFLOP/s, peak memory.",
    discussion: "Build with -c release. benchmarks/compare runs this beside PyTorch and Keras on the same machine.")

  @Option(help: "Architecture: dense (784-64-784), deep (784-128-64-128-784), conv (the Keras blog's), conv-transpose (keras-io's), or the variational vae, vae-pytorch and conv-vae.")
  var model: Train.Preset = .dense
  @Option(help: "Timed epochs (after one warm-up epoch).") var epochs = 3
  @Option(help: "Examples per step (default: the model's tutorial batch, 256 dense or 128 convolutional and variational).") var batchSize: Int?
  @Option(help: ArgumentHelp("A variational preset's latent size.", valueName: "n")) var latent: Int?
  @OptionGroup var data: DataOptions
  @OptionGroup var threads: ThreadOptions
  @Flag(help: "Print one JSON object.") var json = false
  @Flag(help: "Time the element-wise kernels and matrix products of one step at each SIMD level instead; with another --model, each layer's passes, the convolution kernel each ran, and its GFLOP/s.")
  var kernels = false
  @Option(help: ArgumentHelp("Time reading this data (a CSV file, PNG folder, .npy, .npz or IDX folder) instead; benchmarks/reading.py compares it with pandas and Keras.",
                             valueName: "path"))
  var read: String?
  @Option(help: "With --read: timed reads; the best is reported.") var runs = 3

  func validate() throws {
    guard epochs > 0, batchSize ?? 1 > 0 else { throw ValidationError("--epochs and --batch-size must be positive") }
  }

  func run() throws {
    try threads.prepare()
    if kernels { return try runKernels() }
    if let read { return try runReading(read) }
    let training = try IDXFolder(data.data).load(.train)
    let choice = ModelChoice.preset(model.rawValue)
    let architecture = try choice.architecture(exampleShape: training.exampleShape, latent: latent)
    let benchmark = TrainingBenchmark(architecture: architecture, batchSize: batchSize ?? choice.tutorialBatchSize, epochs: epochs,
                                      name: model.rawValue)
    let result = try benchmark.run(on: training)
    if json { return try printJSON(result) }
    say("\(result.framework): \(result.model), \(grouped(result.examples)) images, batch \(result.batchSize), \(result.threads) threads")
    say("BLAS \(result.system.blasLibrary) \(result.system.blasCore), \(result.system.kernelSIMD) kernels, \(result.system.cpu)")
    if let advice = result.system.blasOverrideAdvice { say("Note: \(advice)") }
    say("  s/epoch   images/s   GFLOP/s   peak RSS   epochs")
    say(String(format: "  %7.3f   %8.0f   %7.1f   %5.0f MB   ", result.secondsPerEpoch, result.imagesPerSecond, result.gflopPerSecond,
                 result.peakRSSMegabytes) + result.epochSeconds.map { String(format: "%.3f", $0) }.joined(separator: " "))
  }

  func runReading(_ path: String) throws {
    var options = data.reading
    if path.lowercased().hasSuffix(".csv"), options.labelColumn == nil, try CSV.readHeader(path).contains("label") { options.labelColumn = "label" }
    let source = try DataSource(path, options: options)
    var best = Double.infinity
    var set: ImageSet?
    for _ in 0..<max(1, runs) {
      let start = DispatchTime.now().uptimeNanoseconds
      set = try source.load(source.hasSplits ? .train : nil, threads: Parallel.threads)
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    say("Read \(path) (\(source.kind.rawValue)): \(grouped(set!.count)) examples of shape \(set!.exampleShape)"
      + (set!.labels == nil ? "" : ", labelled") + ", best of \(max(1, runs)) reads, \(Parallel.threads) threads")
    say(String(format: "seconds: %.4f", best))
  }

  func runKernels() throws {
    if model != .dense { return try runLayers() }
    let rows = try KernelBenchmark().run()
    if json { return try printJSON(rows) }
    let levels = SIMDLevel.allCases.filter { $0.rawValue <= SIMDLevel.supported.rawValue }.map(\.name)
    say("Microseconds per call, batch 256 of 784 (one training step of the dense model), \(Parallel.threads) threads")
    say("kernel".padding(toLength: 32, withPad: " ", startingAt: 0) + levels.map { $0.leftPadded(10) }.joined()
      + (levels.count > 1 ? "  speed-up".leftPadded(10) : ""))
    for row in rows {
      let times = levels.map { row.microseconds[$0]! }
      say(row.kernel.padding(toLength: 32, withPad: " ", startingAt: 0) + times.map { String(format: "%10.1f", $0) }.joined()
        + (levels.count > 1 ? String(format: "%9.1fx", times[0] / times.last!) : ""))
    }
  }

  /// Each layer's passes of one training step of `model`, with the kernel that ran.
  func runLayers() throws {
    let choice = ModelChoice.preset(model.rawValue)
    let shape = try IDXFolder(data.data).load(.test).exampleShape
    let architecture = try choice.architecture(exampleShape: shape, latent: latent)
    let batch = batchSize ?? choice.tutorialBatchSize
    let rows = try LayerBenchmark(architecture: architecture, batchSize: batch).run()
    if json { return try printJSON(rows) }
    say("One training step of \(model.rawValue), batch \(batch), \(Parallel.threads) threads (a shard per thread), \(SIMDLevel.current.name) kernels")
    let width = rows.map(\.layer.count).max()! + 2, kernelWidth = max(18, rows.map(\.kernel.count).max()! + 2)
    say("layer".padding(toLength: width, withPad: " ", startingAt: 0) + "pass".padding(toLength: 17, withPad: " ", startingAt: 0)
      + "kernel".padding(toLength: kernelWidth, withPad: " ", startingAt: 0) + "µs".leftPadded(9) + "GFLOP/s".leftPadded(10) + "share".leftPadded(8))
    let total = rows.map(\.microseconds).reduce(0, +)
    var previous = ""
    for row in rows {
      say((row.layer == previous ? "" : row.layer).padding(toLength: width, withPad: " ", startingAt: 0)
        + row.pass.padding(toLength: 17, withPad: " ", startingAt: 0) + row.kernel.padding(toLength: kernelWidth, withPad: " ", startingAt: 0)
        + String(format: "%9.0f", row.microseconds) + (row.gflopPerSecond.map { String(format: "%10.1f", $0) } ?? "".leftPadded(10))
        + String(format: "%7.1f%%", 100 * row.microseconds / total))
      previous = row.layer
    }
    let flops = rows.compactMap { row in row.gflopPerSecond.map { $0 * row.microseconds / 1e6 } }.reduce(0, +)
    say("total".padding(toLength: width + 17 + kernelWidth, withPad: " ", startingAt: 0) + String(format: "%9.0f%10.1f", total, flops / (total / 1e6)))
  }
}
