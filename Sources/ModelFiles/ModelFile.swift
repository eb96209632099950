import Datasets
import EntropyCoding
import FileIO
import Foundation
import NN
import TensorCore
import Training

/// A trained autoencoder in a safetensors file: its parameters as tensors under their dotted
/// names (`encoder.0.weight`, Keras layout `[inputSize, outputSize]`), and in the metadata its
/// architecture, how it was trained and its history, as JSON strings, so the file alone
/// rebuilds the model:
///
/// | metadata key | value |
/// |---|---|
/// | `format` | `autoencoderkit` |
/// | `format_version` | `1` |
/// | `architecture` | `Architecture` as JSON |
/// | `training` | `TrainingConfiguration` as JSON (absent for untrained models) |
/// | `history` | `History` as JSON (absent for untrained models) |
/// | `data` | `DataDescription` as JSON: class names, column names, the scaling (absent for untrained models) |
/// | `calibration` | `Calibration` as JSON: the anomaly threshold and its rule (after `autoencoder calibrate`) |
/// | `entropy_tables` | a codec's probability table per code channel (`SymbolTable` as JSON), computed once from its density when the file is first written |
/// | `context_tables` | a codec's tables per code cell and neighbourhood (`ContextTables`, as `StoredContextTables` writes them), fitted to its training codes after training or by `autoencoder fit-tables` |
public struct ModelFile {
  /// The current format version; files of a later version are refused.
  public static let formatVersion = 1

  public var model: Autoencoder
  public var training: TrainingConfiguration?
  public var history: History?
  /// What the model knows of the data it was trained on.
  public var data: DataDescription?
  /// The anomaly threshold `calibrate` fitted, or nil.
  public var calibration: Calibration?
  /// A codec's probability tables as read from its file; nil for other models and for a codec
  /// not yet written (`encode` computes them then from its density).
  public var entropyTables: [SymbolTable]?
  /// A codec's tables per code cell and neighbourhood, fitted to codes of its training images
  /// (`ImageCodec.fittedContextTables`), or nil. Where they apply, they code in place of `entropyTables`.
  public var contextTables: ContextTables?

  public init(model: Autoencoder, training: TrainingConfiguration? = nil, history: History? = nil, data: DataDescription? = nil) {
    self.model = model
    self.training = training
    self.history = history
    self.data = data
  }

  /// Writes the file atomically: a complete file at `path`, or none.
  public func write(to path: String) throws {
    try FileIO.writeAtomically(try encode(), to: path)
  }

  /// The file's bytes.
  public func encode() throws -> Data {
    func json(_ value: some Encodable) throws -> String { try Self.json(value) }
    var metadata = ["format": "autoencoderkit", "format_version": String(Self.formatVersion),
                    "architecture": try json(model.architecture)]
    if let training { metadata["training"] = try json(training) }
    if let history { metadata["history"] = try json(history) }
    if let data { metadata["data"] = try json(data) }
    if let calibration { metadata["calibration"] = try json(calibration) }
    if let tables = entropyTables ?? model.bottleneck?.symbolTables() { metadata["entropy_tables"] = try json(tables) }
    if let contextTables { metadata["context_tables"] = try json(StoredContextTables(contextTables)) }
    return try SafeTensors.encode(model.namedParameters.map { ($0.name, $0.parameter.value) }, metadata: metadata)
  }

  /// Reads the model file at `path`.
  ///
  /// - Throws: `FileError` naming the file and what is wrong: not safetensors, not an
  ///   AutoencoderKit model, a missing, extra or misshapen tensor, non-finite weights.
  public static func read(_ path: String) throws -> ModelFile {
    let data = try FileIO.read(path)
    do {
      return try decode(data)
    } catch let problem as SafeTensors.Problem {
      throw FileError(path, problem.description)
    }
  }

