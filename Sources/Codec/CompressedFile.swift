import EntropyCoding
import FileIO
import Foundation

/// An `.aec` file: images compressed by a model's codes, entropy-coded.
///
/// | bytes | field |
/// |---|---|
/// | 8 | magic `89 41 45 43 0D 0A 1A 0A` (`\x89AEC\r\n\x1a\n`: a text-mode copy breaks it) |
/// | 2 | format version, little-endian (1) |
/// | 4 | header length `H`, little-endian |
/// | H | header: JSON (`Header`): the model's name and fingerprint, the image count and shape, file names, the code shape, the quantization rule |
/// | 4 | channel count `C`, little-endian |
/// | 8 C | quantization: each channel's origin and step, float32 little-endian (none when `tables` is `"model"`: a codec's code is rounded, origin 0 and step 1) |
/// | … | probability tables (none when the header's `tables` is `"model"`: a codec's own, stored in its model file), one per channel, as the occurrence counts `SymbolTable(lowest:counts:)` makes it from: lowest value (zigzag varint), value count `n` (varint), escape count (varint), the number `k` of values that occur (varint), then `k` pairs (varints): the gap from the previous such value's index (the first from −1) and its count |
/// | 8 | payload length `P`, little-endian |
/// | P | payload: one rANS stream (`RANSEncoder`) of every image's code symbols, image by image, channel `i mod C` coded under table `i mod C` |
/// | 4 | CRC-32 of every byte before it, little-endian |
public struct CompressedFile: Equatable, Sendable {
  public static let magic: [UInt8] = [0x89, 0x41, 0x45, 0x43, 0x0D, 0x0A, 0x1A, 0x0A]
  public static let version: UInt16 = 1
  /// Bounds a file's declarations are held to before anything is allocated from them.
  public static let maximumImages = 1 << 24
  public static let maximumValues = 1 << 28

  /// What the header says.
  public struct Header: Codable, Equatable, Sendable {
    /// The model file's name when the file was made, for messages.
    public var model: String
    /// `Autoencoder.fingerprint` of the model that made the file.
    public var fingerprint: String
    public var count: Int
    /// One image's shape, `[height, width, channels]`.
    public var imageShape: [Int]
    /// The images' file names (PNG inputs), or nil.
    public var names: [String]?
    /// One image's code shape.
    public var codeShape: [Int]
    /// How the codes were quantized (`CodeQuantizer.Rule.description`), for people.
    public var quantization: String
    /// `"model"` when the payload is coded under the model file's own tables (a rate-trained
    /// codec's); nil when the tables are in this file.
    public var tables: String?
    /// For a fully convolutional model given images of another size than it was trained on: the
    /// `[height, width]` the images were padded to (by repeating their edges) so its strides
    /// divide them; decoding crops back to `imageShape`. Nil otherwise.
    public var paddedShape: [Int]?

    enum CodingKeys: String, CodingKey {
      case model, fingerprint, count, imageShape = "image_shape", names, codeShape = "code_shape", quantization, tables
      case paddedShape = "padded_shape"
    }

    public init(model: String, fingerprint: String, count: Int, imageShape: [Int], names: [String]?, codeShape: [Int], quantization: String,
                tables: String? = nil) {
      (self.model, self.fingerprint, self.count, self.imageShape, self.names, self.codeShape, self.quantization, self.tables) =
        (model, fingerprint, count, imageShape, names, codeShape, quantization, tables)
    }

    /// Whether the model file's tables code the payload.
    public var tablesInModel: Bool { tables == "model" }

