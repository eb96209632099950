import EntropyCoding
import FileIO
import Foundation

/// An `.aec` file: images compressed by a model's codes, entropy-coded. Binary and small, so a file
/// of one 28×28 image costs tens of bytes beside its payload (varints are LEB128).
///
/// | bytes | field |
/// |---|---|
/// | 8 | magic `89 41 45 43 0D 0A 1A 0A` (`\x89AEC\r\n\x1a\n`: a text-mode copy breaks it) |
/// | 1 | format version (1) |
/// | 8 | the model's fingerprint (`Autoencoder.fingerprint`), little-endian |
/// | varint n, n | the model file's name (UTF-8, at most 255 bytes), for messages; empty (n = 0) in a stripped file |
/// | 1 | flags: 1 the model file's own tables code the payload (none follow: its context tables where they apply to the code's shape, else one per channel), 2 file names follow, 4 a padded size follows |
/// | 1 (+4 or +1) | quantization rule: 0 rounded (a codec: origin 0, step 1), 1 a step (float32 follows), 2 bits per value (1 byte follows; each channel's origin and step follow the shapes) |
/// | varints | image count, height, width, channels, code rank, the code's dimensions; with flag 4 the padded height and width |
/// | varints | with flag 2: each image's file name (length, UTF-8) |
/// | varint C, 8 C | code channels; with rule 2 each channel's origin and step, float32 little-endian |
/// | … | without flag 1: one probability table per channel, as the occurrence counts `SymbolTable(lowest:counts:)` makes it from: lowest value (zigzag varint), value count `n` (varint), escape count (varint), the number `k` of values that occur (varint), then `k` pairs (varints): the gap from the previous such value's index (the first from −1) and its count |
/// | varint P, P | payload: one rANS stream (`RANSEncoder`) of every image's code symbols, image by image, channel `i mod C` coded under table `i mod C` |
/// | 4 | CRC-32 of every byte before it, little-endian |
///
/// A compact file (version 4) is what `compress --strip` writes for a rate-trained codec's images
/// of one size: everything the model fixes left out (its name, the quantization, the code's shape
/// and channels, the padded size, which the model computes from the image size, the payload's
/// length, which the file's gives), 15 bytes beside its payload for images of the model's own
/// size (9 for one image: version 5), 17 for another size under 128 × 128:
///
/// | bytes | field |
/// |---|---|
/// | 4 | magic `89 41 45 43`: version 1's first four bytes (its fifth, `0D`, is never a compact version) |
/// | 1 | format version (4) |
/// | 4 | the model's short fingerprint: its 64 bits' two halves exclusive-or'ed, little-endian |
/// | varint | image count |
/// | varint | height, or 0 for the model's own image size (then no width or channels follow) |
/// | varints | width, channels (after a height that is not 0) |
/// | … | payload: one rANS stream, as version 1's, coded under the model file's tables |
/// | 4 | CRC-32 of every byte before it, little-endian |
///
/// Version 5 is version 4 for one image of the model's own size: magic, version 5, the payload,
/// the CRC-32; 9 bytes beside the payload. Its count and size are what version 5 means, and the
/// short fingerprint's low 23 bits ride in the rANS stream's start state (`RANSEncoder.finish(carrying:)`),
/// bits every stream pays for anyway: a decoder of another model ends in another state (or fails
/// before), which, the checksum being right, says another model made the file.
///
/// Version 3, the compact form before December 2026 (still read): version 1's 8-byte magic,
/// version 3, the whole 8-byte fingerprint, varints count, height, width, channels, payload, CRC-32.
public struct CompressedFile: Equatable, Sendable {
  public static let magic: [UInt8] = [0x89, 0x41, 0x45, 0x43, 0x0D, 0x0A, 0x1A, 0x0A]
  public static let version: UInt8 = 1
  /// The compact form's magic number: `magic`'s first four bytes.
  public static let compactMagic = Array(magic.prefix(4))
  /// The compact form's version.
  public static let compactVersion: UInt8 = 4
  /// The compact form of one image of the model's own size.
  public static let compactVersionOneImage: UInt8 = 5
  /// The compact form before December 2026 (read, no longer written).
  public static let compactVersion3: UInt8 = 3
  /// Bounds a file's declarations are held to before anything is allocated from them.
  public static let maximumImages = 1 << 24
  public static let maximumValues = 1 << 28

