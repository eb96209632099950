import FileIO
import Foundation

/// An `.aec` file of text: its bytes coded by a token model's predictions. The text is cut into
/// segments of one length (the last shorter), each coded on its own rANS stream from the model's
/// start, so they are coded and decoded side by side.
///
/// | bytes | field |
/// |---|---|
/// | 8 | magic `89 41 45 54 0D 0A 1A 0A` (`\x89AET\r\n\x1a\n`; an image file's is `\x89AEC…`) |
/// | 1 | format version (1) |
/// | 8 | the model's fingerprint (`Autoencoder.fingerprint`), little-endian |
/// | varint n, n | the model file's name (UTF-8, at most 255 bytes), for messages |
/// | varint | the text's length in bytes, N |
/// | varint | the segment length L (1 ≤ L ≤ N, N ≥ 1); S = ⌈N / L⌉ segments |
/// | 4 | CRC-32 of the text, little-endian: a decoder that drifts from its encoder is caught |
/// | S × (varint P, P) | each segment's rANS stream (`RANSEncoder`), byte t coded under the model's prediction after bytes 0 ..< t of its segment |
/// | 4 | CRC-32 of every byte before it, little-endian |
public struct CompressedText: Equatable, Sendable {
  public static let magic: [UInt8] = [0x89, 0x41, 0x45, 0x54, 0x0D, 0x0A, 0x1A, 0x0A]
  public static let version: UInt8 = 1
  /// The longest text a file may declare (so a corrupt length allocates nothing).
  public static let maximumLength = 1 << 32

  /// The model file's name when the file was made, for messages.
  public var model: String
  /// `Autoencoder.fingerprint` of the model that made the file.
  public var fingerprint: String
  public var length: Int
  public var segmentLength: Int
  /// CRC-32 of the text.
  public var textChecksum: UInt32
  /// One rANS stream per segment.
  public var streams: [[UInt8]]

  public init(model: String, fingerprint: String, length: Int, segmentLength: Int, textChecksum: UInt32, streams: [[UInt8]]) {
    precondition(length >= 1 && segmentLength >= 1 && streams.count == (length + segmentLength - 1) / segmentLength, "a text of \(length) bytes in \(streams.count) segments of \(segmentLength)")
    (self.model, self.fingerprint, self.length, self.segmentLength, self.textChecksum, self.streams) =
      (model, fingerprint, length, segmentLength, textChecksum, streams)
  }

  /// The segments' byte ranges in the text.
  public var segments: [Range<Int>] {
    stride(from: 0, to: length, by: segmentLength).map { $0..<min($0 + segmentLength, length) }
  }

  /// Whether `bytes` start with this format's magic number.
  public static func isText(_ bytes: [UInt8]) -> Bool { bytes.count >= magic.count && Array(bytes[0..<magic.count]) == magic }

  /// The file's bytes.
  public func encoded() -> [UInt8] {
    var bytes = Self.magic
    bytes.append(Self.version)
    bytes.appendLittleEndian(UInt64(fingerprint, radix: 16) ?? 0, count: 8)
    let name = Array(model.utf8.prefix(255))
    bytes.appendVarint(UInt64(name.count))
    bytes += name
    bytes.appendVarint(UInt64(length))
    bytes.appendVarint(UInt64(segmentLength))
    bytes.appendLittleEndian(UInt64(textChecksum), count: 4)
    for stream in streams {
      bytes.appendVarint(UInt64(stream.count))
      bytes += stream
    }
    bytes.appendLittleEndian(UInt64(Zlib.crc32(bytes)), count: 4)
    return bytes
  }

  /// Reads the text `.aec` file at `path`.
  ///
  /// - Throws: `FileError` naming the file and what is wrong with it.
  public static func read(_ path: String) throws -> CompressedText {
    let bytes = try FileIO.readBytes(path)
    do {
      return try decode(bytes)
    } catch {  // decode throws only Problem
      throw FileError(path, error.description)
    }
  }

  /// The file in `bytes`.
  ///
  /// - Throws: `CompressedFile.Problem` saying what is wrong: not a text .aec file, a newer
  ///   version, a checksum mismatch, a section that ends early or holds impossible values.
  public static func decode(_ bytes: [UInt8]) throws(CompressedFile.Problem) -> CompressedText {
    guard isText(bytes) else {
      throw CompressedFile.Problem(bytes.count >= 8 && Array(bytes[0..<8]) == CompressedFile.magic
        ? "holds compressed images, not text; decompress it with the image model that made it"
        : "not a compressed text file (no .aec text magic number at its start)")
    }
    var reader = try ByteReader(container: bytes, magic: magic, version: version)
    let fingerprint = try reader.littleEndian(8, "the fingerprint")
    let nameLength = try reader.varint("the length of the model's name")
    guard nameLength <= 255 else { throw CompressedFile.Problem("corrupt header: a model name of \(nameLength) bytes") }
    guard let model = String(validating: try reader.take(Int(nameLength), "the model's name"), as: UTF8.self) else {
      throw CompressedFile.Problem("corrupt header: the model's name is not UTF-8")
    }
    let length = try reader.varint("the text's length")
    guard (1...UInt64(maximumLength)).contains(length) else { throw CompressedFile.Problem("corrupt header: a text of \(length) bytes") }
    let segmentLength = try reader.varint("the segment length")
    guard (1...length).contains(segmentLength) else {
      throw CompressedFile.Problem("corrupt header: segments of \(segmentLength) bytes for a text of \(length)")
    }
    let textChecksum = UInt32(try reader.littleEndian(4, "the text's checksum"))
    let count = Int((length + segmentLength - 1) / segmentLength)
    // Each segment's stream takes at least its 4-byte state and a length byte.
    guard count <= (reader.end - reader.position) / 5 else {
      throw CompressedFile.Problem("the file ends before its \(count) segments' streams")
    }
    var streams: [[UInt8]] = []
    streams.reserveCapacity(count)
    for index in 0..<count {
      let size = try reader.varint("the length of segment \(index + 1)'s stream")
      guard size <= UInt64(reader.end - reader.position) else {
        throw CompressedFile.Problem("segment \(index + 1)'s stream is declared as \(size) bytes but \(reader.end - reader.position) follow")
      }
      streams.append(try reader.take(Int(size), "segment \(index + 1)'s stream"))
    }
    guard reader.position == reader.end else { throw CompressedFile.Problem("\(reader.end - reader.position) bytes after the last segment") }
    return CompressedText(model: model, fingerprint: hex(fingerprint), length: Int(length),
                          segmentLength: Int(segmentLength), textChecksum: textChecksum, streams: streams)
  }
}
