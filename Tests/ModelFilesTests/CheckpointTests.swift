import Autodiff
import Foundation
import NN
import Optimizers
import TensorCore
import TestSupport
import Testing
@testable import ModelFiles
@testable import Training

@Suite struct CheckpointTests {
  func checkpoint() throws -> Checkpoint {
    var generator = SplitMix64(seed: 3)
    let model = try Autoencoder(.dense(inputSize: 12, hiddenSizes: [5]), using: &generator)
    let adam = Adam()
    for _ in 0..<2 {
      let (_, gradients) = valueWithGradient(at: model) { binaryCrossEntropy(predicted: $0(Variable(Tensor(shape: [2, 12], repeating: 0.5))), expected: Tensor(shape: [2, 12], repeating: 0.3)) }
      adam.update(model, along: gradients)
    }
    var progress = RunProgress(history: History(), optimizerStep: adam.step, dataFingerprint: "40:1f")
    progress.generatorState = 0xFEED_FACE_CAFE_BEEF
    progress.batchesDone = 2
    let order: [Int64] = [3, 0, 17_000_000, 1, 2]  // an index past 2^24, kept exactly
    let best = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value * 0.5) })
    let configuration = TrainingConfiguration(epochs: 3, batchSize: 2, seed: 1, loss: .binaryCrossEntropy, reduction: .mean,
                                              optimizer: OptimizerConfiguration(name: .adam), data: "data", validation: "test split", threads: 2)
    return Checkpoint(model: model, training: configuration,
                      snapshot: RunSnapshot(progress: progress, order: order, optimizerState: adam.stateTensors, bestWeights: best))
  }

  @Test func roundTripsEverythingExactly() throws {
    let original = try checkpoint()
    let read = try Checkpoint.decode(try original.encode())
    #expect(read.training == original.training && read.snapshot.progress == original.snapshot.progress && read.snapshot.order == original.snapshot.order)
    #expect(read.snapshot.optimizerState == original.snapshot.optimizerState && read.snapshot.bestWeights == original.snapshot.bestWeights)
    for ((name, p), (_, q)) in zip(read.model.namedParameters, original.model.namedParameters) { #expect(p.value == q.value, "\(name)") }
    #expect(Set(read.snapshot.optimizerState.keys) == Set(["m", "v"].flatMap { kind in read.model.namedParameters.map { "\(kind).\($0.name)" } }))
  }

  /// The checkpoint's bytes with its tensors or metadata edited.
  func edited(_ change: (inout [String: Tensor], inout [String: String]) -> Void) throws -> Data {
    var (tensors, metadata) = try SafeTensors.decode(try checkpoint().encode())
    change(&tensors, &metadata)
    return try SafeTensors.encode(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: metadata)
  }

  func problem(_ data: Data) -> String {
    do { _ = try Checkpoint.decode(data); return "no error" } catch { return "\(error)" }
  }

  @Test func foreignOrDamagedCheckpointsNameWhatIsWrong() throws {
    var generator = SplitMix64(seed: 3)
    let modelFile = try ModelFile(model: try Autoencoder(.dense(inputSize: 12, hiddenSizes: [5]), using: &generator)).encode()
    #expect(problem(modelFile).hasPrefix("a model file, not a checkpoint"))
    #expect(try problem(edited { _, metadata in metadata["format"] = "other" }).hasPrefix("not an AutoencoderKit checkpoint"))
    #expect(try problem(edited { _, metadata in metadata["format_version"] = "9" }).contains("newer than this tool's 1"))
    #expect(try problem(edited { _, metadata in metadata["progress"] = "{}" }).hasPrefix("corrupt progress metadata"))
    #expect(try problem(edited { _, metadata in metadata["progress"] = metadata["progress"]!.replacingOccurrences(of: "\"epochs_done\":0", with: "\"epochs_done\":-1") })
      == "corrupt progress metadata: a negative count")
    #expect(try problem(edited { tensors, _ in tensors["optimizer.m.decoder.9.weight"] = Tensor([1]) })
      == "optimizer state optimizer.m.decoder.9.weight is for no parameter of the model")
    #expect(try problem(edited { tensors, _ in tensors["optimizer.m.encoder.0.weight"] = Tensor([1]) }).contains("has shape [1], its parameter [12, 5]"))
    #expect(try problem(edited { tensors, _ in tensors["best.encoder.0.bias"] = nil }) == "early stopping's best weights are incomplete")
    #expect(try problem(edited { tensors, _ in tensors["order.low"] = Tensor([0.5, 1, 2, 3, 4]) }).contains("not example indices"))
    #expect(try problem(edited { tensors, _ in tensors["order.high"] = nil }).hasPrefix("no order.low and order.high"))
    #expect(try problem(edited { tensors, _ in tensors["encoder.0.bias"] = nil }) == "missing tensor encoder.0.bias")
    #expect(try problem(edited { tensors, _ in tensors["encoder.0.bias"] = Tensor(shape: [5], repeating: .nan) }) == "tensor encoder.0.bias holds NaN or infinite values")
  }

  @Test func aModelFileReaderPointsACheckpointToResume() throws {
    #expect {
      try ModelFile.decode(try checkpoint().encode())
    } throws: { "\($0)".contains("a training checkpoint, not a model file; continue its run with: autoencoder train --resume") }
  }
}
