import FileIO

/// An `.aec` file of images of several sizes: one section per size, each a whole `CompressedFile`
/// of that size's images (their names say where each goes). Images of one size make a plain
/// version-1 file (or a compact version-4 one), byte for byte what `CompressedFile` writes;
/// several sizes, a version-2 file:
///
/// | bytes | field |
/// |---|---|
/// | 8 | magic `89 41 45 43 0D 0A 1A 0A`, as version 1 |
/// | 1 | format version (2) |
/// | varint N | sections, at least 2 |
/// | N × (varint n, n) | each section's bytes: a version-1 file of one size's images, with its own checksum |
/// | 4 | CRC-32 of every byte before it, little-endian |
public struct CompressedImages: Equatable, Sendable {
  public static let version: UInt8 = 2

  /// One section per image size.
  public var sections: [CompressedFile]

  public init(sections: [CompressedFile]) {
    precondition(!sections.isEmpty, "no sections")
    self.sections = sections
  }

  /// The images in every section.
  public var count: Int { sections.reduce(0) { $0 + $1.header.count } }

  /// The payloads' bytes, all sections together.
  public var payloadBytes: Int { sections.reduce(0) { $0 + $1.payload.count } }

  /// What is wrong across the sections, or nil: models that differ, images without names (a file
  /// of several sizes is written back by name), a name twice, too many images or values.
  var problem: String? {
    guard sections.count > 1 else { return nil }
    let fingerprints = Set(sections.map(\.header.fingerprint))
    guard fingerprints.count == 1 else { return "sections made by \(fingerprints.count) different models" }
    guard sections.allSatisfy({ $0.header.names != nil }) else { return "a section of images without file names" }
    var names = Set<String>()
    for name in sections.flatMap({ $0.header.names! }) where !names.insert(name).inserted { return "the file name \"\(name)\" twice" }
    guard count <= CompressedFile.maximumImages else { return "\(count) images" }
    let values = sections.reduce(0) { total, section in
      let header = section.header
      return total + header.count * max(header.codeShape.reduce(1, *), (header.paddedShape ?? Array(header.imageShape.prefix(2))).reduce(1, *) * header.imageShape[2])
    }
    guard values <= CompressedFile.maximumValues else { return "\(values) values in all: more than this tool decodes at once" }
    return nil
  }

  /// The file's bytes: a version-1 file for one section, else a version-2 file of sections.
  public func encoded() throws -> [UInt8] {
    if sections.count == 1 { return try sections[0].encoded() }
    var bytes = CompressedFile.magic
    bytes.append(Self.version)
    bytes.appendVarint(UInt64(sections.count))
    for section in sections {
      let encoded = try section.encoded()
      bytes.appendVarint(UInt64(encoded.count))
      bytes += encoded
    }
    bytes.appendLittleEndian(UInt64(Zlib.crc32(bytes)), count: 4)
    return bytes
  }

  /// The images of a version-1 or version-2 file.
  ///
  /// - Throws: `CompressedFile.Problem` saying what is wrong, as `CompressedFile.decode` does, or
  ///   for a section: which one and what.
  public static func decode(_ bytes: [UInt8]) throws(CompressedFile.Problem) -> CompressedImages {
    if CompressedFile.isCompact(bytes) { return CompressedImages(sections: [try CompressedFile.decode(bytes)]) }
    guard bytes.count >= CompressedFile.magic.count, Array(bytes[0..<CompressedFile.magic.count]) == CompressedFile.magic else {
      throw CompressedFile.Problem("not a compressed image file (no .aec magic number at its start)")
    }
    if bytes.count > CompressedFile.magic.count, [CompressedFile.version, CompressedFile.compactVersion3].contains(bytes[CompressedFile.magic.count]) {
      return CompressedImages(sections: [try CompressedFile.decode(bytes)])
    }
    var reader = try ByteReader(container: bytes, magic: CompressedFile.magic, version: version, newest: CompressedFile.compactVersionOneImage)
    let count = try reader.varint("the section count")
    guard (2...UInt64(CompressedFile.maximumImages)).contains(count) else { throw CompressedFile.Problem("corrupt header: \(count) sections") }
    var sections: [CompressedFile] = []
    for index in 0..<Int(count) {
      let length = try reader.varint("the length of section \(index + 1)")
      guard length <= UInt64(reader.end - reader.position) else {
        throw CompressedFile.Problem("section \(index + 1) is declared as \(length) bytes but \(reader.end - reader.position) follow")
      }
      let section = try reader.take(Int(length), "section \(index + 1)")
      guard !CompressedFile.isCompact(section), section.count > CompressedFile.magic.count, section[CompressedFile.magic.count] == CompressedFile.version else {
        throw CompressedFile.Problem("section \(index + 1) is not a version-\(CompressedFile.version) file of one image size")
      }
      do {
        sections.append(try CompressedFile.decode(section))
      } catch {
        throw CompressedFile.Problem("section \(index + 1): \(error.description)")
      }
    }
    guard reader.position == reader.end else { throw CompressedFile.Problem("\(reader.end - reader.position) bytes after the last section") }
    let images = CompressedImages(sections: sections)
    if let problem = images.problem { throw CompressedFile.Problem("corrupt file: \(problem)") }
    return images
  }
}