    /// What is wrong with the header's values, or nil.
    var problem: String? {
      guard (0...CompressedFile.maximumImages).contains(count) else { return "an image count of \(count)" }
      guard imageShape.count == 3, imageShape.allSatisfy({ $0 >= 1 && $0 <= 1 << 14 }), [1, 3].contains(imageShape[2]),
            imageShape[0] * imageShape[1] <= 1 << 24
      else { return "an image shape of \(imageShape)" }
      guard !codeShape.isEmpty, codeShape.count <= 3, codeShape.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }),
            let size = checkedProduct(codeShape), size <= 1 << 24
      else { return "a code shape of \(codeShape)" }
      guard let values = checkedProduct([count, max(size, imageShape.reduce(1, *))]), values <= CompressedFile.maximumValues else {
        return "\(count) images of \(imageShape) (codes \(codeShape)): more than this tool decodes at once"
      }
      if let names, names.count != count { return "\(names.count) file names for \(count) images" }
      if let tables, tables != "model" { return "tables \"\(tables)\" (only \"model\" is known)" }
      if let paddedShape {
        guard paddedShape.count == 2, paddedShape[0] >= imageShape[0], paddedShape[1] >= imageShape[1], paddedShape.allSatisfy({ $0 <= 1 << 14 }),
              paddedShape[0] * paddedShape[1] <= 1 << 24, let values = checkedProduct([count, paddedShape[0], paddedShape[1], imageShape[2]]),
              values <= CompressedFile.maximumValues
        else { return "a padded shape of \(paddedShape) for images of \(imageShape)" }
      }
      if let names, let bad = names.first(where: { $0.isEmpty || $0.contains("/") || $0 == "." || $0 == ".." || $0.utf8.count > 255 }) {
        return "a file name \"\(bad)\" that is not a plain name"
      }
      return nil
    }
  }

  public var header: Header
  public var quantizer: CodeQuantizer
  public var tables: [SymbolTable]
  public var payload: [UInt8]

  public init(header: Header, quantizer: CodeQuantizer, tables: [SymbolTable], payload: [UInt8]) {
    precondition(tables.count == (header.tablesInModel ? 0 : quantizer.channels))
    precondition(!header.tablesInModel || (quantizer.origins.allSatisfy { $0 == 0 } && quantizer.steps.allSatisfy { $0 == 1 }),
                 "a codec's code is rounded: origin 0, step 1")
    (self.header, self.quantizer, self.tables, self.payload) = (header, quantizer, tables, payload)
  }

  /// The file's bytes.
  public func encoded() throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let json = Array(try encoder.encode(header))
    var bytes = Self.magic
    bytes.appendLittleEndian(UInt64(Self.version), count: 2)
    bytes.appendLittleEndian(UInt64(json.count), count: 4)
    bytes += json
    bytes.appendLittleEndian(UInt64(quantizer.channels), count: 4)
    for channel in 0..<(header.tablesInModel ? 0 : quantizer.channels) {  // a codec's rounding is implied
      bytes.appendLittleEndian(UInt64(quantizer.origins[channel].bitPattern), count: 4)
      bytes.appendLittleEndian(UInt64(quantizer.steps[channel].bitPattern), count: 4)
    }
    for table in tables {
      bytes.appendVarint(UInt64(zigzag(table.lowest)))
      bytes.appendVarint(UInt64(table.count))
      bytes.appendVarint(UInt64(table.counts[table.count]))
      let occurring = (0..<table.count).filter { table.counts[$0] > 0 }
      bytes.appendVarint(UInt64(occurring.count))
      var previous = -1
      for index in occurring {
        bytes.appendVarint(UInt64(index - previous))
        bytes.appendVarint(UInt64(table.counts[index]))
        previous = index
      }
    }
    bytes.appendLittleEndian(UInt64(payload.count), count: 8)
    bytes += payload
    bytes.appendLittleEndian(UInt64(Zlib.crc32(bytes)), count: 4)
    return bytes
  }

  /// Writes the file atomically: a complete file at `path`, or none.
  public func write(to path: String) throws {
    try FileIO.writeAtomically(Data(try encoded()), to: path)
  }

  /// Reads the `.aec` file at `path`.
  ///
  /// - Throws: `FileError` naming the file and what is wrong with it.
  public static func read(_ path: String) throws -> CompressedFile {
    let bytes = try FileIO.readBytes(path)
    do {
      return try decode(bytes)
    } catch let problem as Problem {
      throw FileError(path, problem.description)
    }
  }

  /// What makes bytes not an `.aec` file.
  public struct Problem: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
  }

  /// The file in `bytes`.
  ///
  /// - Throws: `Problem` saying what is wrong: not an .aec file, a newer version, a checksum
  ///   mismatch, a section that ends early or holds impossible values.
  public static func decode(_ bytes: [UInt8]) throws(Problem) -> CompressedFile {
    guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
      throw Problem("not a compressed image file (no .aec magic number at its start)")
    }
    var reader = ByteReader(bytes: bytes, position: magic.count)
    let version = try reader.littleEndian(2, "the version")
    guard version == UInt64(Self.version) else {
      throw Problem(version > UInt64(Self.version) ? "format version \(version) is newer than this tool's \(Self.version); update AutoencoderKit"
                                                  : "unknown format version \(version)")
    }
    guard bytes.count >= magic.count + 2 + 4 else { throw Problem("the file ends inside its header (\(bytes.count) bytes)") }
    let stored = UInt32(bytes[bytes.count - 4]) | UInt32(bytes[bytes.count - 3]) << 8 | UInt32(bytes[bytes.count - 2]) << 16
      | UInt32(bytes[bytes.count - 1]) << 24
    let computed = Zlib.crc32(bytes[..<(bytes.count - 4)])
    guard stored == computed else {
      throw Problem("checksum mismatch (stored \(hex(stored)), computed \(hex(computed))): the file is truncated or corrupt")
    }
    reader.end = bytes.count - 4
    let headerLength = Int(try reader.littleEndian(4, "the header length"))
    let json = try reader.take(headerLength, "the header")
    let header: Header
    do {
      header = try JSONDecoder().decode(Header.self, from: Data(json))
    } catch {
      throw Problem("corrupt header: \(error is DecodingError ? "not the expected JSON" : "\(error)")")
    }
    if let problem = header.problem { throw Problem("corrupt header: \(problem)") }
    let channels = Int(try reader.littleEndian(4, "the channel count"))
    guard channels >= 1, channels <= 1 << 20, header.codeShape.reduce(1, *) % channels == 0 else {
      throw Problem("corrupt quantization: \(channels) channels for codes of shape \(header.codeShape)")
    }
    var origins = [Float](repeating: 0, count: channels), steps = [Float](repeating: 1, count: channels)
    for channel in 0..<(header.tablesInModel ? 0 : channels) {
      origins[channel] = Float(bitPattern: UInt32(try reader.littleEndian(4, "the quantization")))
      steps[channel] = Float(bitPattern: UInt32(try reader.littleEndian(4, "the quantization")))
    }
    guard origins.allSatisfy(\.isFinite), steps.allSatisfy({ $0 > 0 && $0.isFinite }) else {
      throw Problem("corrupt quantization: a step that is not positive or a value that is not finite")
    }
    var tables: [SymbolTable] = []
    for channel in 0..<(header.tablesInModel ? 0 : channels) {
      let what = "probability table \(channel)"
      let lowest = try reader.varint(what), count = try reader.varint(what), escapes = try reader.varint(what)
      let occurring = try reader.varint(what)
      guard lowest <= UInt64(UInt32.max), (1...UInt64(SymbolTable.maximumCount)).contains(count), occurring <= count,
            escapes <= UInt64(SymbolTable.maximumTotalCount)
      else { throw Problem("corrupt \(what): \(count) values, \(occurring) occurring") }
      var counts = [Int](repeating: 0, count: Int(count) + 1)
      counts[Int(count)] = Int(escapes)
      var index = -1
      for _ in 0..<occurring {
        let gap = try reader.varint(what), occurrences = try reader.varint(what)
        guard gap >= 1, gap <= count, index + Int(gap) < Int(count), occurrences >= 1, occurrences <= UInt64(SymbolTable.maximumTotalCount) else {
          throw Problem("corrupt \(what): a value outside its \(count) or a count of \(occurrences)")
        }
        index += Int(gap)
        counts[index] = Int(occurrences)
      }
      do {
        tables.append(try SymbolTable(lowest: unzigzag(UInt32(lowest)), counts: counts))
      } catch {
        throw Problem("corrupt \(what): \(error)")
      }
    }
    let payloadLength = try reader.littleEndian(8, "the payload length")
    guard payloadLength == UInt64(reader.end - reader.position) else {
      throw Problem("the payload is declared as \(payloadLength) bytes but \(reader.end - reader.position) follow")
    }
    let payload = try reader.take(Int(payloadLength), "the payload")
    return CompressedFile(header: header, quantizer: CodeQuantizer(origins: origins, steps: steps), tables: tables, payload: payload)
  }
}

