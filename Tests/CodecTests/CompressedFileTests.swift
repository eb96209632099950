import EntropyCoding
import FileIO
import Foundation
import Testing

@testable import Codec

struct CompressedFileTests {
  func sample(names: [String]? = ["a.png", "b.png"]) throws -> CompressedFile {
    let header = CompressedFile.Header(model: "m.safetensors", fingerprint: "0123456789abcdef", count: 2, imageShape: [4, 4, 1], names: names,
                                       codeShape: [3], rule: .bits(8))
    let tables = try [SymbolTable(lowest: -2, counts: [0, 4, 0, 0, 9, 1]), SymbolTable(lowest: 7, counts: [1, 0]),
                      SymbolTable(lowest: .min, counts: [0, 0, 3, 0])]
    return CompressedFile(header: header, quantizer: CodeQuantizer(origins: [0, -1.5, 2], steps: [0.25, 1, 3e-5]), tables: tables,
                          payload: [0x00, 0x80, 0x00, 0x00, 7, 9])
  }


  @Test func roundTripsEveryField() throws {
    for file in [try sample(), try sample(names: nil)] {
      let bytes = try file.encoded()
      #expect(Array(bytes.prefix(9)) == [0x89, 0x41, 0x45, 0x43, 0x0D, 0x0A, 0x1A, 0x0A, 1])
      #expect(try CompressedFile.decode(bytes) == file)
    }
  }