  /// What the header says.
  public struct Header: Equatable, Sendable {
    /// The model file's name when the file was made, for messages; empty when stripped.
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
    /// How the codes were quantized.
    public var rule: CodeQuantizer.Rule
    /// Whether the payload is coded under the model file's own tables (a rate-trained codec's);
    /// else the tables are in this file.
    public var tablesInModel: Bool
    /// For a fully convolutional model given images of another size than it was trained on: the
    /// `[height, width]` the images were padded to (by repeating their edges) so its strides
    /// divide them; decoding crops back to `imageShape`. Nil otherwise.
    public var paddedShape: [Int]?
    /// Whether the file is written in the compact form (version 4 or 5): a rate-trained codec's rounded
    /// code under its model's tables, without names. Its code shape and padded size are the
    /// model's to compute: a compact header just read has an empty `codeShape` and no
    /// `paddedShape` until `ImageCodec` completes it.
    public var compact: Bool
    /// In a compact file: the images are of the model's own size, which the file leaves out (a
    /// header just read has an empty `imageShape` until `ImageCodec` completes it).
    public var sizeFromModel = false
    /// A compact file read in version 3's layout, which `encoded()` writes back as it was.
    public var compactVersion3 = false
    /// A compact file of one image of the model's size whose fingerprint rides in the payload's
    /// rANS start state (version 5; `coderFingerprint`), not in its header: a header just read has
    /// an empty `fingerprint`, and its decoder checks it.
    public var fingerprintInCoder = false

    public init(model: String, fingerprint: String, count: Int, imageShape: [Int], names: [String]?, codeShape: [Int],
                rule: CodeQuantizer.Rule, tablesInModel: Bool = false, paddedShape: [Int]? = nil, compact: Bool = false) {
      (self.model, self.fingerprint, self.count, self.imageShape, self.names, self.codeShape) = (model, fingerprint, count, imageShape, names, codeShape)
      (self.rule, self.tablesInModel, self.paddedShape, self.compact) = (rule, tablesInModel, paddedShape, compact)
    }

    /// Whether a file of this header can be compact: what the compact form leaves out follows from the model.
    public var canBeCompact: Bool { tablesInModel && rule == .rounded && names == nil && model.isEmpty }

    /// How the codes were quantized, for people (`CodeQuantizer.Rule.description`).
    public var quantization: String { rule.description }