  /// The model in a file's bytes.
  public static func decode(_ data: Data) throws -> ModelFile {
    let (tensors, metadata) = try SafeTensors.decode(data)
    guard metadata["format"] == "autoencoderkit" else {
      if metadata["format"] == Checkpoint.format {
        throw SafeTensors.Problem("a training checkpoint, not a model file; continue its run with: autoencoder train --resume FILE")
      }
      throw SafeTensors.Problem("not an AutoencoderKit model (no \"format\": \"autoencoderkit\" in its metadata)")
    }
    guard let version = metadata["format_version"].flatMap(Int.init), version <= formatVersion else {
      throw SafeTensors.Problem("model format version \(metadata["format_version"] ?? "?") is newer than this tool's \(formatVersion); update AutoencoderKit")
    }
    func decoded<T: Decodable>(_ type: T.Type, _ key: String) throws -> T? { try Self.decoded(type, key, in: metadata) }
    guard let architecture = try decoded(Architecture.self, "architecture") else {
      throw SafeTensors.Problem("no architecture in the metadata")
    }
    // The architecture is checked against the limits and the tensors before any layer is built.
    let model: Autoencoder
    do {
      model = try Autoencoder(architecture, parameters: tensors)
    } catch ArchitectureError.parameters(let problem) {
      throw SafeTensors.Problem(problem)
    } catch {
      throw SafeTensors.Problem("its architecture cannot be built: \(error)")
    }
    if let (name, _) = model.namedParameters.first(where: { !$0.parameter.value.isFinite }) {
      throw SafeTensors.Problem("tensor \(name) holds NaN or infinite values")
    }
    let training = try decoded(TrainingConfiguration.self, "training")
    if let problem = training?.problem { throw SafeTensors.Problem("corrupt training metadata: \(problem)") }
    let data = try decoded(DataDescription.self, "data")
    if let problem = data?.problem(inputSize: model.architecture.inputSize) { throw SafeTensors.Problem("corrupt data metadata: \(problem)") }
    var file = ModelFile(model: model, training: training, history: try decoded(History.self, "history"), data: data)
    file.calibration = try decoded(Calibration.self, "calibration")
    if let problem = file.calibration?.problem { throw SafeTensors.Problem("corrupt calibration metadata: \(problem)") }
    file.entropyTables = try decoded([SymbolTable].self, "entropy_tables")
    if let tables = file.entropyTables, tables.count != model.bottleneck?.channels {
      throw SafeTensors.Problem("corrupt entropy_tables metadata: \(tables.count) tables for \(model.bottleneck.map { "\($0.channels) code channels" } ?? "a model with no bottleneck")")
    }
    file.contextTables = try decoded(StoredContextTables.self, "context_tables")?.tables()
    if let tables = file.contextTables, tables.channels != model.bottleneck?.channels {
      throw SafeTensors.Problem("corrupt context_tables metadata: tables of \(tables.channels) channels for \(model.bottleneck.map { "\($0.channels) code channels" } ?? "a model with no bottleneck")")
    }
    return file
  }

  /// A metadata value: a value as sorted-key JSON text.
  static func json(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }

  /// The metadata value under `key` decoded, or nil where there is none.
  ///
  /// - Throws: `SafeTensors.Problem` naming the key and what is wrong.
  static func decoded<T: Decodable>(_ type: T.Type, _ key: String, in metadata: [String: String]) throws -> T? {
    guard let text = metadata[key] else { return nil }
    do {
      return try JSONDecoder().decode(type, from: Data(text.utf8))
    } catch {
      throw SafeTensors.Problem("corrupt \(key) metadata: \(describe(error))")
    }
  }

  static func describe(_ error: any Error) -> String {
    if case DecodingError.dataCorrupted(let context) = error { return context.debugDescription }
    if case DecodingError.keyNotFound(let key, _) = error { return "no \(key.stringValue)" }
    if case DecodingError.typeMismatch(_, let context) = error { return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))" }
    return "\(error)"
  }
}