  @Test func theLayoutIsAsDocumented() throws {
    let bytes = try sample(names: nil).encoded()
    var expected: [UInt8] = [0x89, 0x41, 0x45, 0x43, 0x0D, 0x0A, 0x1A, 0x0A, 1]
    expected += [0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]  // the fingerprint 0123456789abcdef
    expected += [13] + Array("m.safetensors".utf8) + [0, 2, 8]  // the name; no flags; 8 bits
    expected += [2, 4, 4, 1, 1, 3, 3]  // 2 images of 4×4×1, codes of rank 1: [3]; 3 channels
    #expect(Array(bytes.prefix(expected.count)) == expected)
    var position = expected.count + 3 * 8  // each channel's origin and step
    // Table 0: lowest −2 (zigzag 3), 5 values, 1 escape, 2 occurring: index 1 (gap 2) ×4, index 4 (gap 3) ×9.
    #expect(Array(bytes[position..<(position + 8)]) == [3, 5, 1, 2, 2, 4, 3, 9])
    position += 8
    // The payload and its length sit before the checksum.
    #expect(Array(bytes[(bytes.count - 11)..<(bytes.count - 4)]) == [6, 0x00, 0x80, 0x00, 0x00, 7, 9])
    let crc = bytes.suffix(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    #expect(crc == Zlib.crc32(bytes.dropLast(4)))
    // A codec's file of one image: no quantization block, no tables: 45 bytes beside its payload.
    var codec = try sample(names: nil)
    (codec.header.rule, codec.header.tablesInModel, codec.header.count) = (.rounded, true, 1)
    codec.quantizer = CodeQuantizer(origins: [0, 0, 0], steps: [1, 1, 1])
    codec.tables = []
    let small = try codec.encoded()
    #expect(small.count == 9 + 8 + 14 + 2 + 6 + 1 + (1 + 6) + 4 && small[31] == 1 && small[32] == 0)  // flags 1, rule 0
    #expect(try CompressedFile.decode(small) == codec)
  }

  /// A codec's stripped file of one image, compact: as `decode` reads it back (no code shape, one
  /// channel's rounding standing in until `ImageCodec.completed`); of the model's own size, no image shape either.
  func compact(ownSize: Bool = false, count: Int = 1) -> CompressedFile {
    var header = CompressedFile.Header(model: "", fingerprint: "89abcdef", count: count, imageShape: ownSize ? [] : [28, 20, 1], names: nil,
                                       codeShape: [], rule: .rounded, tablesInModel: true, compact: true)
    header.sizeFromModel = ownSize
    return CompressedFile(header: header, quantizer: CodeQuantizer(origins: [0], steps: [1]), tables: [], payload: [0x00, 0x80, 0x00, 0x00, 7, 9])
  }

  @Test func theCompactLayoutIsAsDocumented() throws {
    let payload: [UInt8] = [0x00, 0x80, 0x00, 0x00, 7, 9]
    for (ownSize, count) in [(false, 1), (true, 2), (true, 1)] {
      // Written from a model's whole fingerprint, the short one kept: 0123456789abcdef → 01234567 ^ 89abcdef = 88888888.
      var file = compact(ownSize: ownSize, count: count)
      file.header.fingerprint = "0123456789abcdef"
      // Magic, version 4, short fingerprint, the image count, then the model's own size (0) or 28×20×1: 15 or 17 bytes
      // beside the payload; one image of the model's size with its fingerprint in the coder is version 5: 9.
      file.header.fingerprintInCoder = ownSize && count == 1
      let bytes = try file.encoded()
      var expected: [UInt8] = [0x89, 0x41, 0x45, 0x43, ownSize && count == 1 ? 5 : 4]
      if !ownSize || count > 1 { expected += [0x88, 0x88, 0x88, 0x88, UInt8(count)] + (ownSize ? [0] : [28, 20, 1]) }
      #expect(Array(bytes.dropLast(4)) == expected + payload && bytes.count == expected.count + payload.count + 4)
      #expect(bytes.suffix(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) } == Zlib.crc32(bytes.dropLast(4)))
      var read = compact(ownSize: ownSize, count: count)
      (read.header.fingerprint, read.header.fingerprintInCoder) = file.header.fingerprintInCoder ? ("", true) : ("88888888", false)
      #expect(try CompressedFile.decode(bytes) == read)
      #expect(try CompressedImages.decode(bytes).sections == [read])
      // Version 5's header cannot tell another model's: its decoder does.
      #expect(read.isMade(byFingerprint: "0123456789abcdef") && read.isMade(byFingerprint: "0123456789abcdee") == read.header.fingerprintInCoder)
    }
    // What version 5's stream carries: the short fingerprint's low 23 bits.
    #expect(CompressedFile.coderFingerprint("0123456789abcdef") == 0x08_8888 && CompressedFile.coderFingerprint("ffffffff00000000") == 0x7F_FFFF)
    // Only a codec's stripped header can be compact.
    var named = compact().header
    named.model = "m.safetensors"
    #expect(!named.canBeCompact)
    var huge = compact()
    huge.header.imageShape = [1 << 15, 2, 1]
    #expect(throws: CompressedFile.Problem("corrupt header: an image shape of [32768, 2, 1]")) { try CompressedFile.decode(try huge.encoded()) }
    // A later compact version is named as newer.
    var later = try compact().encoded()
    later[4] = 6
    #expect(throws: CompressedFile.Problem("format version 6 is newer than this tool's 5; update AutoencoderKit")) { try CompressedFile.decode(later) }
  }

  @Test func aVersion4FileOfOneImageOfTheModelsSizeIsStillRead() throws {
    // As compress --strip wrote one image of the model's size before version 5: count 1, height 0.
    var bytes: [UInt8] = [0x89, 0x41, 0x45, 0x43, 4, 0xef, 0xcd, 0xab, 0x89, 1, 0] + [0x00, 0x80, 0x00, 0x00, 7, 9]
    bytes.appendLittleEndian(UInt64(Zlib.crc32(bytes)), count: 4)
    let read = try CompressedFile.decode(bytes)
    #expect(read == compact(ownSize: true))
    #expect(try read.encoded() == bytes)  // written back as it was: its payload does not carry the fingerprint
  }

  @Test func aVersion3CompactFileIsStillRead() throws {
    var bytes: [UInt8] = [0x89, 0x41, 0x45, 0x43, 0x0D, 0x0A, 0x1A, 0x0A, 3]
    bytes += [0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]  // the whole fingerprint 0123456789abcdef
    bytes += [1, 28, 20, 1] + [0x00, 0x80, 0x00, 0x00, 7, 9]
    bytes.appendLittleEndian(UInt64(Zlib.crc32(bytes)), count: 4)
    var expected = compact()
    (expected.header.fingerprint, expected.header.compactVersion3) = ("0123456789abcdef", true)
    #expect(try CompressedFile.decode(bytes) == expected)
    #expect(try expected.encoded() == bytes)  // written back as it was read
    #expect(try CompressedImages.decode(bytes).sections == [expected])
    #expect(expected.isMade(byFingerprint: "0123456789abcdef") && !expected.isMade(byFingerprint: "88888888"))
  }

  @Test(arguments: [0, 1, 2]) func everyTruncationAndFlippedByteIsCaught(form: Int) throws {
    let bytes = form == 0 ? try sample().encoded() : try compact(ownSize: form == 2).encoded()
    for length in 0..<bytes.count {
      #expect(throws: CompressedFile.Problem.self) { try CompressedFile.decode(Array(bytes[..<length])) }
    }
    for index in bytes.indices {
      var damaged = bytes
      damaged[index] ^= 0x10
      #expect(throws: CompressedFile.Problem.self) { try CompressedFile.decode(damaged) }
    }
  }

  @Test func problemsAreNamed() throws {
    let bytes = try sample().encoded()
    func problem(_ bytes: [UInt8]) -> String {
      do {
        _ = try CompressedFile.decode(bytes)
        return "none"
      } catch {
        return error.description
      }
    }
    #expect(problem(Array("PNG and more".utf8)) == "not a compressed image file (no .aec magic number at its start)")
    // A damaged fifth byte below the compact versions is a damaged magic number, not a version.
    var damagedMagic = bytes
    damagedMagic[4] = 3
    #expect(problem(damagedMagic) == "not a compressed image file (no .aec magic number at its start)")
    var newer = bytes
    newer[8] = 2
    #expect(problem(newer) == "format version 2 is newer than this tool's 1; update AutoencoderKit")
    newer[8] = 0
    #expect(problem(newer) == "unknown format version 0")
    var corrupt = bytes
    corrupt[bytes.count - 6] ^= 1
    #expect(problem(corrupt).hasPrefix("checksum mismatch (stored "))
    #expect(problem(corrupt).hasSuffix("the file is truncated or corrupt"))
    // Past the checksum: a declared payload longer than what follows, a header that lies.
    var long = bytes
    long[bytes.count - 4 - 6 - 1] = 7
    #expect(problem(resealed(long)) == "the payload is declared as 7 bytes but 6 follow")
    let lying = try sample(names: ["a.png", "../b.png"]).encoded()
    #expect(problem(lying) == "corrupt header: a file name \"../b.png\" that is not a plain name")
    var header = try sample()
    header.header.count = 3
    #expect(problem(try header.encoded()) != "none")  // a third name read from what follows
    header.header.count = 1 << 25
    #expect(problem(try header.encoded()) == "corrupt header: an image count of 33554432")
    var shapes = try sample(names: nil)
    shapes.header.imageShape = [4, 4, 2]
    #expect(problem(try shapes.encoded()) == "corrupt header: an image shape of [4, 4, 2]")
  }
}

/// `bytes` (an .aec file, of images or text) with a checksum that fits them again, so a test
/// reaches the checks after it.
func resealed(_ bytes: [UInt8]) -> [UInt8] {
  var body = Array(bytes.dropLast(4))
  body.appendLittleEndian(UInt64(Zlib.crc32(body)), count: 4)
  return body
}
