import EntropyCoding
import FileIO
import Foundation
import NN
import TensorCore

/// Lossless text compression with a token model of bytes (`Architecture.vocabulary` 256, as
/// `--model text` trains): each byte is coded with rANS under the model's prediction from the
/// bytes before it, the prediction computed in exact arithmetic (`TokenPredictor`) so that
/// decoding, on any machine, predicts what encoding did. Every byte value has a frequency of at
/// least 1, so any bytes round-trip, those never seen in training included (at more bits).
///
/// The text is cut into segments (`CompressedText`) coded side by side, each from the model's
/// start: a step of the model then runs over many streams at once, and the threads take a share
/// of the streams each. Segments are at least `minimumSegmentLength` bytes (a segment's first
/// bytes cost more, with no context), and at most `maximumSegments` of them.
public struct TextCodec {
  public let model: Autoencoder
  /// The model file's name, recorded in files for messages.
  public let modelName: String
  public static let maximumSegments = 64
  public static let minimumSegmentLength = 4096

  /// - Throws: `SteppingError` when the model is not a token model of the 256 byte values or
  ///   cannot run one step at a time.
  public init(model: Autoencoder, name: String) throws {
    guard let vocabulary = model.architecture.vocabulary else {
      throw SteppingError("\(name) is not a text model (its first layer is not an embedding; train one with --model text)")
    }
    guard vocabulary == 256 else { throw SteppingError("\(name) models \(vocabulary) tokens; text compression needs a model of the 256 byte values") }
    _ = try TokenPredictor(model, streams: 1)
    self.model = model
    modelName = name
  }

  /// The segment length for a text of `length` bytes.
  public static func segmentLength(for length: Int) -> Int {
    max(1, min(length, max(minimumSegmentLength, (length + maximumSegments - 1) / maximumSegments)))
  }

  /// `text` compressed. `source` names it in errors.
  ///
  /// - Throws: `FileError` when `text` is empty, `MemoryBudget.Exceeded` when coding it would
  ///   not fit the memory budget, `NonFiniteOutputError` when the model's predictions are NaN or
  ///   infinite.
  public func compress(_ text: [UInt8], source: String) throws -> CompressedText {
    guard !text.isEmpty else { throw FileError(source, "holds no characters (an empty text file)") }
    // The coders keep each symbol's range until their streams are finished: 8 bytes a byte of text.
    try MemoryBudget.current.check(text.count.multipliedReportingOverflow(by: 9).partialValue, for: "compressing \(source) (\(groupedDigits(text.count)) bytes)")
    let segmentLength = Self.segmentLength(for: text.count)
    let segments = stride(from: 0, to: text.count, by: segmentLength).map { $0..<min($0 + segmentLength, text.count) }
    let streams = try text.withUnsafeBufferPointer { text in
      try eachGroup(of: segments) { group, stepper -> [[UInt8]] in
        // Stream s codes its segment's byte t under its prediction after bytes 0 ..< t.
        var encoders = [RANSEncoder](repeating: RANSEncoder(), count: group.count)
        for t in 0..<group[0].count {
          try stepper.step(previous: { t == 0 || t > group[$0].count ? 0 : Int(text[group[$0].lowerBound + t - 1]) }) { stream, cumulative in
            guard t < group[stream].count else { return }
            let byte = Int(text[group[stream].lowerBound + t])
            encoders[stream].encode(start: cumulative[byte], frequency: cumulative[byte + 1] - cumulative[byte])
          }
        }
        return encoders.map { $0.finish() }
      }
    }
    return CompressedText(model: modelName, fingerprint: model.fingerprint, length: text.count, segmentLength: segmentLength,
                          textChecksum: Zlib.crc32(text), streams: streams)
  }

