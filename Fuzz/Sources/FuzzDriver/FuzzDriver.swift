@_exported import AutoencoderKit
import Foundation

/// The harness libFuzzer calls, set once by `fuzz(_:)`.
nonisolated(unsafe) private var harness: (([UInt8]) -> Void)?

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// Runs libFuzzer with `body` as the harness: libFuzzer's own command line (a corpus folder,
/// `-max_total_time=60`, a crash file to replay) is the process's. `body` gets each input and
/// must not trap on any of them; errors thrown by the code under test are expected answers, and
/// a trap, a hang (`-timeout`) or a memory blow-up (`-rss_limit_mb`) is a finding.
public func fuzz(_ body: @escaping ([UInt8]) -> Void) -> Never {
  harness = body
  var argc = CommandLine.argc
  var argv = CommandLine.unsafeArgv
  let status = runDriver(&argc, &argv) { data, size in
    harness!(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
  }
  exit(status)
}

/// Fails the run (a libFuzzer crash, with the input saved) when `condition` is false: an
/// invariant of a successful parse.
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
  if !condition() { fatalError("invariant broken: \(message())") }
}

/// Exercises a model the way the commands use it, where its size allows: a forward pass on two
/// examples, the metrics `evaluate` reports, codes back through the decoder, and the figures.
/// Larger models (a fuzzed file may describe one) are only summarized.
public func exercise(_ model: Autoencoder) {
  let architecture = model.architecture
  guard let summary = try? architecture.summary() else { return require(false, "a built model has no summary") }
  let activations = summary.reduce(architecture.inputSize) { $0 + $1.outputShape.reduce(1, *) }
  guard activations <= 1 << 16, model.parameterCount <= 1 << 18 else { return }
  let values = (0..<(2 * architecture.inputSize)).map { Float($0 % 7) / 6 }
  let set = ImageSet(storage: .floats(values), exampleShape: architecture.imageShape ?? architecture.inputShape, source: "fuzz")
  _ = try? Evaluator(model: model).metrics(on: set)
  if let codes = try? model.encode(set) {
    require(codes.shape == [2] + ((try? architecture.codeShape()) ?? []), "codes of shape \(codes.shape)")
    _ = try? model.decode(codes: codes)
  }
  _ = try? ReconstructionFigure(count: 2).render(model, on: set)
  if model.isVariational {
    _ = try? Evaluator(model: model, reduction: .sum).terms(on: set)
    _ = try? Evaluator(model: model, reduction: .sum).negativeLogLikelihood(on: set, samples: 3)
    _ = try? model.sample(count: 2, seed: 1)
    _ = try? ManifoldFigure(size: 3, scale: 1).render(model)
  }
}

/// Everything that must hold for an architecture that validates.
public func exercise(_ architecture: Architecture) {
  require((try? architecture.validated()) != nil, "validated twice, failed once")
  guard let shapes = try? architecture.parameterShapes(), (try? architecture.trainingMemory(batchSize: 256, threads: 2, optimizerSlots: 2)) != nil
  else { return require(false, "a valid architecture has no parameter shapes or memory estimate") }
  _ = try? architecture.trainingFLOPsPerExample()
  _ = architecture.description
  let parameters = shapes.reduce(0) { $0 + $1.shape.reduce(1, *) }
  guard parameters <= 1 << 18 else { return }
  var generator = SplitMix64(seed: 1)
  guard let model = try? Autoencoder(architecture, using: &generator) else { return require(false, "a small valid architecture did not build") }
  require(model.namedParameters.map(\.parameter.shape) == shapes.map(\.shape), "built shapes differ from parameterShapes()")
  exercise(model)
}