private func hex(_ value: UInt32) -> String {
  let digits = String(value, radix: 16)
  return String(repeating: "0", count: 8 - digits.count) + digits
}

func zigzag(_ value: Int32) -> UInt32 { UInt32(bitPattern: (value << 1) ^ (value >> 31)) }
func unzigzag(_ value: UInt32) -> Int32 { Int32(bitPattern: value >> 1) ^ -Int32(bitPattern: value & 1) }

extension [UInt8] {
  mutating func appendLittleEndian(_ value: UInt64, count: Int) {
    for index in 0..<count { append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
  }

  mutating func appendVarint(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    append(UInt8(value))
  }
}

/// Reads fields in order, each read checked against the end.
private struct ByteReader {
  let bytes: [UInt8]
  var position: Int
  var end: Int

  init(bytes: [UInt8], position: Int) {
    self.bytes = bytes
    self.position = position
    end = bytes.count
  }

  mutating func take(_ count: Int, _ what: String) throws(CompressedFile.Problem) -> [UInt8] {
    guard count >= 0, count <= end - position else { throw CompressedFile.Problem("the file ends inside \(what)") }
    defer { position += count }
    return Array(bytes[position..<(position + count)])
  }

  mutating func littleEndian(_ count: Int, _ what: String) throws(CompressedFile.Problem) -> UInt64 {
    guard count <= end - position else { throw CompressedFile.Problem("the file ends inside \(what)") }
    var value: UInt64 = 0
    for index in 0..<count { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
    position += count
    return value
  }

  mutating func varint(_ what: String) throws(CompressedFile.Problem) -> UInt64 {
    var value: UInt64 = 0
    for shift in stride(from: 0, to: 64, by: 7) {
      guard position < end else { throw CompressedFile.Problem("the file ends inside \(what)") }
      let byte = bytes[position]
      position += 1
      value |= UInt64(byte & 0x7F) << UInt64(shift)
      if byte < 0x80 { return value }
    }
    throw CompressedFile.Problem("corrupt \(what): a number longer than 64 bits")
  }
}