    /// What is wrong with the header's values, or nil.
    var problem: String? {
      guard (0...CompressedFile.maximumImages).contains(count) else { return "an image count of \(count)" }
      guard imageShape.isEmpty && sizeFromModel && compact
        || imageShape.count == 3 && imageShape.allSatisfy({ $0 >= 1 && $0 <= 1 << 14 }) && [1, 3].contains(imageShape[2]) && imageShape[0] * imageShape[1] <= 1 << 24
      else { return "an image shape of \(imageShape)" }
      guard !codeShape.isEmpty || compact, codeShape.count <= 3, codeShape.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }),
            let size = checkedProduct(codeShape), size <= 1 << 24
      else { return "a code shape of \(codeShape)" }
      guard let values = checkedProduct([count, max(size, imageShape.isEmpty ? 1 : imageShape.reduce(1, *))]), values <= CompressedFile.maximumValues else {
        return "\(count) images of \(imageShape) (codes \(codeShape)): more than this tool decodes at once"
      }
      if let names, names.count != count { return "\(names.count) file names for \(count) images" }
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
    precondition(header.rule != .rounded || (quantizer.origins.allSatisfy { $0 == 0 } && quantizer.steps.allSatisfy { $0 == 1 }),
                 "a rounded code has origin 0 and step 1")
    precondition(!header.compact || header.canBeCompact, "a compact file holds a codec's rounded code under its model's tables, without names")
    (self.header, self.quantizer, self.tables, self.payload) = (header, quantizer, tables, payload)
  }

  /// The file's bytes.
  public func encoded() throws -> [UInt8] {
    if header.compact { return compactEncoded() }
    var bytes = Self.magic
    bytes.append(Self.version)
    bytes.appendLittleEndian(UInt64(header.fingerprint, radix: 16) ?? 0, count: 8)
    let name = Array(header.model.utf8.prefix(255))
    bytes.appendVarint(UInt64(name.count))
    bytes += name
    bytes.append((header.tablesInModel ? 1 : 0) | (header.names == nil ? 0 : 2) | (header.paddedShape == nil ? 0 : 4))
    switch header.rule {
    case .rounded: bytes.append(0)
    case .step(let step):
      bytes.append(1)
      bytes.appendLittleEndian(UInt64(step.bitPattern), count: 4)
    case .bits(let bits): bytes += [2, UInt8(bits)]
    }
    for value in [header.count] + header.imageShape + [header.codeShape.count] + header.codeShape + (header.paddedShape ?? []) {
      bytes.appendVarint(UInt64(value))
    }
    for name in header.names ?? [] {
      bytes.appendVarint(UInt64(name.utf8.count))
      bytes += Array(name.utf8)
    }
    bytes.appendVarint(UInt64(quantizer.channels))
    if case .bits = header.rule {  // the other rules' origins and steps follow from the rule
      for channel in 0..<quantizer.channels {
        bytes.appendLittleEndian(UInt64(quantizer.origins[channel].bitPattern), count: 4)
        bytes.appendLittleEndian(UInt64(quantizer.steps[channel].bitPattern), count: 4)
      }
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
    bytes.appendVarint(UInt64(payload.count))
    bytes += payload
    bytes.appendLittleEndian(UInt64(Zlib.crc32(bytes)), count: 4)
    return bytes
  }

  /// The compact form's bytes (version 4, or 5 for one image of the model's size; version 3 for a file read in it).
  private func compactEncoded() -> [UInt8] {
    if header.compactVersion3 {
      var bytes = Self.magic
      bytes.append(Self.compactVersion3)
      bytes.appendLittleEndian(UInt64(header.fingerprint, radix: 16) ?? 0, count: 8)
      for value in [header.count] + header.imageShape { bytes.appendVarint(UInt64(value)) }
      bytes += payload
      bytes.appendLittleEndian(UInt64(Zlib.crc32(bytes)), count: 4)
      return bytes
    }
    var bytes = Self.compactMagic
    if header.fingerprintInCoder {  // version 5: one image of the model's size
      precondition(header.count == 1 && header.sizeFromModel, "version 5 holds one image of the model's size")
      bytes.append(Self.compactVersionOneImage)
    } else {
      bytes.append(Self.compactVersion)
      bytes.appendLittleEndian(UInt64(Self.shortFingerprint(header.fingerprint), radix: 16) ?? 0, count: 4)
      bytes.appendVarint(UInt64(header.count))
      for value in header.sizeFromModel ? [0] : header.imageShape { bytes.appendVarint(UInt64(value)) }
    }
    bytes += payload
    bytes.appendLittleEndian(UInt64(Zlib.crc32(bytes)), count: 4)
    return bytes
  }

  /// The 8 hex digits a compact file keeps of a 16-digit fingerprint: its two halves
  /// exclusive-or'ed (every bit of the hash counts); a short one as it is.
  public static func shortFingerprint(_ fingerprint: String) -> String {
    guard fingerprint.count == 16, let value = UInt64(fingerprint, radix: 16) else { return fingerprint }
    return hex(UInt32(truncatingIfNeeded: value ^ value >> 32))
  }

  /// The value a version-5 file's stream carries for a model of fingerprint `fingerprint`: its
  /// short fingerprint's low 23 bits.
  public static func coderFingerprint(_ fingerprint: String) -> UInt32 {
    (UInt32(shortFingerprint(fingerprint), radix: 16) ?? 0) & (1 << 23 - 1)
  }

  /// Whether a model of fingerprint `fingerprint` made this file (a compact file holds the short
  /// form; version 5's header none: its decoder checks, `RANSDecoder.finish(carrying:)`).
  public func isMade(byFingerprint fingerprint: String) -> Bool {
    if header.fingerprintInCoder { return true }  // as far as its header tells
    return header.fingerprint == (header.fingerprint.count == 8 ? Self.shortFingerprint(fingerprint) : fingerprint)
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
    } catch {  // decode throws only Problem
      throw FileError(path, error.description)
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
    if isCompact(bytes) { return try compactDecoded(bytes) }
    guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
      throw Problem("not a compressed image file (no .aec magic number at its start)")
    }
    if bytes.count > magic.count, bytes[magic.count] == compactVersion3 { return try compactDecoded3(bytes) }
    var reader = try ByteReader(container: bytes, magic: magic, version: Self.version)
    func size(_ what: String, limit: Int = 1 << 28) throws(Problem) -> Int { try reader.size(what, limit: limit) }
    func text(_ what: String) throws(Problem) -> String {
      let length = try size("the length of \(what)", limit: 255)
      guard let text = String(validating: try reader.take(length, what), as: UTF8.self) else { throw Problem("corrupt header: \(what) is not UTF-8") }
      return text
    }
    let fingerprint = hex(try reader.littleEndian(8, "the fingerprint"))
    let model = try text("the model's name")
    let flags = try reader.take(1, "the flags")[0]
    guard flags & ~7 == 0 else { throw Problem("corrupt header: unknown flags \(flags)") }
    let rule: CodeQuantizer.Rule
    switch try reader.take(1, "the quantization rule")[0] {
    case 0: rule = .rounded
    case 1:
      let step = Float(bitPattern: UInt32(try reader.littleEndian(4, "the step")))
      guard step > 0, step.isFinite else { throw Problem("corrupt quantization: a step of \(step)") }
      rule = .step(step)
    case 2:
      let bits = Int(try reader.take(1, "the bits")[0])
      guard (1...16).contains(bits) else { throw Problem("corrupt quantization: \(bits) bits") }
      rule = .bits(bits)
    case let other: throw Problem("corrupt quantization: an unknown rule \(other)")
    }
    let count = try size("the image count")
    let imageShape = [try size("the height"), try size("the width"), try size("the channels")]
    let rank = try size("the code's rank", limit: 3)
    let codeShape = try (0..<rank).map { _ throws(Problem) in try size("a code dimension") }
    let paddedShape = flags & 4 == 0 ? nil : [try size("the padded height"), try size("the padded width")]
    var header = Header(model: model, fingerprint: fingerprint, count: count, imageShape: imageShape,
                        names: nil, codeShape: codeShape, rule: rule, tablesInModel: flags & 1 != 0, paddedShape: paddedShape)
    if let problem = header.problem { throw Problem("corrupt header: \(problem)") }
    if flags & 2 != 0 { header.names = try (0..<count).map { index throws(Problem) in try text("file name \(index)") } }
    if let problem = header.problem { throw Problem("corrupt header: \(problem)") }
    let channels = try size("the channel count", limit: 1 << 20)
    guard channels >= 1, header.codeShape.reduce(1, *) % channels == 0 else {
      throw Problem("corrupt quantization: \(channels) channels for codes of shape \(header.codeShape)")
    }
    var origins = [Float](repeating: 0, count: channels), steps = [Float](repeating: 1, count: channels)
    switch rule {
    case .rounded: break
    case .step(let step): steps = Array(repeating: step, count: channels)
    case .bits:
      for channel in 0..<channels {
        origins[channel] = Float(bitPattern: UInt32(try reader.littleEndian(4, "the quantization")))
        steps[channel] = Float(bitPattern: UInt32(try reader.littleEndian(4, "the quantization")))
      }
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
    let payloadLength = try reader.varint("the payload length")
    guard payloadLength == UInt64(reader.end - reader.position) else {
      throw Problem("the payload is declared as \(payloadLength) bytes but \(reader.end - reader.position) follow")
    }
    let payload = try reader.take(Int(payloadLength), "the payload")
    return CompressedFile(header: header, quantizer: CodeQuantizer(origins: origins, steps: steps), tables: tables, payload: payload)
  }

  /// Whether `bytes` start as a compact file (version 4, 5, or a later one): the compact magic
  /// followed by a version of at least 4 that is not the rest of version 1's magic (`0D`); a
  /// smaller byte there is a damaged magic number.
  static func isCompact(_ bytes: [UInt8]) -> Bool {
    guard bytes.count > compactMagic.count, Array(bytes[0..<compactMagic.count]) == compactMagic else { return false }
    let version = bytes[compactMagic.count]
    return version >= compactVersion && version != magic[compactMagic.count]
  }

  /// A compact file (version 4 or 5): its header as far as the file says (no code shape, no padded
  /// size, no image size when it is the model's: `ImageCodec` completes them from the model), and its payload.
  private static func compactDecoded(_ bytes: [UInt8]) throws(Problem) -> CompressedFile {
    let oneImage = bytes[compactMagic.count] == compactVersionOneImage
    var reader = try ByteReader(container: bytes, magic: compactMagic, version: oneImage ? compactVersionOneImage : compactVersion,
                                newest: compactVersionOneImage)
    let fingerprint = oneImage ? "" : hex(UInt32(try reader.littleEndian(4, "the fingerprint")))
    let count = oneImage ? 1 : try reader.size("the image count")
    let height = oneImage ? 0 : try reader.size("the height")
    let shape = height == 0 ? [] : [height, try reader.size("the width"), try reader.size("the channels")]
    var header = Header(model: "", fingerprint: fingerprint, count: count, imageShape: shape, names: nil, codeShape: [], rule: .rounded,
                        tablesInModel: true, compact: true)
    header.sizeFromModel = height == 0
    header.fingerprintInCoder = oneImage
    return try compactFile(header, &reader)
  }

  /// A compact file of version 3 (before December 2026).
  private static func compactDecoded3(_ bytes: [UInt8]) throws(Problem) -> CompressedFile {
    var reader = try ByteReader(container: bytes, magic: magic, version: compactVersion3)
    let fingerprint = hex(try reader.littleEndian(8, "the fingerprint"))
    var sizes: [Int] = []
    for what in ["the image count", "the height", "the width", "the channels"] { sizes.append(try reader.size(what)) }
    var header = Header(model: "", fingerprint: fingerprint, count: sizes[0],
                        imageShape: Array(sizes[1...]), names: nil, codeShape: [], rule: .rounded, tablesInModel: true, compact: true)
    header.compactVersion3 = true
    return try compactFile(header, &reader)
  }

  /// The rest of a compact file after `header`: its payload, to the checksum.
  private static func compactFile(_ header: Header, _ reader: inout ByteReader) throws(Problem) -> CompressedFile {
    if let problem = header.problem { throw Problem("corrupt header: \(problem)") }
    let payload = try reader.take(reader.end - reader.position, "the payload")
    // One channel's rounding stands in until the model says how many channels its code has.
    return CompressedFile(header: header, quantizer: CodeQuantizer(origins: [0], steps: [1]), tables: [], payload: payload)
  }
}