  /// The text `file` holds. `path` names the file in errors.
  ///
  /// - Throws: `CodecError.otherModel` for a file another model made, `CodecError.corrupt` for a
  ///   stream that does not decode or a text that does not match its checksum.
  public func decompress(_ file: CompressedText, path: String) throws -> [UInt8] {
    guard file.fingerprint == model.fingerprint else {
      throw CodecError.otherModel(path: path, made: file.model, fingerprint: file.fingerprint, given: modelName, givenFingerprint: model.fingerprint)
    }
    let segments = file.segments
    var text = [UInt8](repeating: 0, count: file.length)
    do {
      try text.withUnsafeMutableBufferPointer { buffer in
        let text = buffer  // each group writes its own segments' bytes
        _ = try eachGroup(of: segments) { group, stepper -> [Void] in
          let first = segments.firstIndex(of: group[0])!
          var decoders = try group.indices.map { try RANSDecoder(file.streams[first + $0]) }
          for t in 0..<group[0].count {
            try stepper.step(previous: { t == 0 || t > group[$0].count ? 0 : Int(text[group[$0].lowerBound + t - 1]) }) { stream, cumulative in
              guard t < group[stream].count else { return }
              text[group[stream].lowerBound + t] = UInt8(try decoders[stream].decode(cumulative: cumulative))
            }
          }
          for decoder in decoders { try decoder.finish() }
          return group.map { _ in () }
        }
      }
    } catch let error as EntropyCodingError {
      throw CodecError.corrupt(path: path, problem: "a segment's stream does not decode (\(error)); the file is corrupt")
    }
    let checksum = Zlib.crc32(text)
    guard checksum == file.textChecksum else {
      throw CodecError.corrupt(path: path, problem: "the decoded text does not match its checksum (stored \(hex(file.textChecksum)), "
        + "decoded \(hex(checksum))): the file is corrupt")
    }
    return text
  }

  /// `body`'s results for each group of consecutive segments, in segment order: one group per
  /// thread, each with a `Stepper` of as many streams as it has segments (the first segment of a
  /// group is its longest). The first error any group throws is thrown.
  private func eachGroup<Result>(of segments: [Range<Int>], _ body: (_ group: [Range<Int>], _ stepper: Stepper) throws -> [Result]) throws
    -> [Result]
  {
    let groups = max(1, min(Parallel.threads, segments.count))
    let bounds = (0...groups).map { segments.count * $0 / groups }
    var results = [[Result]](repeating: [], count: groups)
    var errors = [(any Error)?](repeating: nil, count: groups)
    results.withUnsafeMutableBufferPointer { results in
      errors.withUnsafeMutableBufferPointer { errors in
        let (results, errors) = (results, errors)  // each group writes its own slot
        Parallel.forEachShard(groups) { group in
          do {
            let members = Array(segments[bounds[group]..<bounds[group + 1]])
            results[group] = try body(members, try Stepper(model: model, streams: members.count))
          } catch {
            errors[group] = error
          }
        }
      }
    }
    if let error = errors.lazy.compactMap({ $0 }).first { throw error }
    return results.flatMap { $0 }
  }

  /// A predictor of some streams, and the frequency buffers its steps reuse.
  final class Stepper {
    let predictor: TokenPredictor
    let model: Autoencoder
    private var frequencies = [UInt32](repeating: 0, count: 256)
    private var cumulative = [UInt32](repeating: 0, count: 257)

    init(model: Autoencoder, streams: Int) throws {
      predictor = try TokenPredictor(model, streams: streams)
      self.model = model
    }

    /// Advances every stream by one step (`previous(s)`: stream s's last byte, 0 before its
    /// first) and calls `each` with each stream's cumulative frequencies for its next byte (257
    /// entries rising from 0 to `SymbolTable.total`).
    func step(previous: (Int) -> Int, each: (_ stream: Int, _ cumulative: UnsafeBufferPointer<UInt32>) throws -> Void) throws {
      try predictor.step(previous: previous) { logits in
        for stream in 0..<predictor.streams {
          let finite = frequencies.withUnsafeMutableBufferPointer { frequencies in
            ExactArithmetic.frequencies(logits: logits.baseAddress! + stream * 256, count: 256, total: SymbolTable.total, into: frequencies.baseAddress!)
          }
          guard finite else { throw model.nonFinite("the model's prediction of a byte is NaN or infinite") }
          var sum: UInt32 = 0
          for symbol in 0..<256 {
            cumulative[symbol] = sum
            sum += frequencies[symbol]
          }
          cumulative[256] = sum
          try cumulative.withUnsafeBufferPointer { try each(stream, $0) }
        }
      }
    }
  }
}
