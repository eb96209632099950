import FileIO
import Foundation
import NN
import TensorCore
import Training

/// A training run saved between two steps, to resume (`autoencoder train --resume FILE`): a
/// safetensors file, like a model file, holding
///
/// | tensors | |
/// |---|---|
/// | `encoder.0.weight`, … | the weights, as in a model file |
/// | `optimizer.m.encoder.0.weight`, … | the optimizer's state (`Optimizer.stateTensors`) |
/// | `best.encoder.0.weight`, … | early stopping's best weights, when it is on |
/// | `order.low`, `order.high` | the examples' order this epoch: each index's low 24 bits and the rest (exact as float32) |
///
/// and in the metadata `format` (`autoencoderkit-checkpoint`), `format_version`, `architecture`,
/// `training` (the run's settings) and `progress` (`RunProgress`: epochs and steps done, the
/// generator, the history, the running sums, the schedule's and early stopping's state, and the
/// training data's fingerprint). Every part is checked against the others when read.
public struct Checkpoint {
  public static let format = "autoencoderkit-checkpoint"
  public static let formatVersion = 1

  public var model: Autoencoder
  public var training: TrainingConfiguration
  public var snapshot: RunSnapshot

  public init(model: Autoencoder, training: TrainingConfiguration, snapshot: RunSnapshot) {
    self.model = model
    self.training = training
    self.snapshot = snapshot
  }

  /// Writes the file atomically: a complete checkpoint at `path`, or the previous one.
  public func write(to path: String) throws {
    try FileIO.writeAtomically(try encode(), to: path)
  }

  /// The file's bytes.
  public func encode() throws -> Data {
    func json(_ value: some Encodable) throws -> String { try ModelFile.json(value) }
    let metadata = ["format": Self.format, "format_version": String(Self.formatVersion), "architecture": try json(model.architecture),
                    "training": try json(training), "progress": try json(snapshot.progress)]
    let order = snapshot.order
    var tensors = model.namedParameters.map { ($0.name, $0.parameter.value) }
    tensors += snapshot.optimizerState.sorted { $0.key < $1.key }.map { ("optimizer.\($0.key)", $0.value) }
    tensors += model.namedParameters.compactMap { parameter in snapshot.bestWeights[parameter.name].map { ("best.\(parameter.name)", $0) } }
    tensors.append(("order.low", Tensor(shape: [order.count], scalars: order.map { Float($0 & 0xFF_FFFF) })))
    tensors.append(("order.high", Tensor(shape: [order.count], scalars: order.map { Float($0 >> 24) })))
    return try SafeTensors.encode(tensors, metadata: metadata)
  }

  /// Reads the checkpoint at `path`.
  ///
  /// - Throws: `FileError` naming the file and what is wrong: not safetensors, a model file rather
  ///   than a checkpoint, a missing, extra or misshapen tensor, corrupt metadata, state that does
  ///   not fit the model.
  public static func read(_ path: String) throws -> Checkpoint {
    let data = try FileIO.read(path)
    do {
      return try decode(data)
    } catch let problem as SafeTensors.Problem {
      throw FileError(path, problem.description)
    }
  }

  /// The checkpoint in a file's bytes.
  public static func decode(_ data: Data) throws -> Checkpoint {
    let (tensors, metadata) = try SafeTensors.decode(data)
    guard metadata["format"] == format else {
      if metadata["format"] == "autoencoderkit" {
        throw SafeTensors.Problem("a model file, not a checkpoint (checkpoints are written during training, --checkpoint)")
      }
      throw SafeTensors.Problem("not an AutoencoderKit checkpoint (no \"format\": \"\(format)\" in its metadata)")
    }
    guard let version = metadata["format_version"].flatMap(Int.init), version <= formatVersion else {
      throw SafeTensors.Problem("checkpoint format version \(metadata["format_version"] ?? "?") is newer than this tool's \(formatVersion); update AutoencoderKit")
    }
    func decoded<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
      guard let value = try ModelFile.decoded(type, key, in: metadata) else { throw SafeTensors.Problem("no \(key) in the metadata") }
      return value
    }
    let architecture = try decoded(Architecture.self, "architecture")
    let training = try decoded(TrainingConfiguration.self, "training")
    if let problem = training.problem { throw SafeTensors.Problem("corrupt training metadata: \(problem)") }
    let progress = try decoded(RunProgress.self, "progress")
    if let problem = progress.problem { throw SafeTensors.Problem("corrupt progress metadata: \(problem)") }