/// 16 hex digits, zero-padded: a 64-bit fingerprint as files and messages show it.
func hex(_ value: UInt64) -> String {
  let digits = String(value, radix: 16)
  return String(repeating: "0", count: 16 - digits.count) + digits
}

func hex(_ value: UInt32) -> String {
  let digits = String(value, radix: 16)
  return String(repeating: "0", count: 8 - digits.count) + digits
}

func zigzag(_ value: Int32) -> UInt32 { UInt32(bitPattern: (value << 1) ^ (value >> 31)) }
func unzigzag(_ value: UInt32) -> Int32 { Int32(bitPattern: value >> 1) ^ -Int32(bitPattern: value & 1) }

/// Reads fields in order, each read checked against the end.
struct ByteReader {
  let bytes: [UInt8]
  var position: Int
  var end: Int

  /// A reader of a container's fields: after its magic number (already checked) and version
  /// byte, up to its closing CRC-32 of every byte before it.
  ///
  /// - Throws: `CompressedFile.Problem` for a file that ends early, a version other than
  ///   `version` (one above `newest`, the newest this kind of file has, is named as newer than
  ///   this tool), or a checksum mismatch.
  init(container bytes: [UInt8], magic: [UInt8], version: UInt8, newest: UInt8? = nil) throws(CompressedFile.Problem) {
    guard bytes.count > magic.count else { throw CompressedFile.Problem("the file ends after its magic number") }
    let found = bytes[magic.count], newest = newest ?? version
    guard found == version else {
      throw CompressedFile.Problem(found > newest ? "format version \(found) is newer than this tool's \(newest); update AutoencoderKit"
                                                   : "unknown format version \(found)")
    }
    guard bytes.count >= magic.count + 1 + 4 else { throw CompressedFile.Problem("the file ends inside its header (\(bytes.count) bytes)") }
    let stored = UInt32(bytes[bytes.count - 4]) | UInt32(bytes[bytes.count - 3]) << 8 | UInt32(bytes[bytes.count - 2]) << 16
      | UInt32(bytes[bytes.count - 1]) << 24
    let computed = Zlib.crc32(bytes[..<(bytes.count - 4)])
    guard stored == computed else {
      throw CompressedFile.Problem("checksum mismatch (stored \(hex(stored)), computed \(hex(computed))): the file is truncated or corrupt")
    }
    self.init(bytes: bytes, position: magic.count + 1)
    end = bytes.count - 4
  }

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

  /// A varint that a header holds as a size or count: at most `limit`, else "corrupt header".
  mutating func size(_ what: String, limit: Int = 1 << 28) throws(CompressedFile.Problem) -> Int {
    let value = try varint(what)
    guard value <= UInt64(limit) else { throw CompressedFile.Problem("corrupt header: \(what) \(value)") }
    return Int(value)
  }
}