    var weights: [String: Tensor] = [:], optimizerState: [String: Tensor] = [:], best: [String: Tensor] = [:]
    for (name, tensor) in tensors where !name.hasPrefix("order.") {
      if name.hasPrefix("optimizer.") {
        optimizerState[String(name.dropFirst(10))] = tensor
      } else if name.hasPrefix("best.") {
        best[String(name.dropFirst(5))] = tensor
      } else {
        weights[name] = tensor
      }
    }
    let model: Autoencoder
    do {
      model = try Autoencoder(architecture, parameters: weights)
    } catch ArchitectureError.parameters(let problem) {
      throw SafeTensors.Problem(problem)
    } catch {
      throw SafeTensors.Problem("its architecture cannot be built: \(error)")
    }
    let shapes = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.shape) })
    if let (name, _) = model.namedParameters.first(where: { !$0.parameter.value.isFinite }) {
      throw SafeTensors.Problem("tensor \(name) holds NaN or infinite values")
    }
    for (key, tensor) in optimizerState {
      let parameter = String(key.drop { $0 != "." }.dropFirst())
      guard let shape = shapes[parameter] else { throw SafeTensors.Problem("optimizer state optimizer.\(key) is for no parameter of the model") }
      guard tensor.shape == shape else {
        throw SafeTensors.Problem("optimizer state optimizer.\(key) has shape \(tensor.shape), its parameter \(shape)")
      }
    }
    for (name, tensor) in best {
      guard shapes[name] == tensor.shape else { throw SafeTensors.Problem("best.\(name) does not match a parameter of the model") }
    }
    guard best.isEmpty || best.count == shapes.count else { throw SafeTensors.Problem("early stopping's best weights are incomplete") }
    guard let low = tensors["order.low"], let high = tensors["order.high"], low.rank == 1, high.shape == low.shape else {
      throw SafeTensors.Problem("no order.low and order.high of one length (the examples' order)")
    }
    var order: [Int64] = []
    order.reserveCapacity(low.count)
    for (l, h) in zip(low.scalars, high.scalars) {
      guard l >= 0, l < 0x100_0000, l == l.rounded(), h >= 0, h < 0x100_0000, h == h.rounded() else {
        throw SafeTensors.Problem("the examples' order holds \(l) and \(h), which are not example indices")
      }
      order.append(Int64(h) << 24 | Int64(l))
    }
    return Checkpoint(model: model, training: training,
                      snapshot: RunSnapshot(progress: progress, order: order, optimizerState: optimizerState, bestWeights: best))
  }
}

extension ModelFile {
  /// The model in the file at `path`, a model file or a checkpoint (then with where its run
  /// stands), for commands that describe either.
  ///
  /// - Throws: `FileError` naming the file and what is wrong.
  public static func readModelOrCheckpoint(_ path: String) throws -> (file: ModelFile, checkpoint: RunProgress?) {
    let data = try FileIO.read(path)
    do {
      if (try? SafeTensors.decode(data))?.metadata["format"] == Checkpoint.format {
        let checkpoint = try Checkpoint.decode(data)
        return (ModelFile(model: checkpoint.model, training: checkpoint.training, history: checkpoint.snapshot.progress.history),
                checkpoint.snapshot.progress)
      }
      return (try decode(data), nil)
    } catch let problem as SafeTensors.Problem {
      throw FileError(path, problem.description)
    }
  }
}
