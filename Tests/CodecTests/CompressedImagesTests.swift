import EntropyCoding
import FileIO
import Foundation
import Testing

@testable import Codec

struct CompressedImagesTests {
  /// A section of `count` images of `side`×`side`, named from `first`.
  func section(side: Int, count: Int, names: [String]?, fingerprint: String = "0123456789abcdef") throws -> CompressedFile {
    let header = CompressedFile.Header(model: "codec.safetensors", fingerprint: fingerprint, count: count, imageShape: [side, side, 1],
                                       names: names, codeShape: [side / 4, side / 4, 2], rule: .rounded, tablesInModel: true)
    return CompressedFile(header: header, quantizer: CodeQuantizer(origins: [0, 0], steps: [1, 1]), tables: [], payload: [0, 0x80, 0, 0, UInt8(side)])
  }

  func mixed() throws -> CompressedImages {
    CompressedImages(sections: [try section(side: 8, count: 2, names: ["a.png", "c.png"]), try section(side: 12, count: 1, names: ["b.png"])])
  }

  /// `body(bytes)`'s problem, or "none".
  func problem(_ bytes: [UInt8]) -> String {
    do {
      _ = try CompressedImages.decode(bytes)
      return "none"
    } catch {
      return error.description
    }
  }

  /// A version-2 file of these sections' bytes, with its checksum.
  func container(_ sections: [[UInt8]], count: Int? = nil, trailing: [UInt8] = []) -> [UInt8] {
    var bytes = CompressedFile.magic + [2]
    bytes.appendVarint(UInt64(count ?? sections.count))
    for section in sections {
      bytes.appendVarint(UInt64(section.count))
      bytes += section
    }
    bytes += trailing
    bytes.appendLittleEndian(UInt64(Zlib.crc32(bytes)), count: 4)
    return bytes
  }

  @Test func oneSizeIsAVersionOneFileByteForByte() throws {
    let one = try section(side: 8, count: 2, names: nil)
    let bytes = try CompressedImages(sections: [one]).encoded()
    #expect(bytes == (try one.encoded()) && bytes[8] == 1)
    #expect(try CompressedImages.decode(bytes) == CompressedImages(sections: [one]))
  }

  @Test func severalSizesMakeAVersionTwoFileOfSections() throws {
    let file = try mixed()
    let bytes = try file.encoded()
    #expect(bytes == container(try file.sections.map { try $0.encoded() }))  // the layout as documented
    #expect(bytes[8] == 2 && bytes[9] == 2)
    #expect(try CompressedImages.decode(bytes) == file)
    #expect(file.count == 3 && file.payloadBytes == 10)
  }

  @Test func everyTruncationAndFlippedByteIsCaught() throws {
    let bytes = try mixed().encoded()
    for length in 0..<bytes.count {
      #expect(throws: CompressedFile.Problem.self) { try CompressedImages.decode(Array(bytes[..<length])) }
    }
    for index in bytes.indices {
      var damaged = bytes
      damaged[index] ^= 0x10
      #expect(throws: CompressedFile.Problem.self) { try CompressedImages.decode(damaged) }
    }
  }

  @Test func problemsAreNamed() throws {
    let sections = try mixed().sections.map { try $0.encoded() }
    #expect(problem(container(sections, count: 1)) == "corrupt header: 1 sections")
    #expect(problem(container(sections, trailing: [7])) == "1 bytes after the last section")
    var newer = try mixed().encoded()
    newer[8] = 6
    #expect(problem(newer) == "format version 6 is newer than this tool's 5; update AutoencoderKit")
    var badSection = sections[1]
    badSection[badSection.count - 1] ^= 1  // its own checksum
    #expect(problem(container([sections[0], badSection])).hasPrefix("section 2: checksum mismatch"))
    #expect(problem(container([sections[0], try mixed().encoded()])) == "section 2 is not a version-1 file of one image size")
    let other = try section(side: 12, count: 1, names: ["b.png"], fingerprint: "00000000000000ff").encoded()
    #expect(problem(container([sections[0], other])) == "corrupt file: sections made by 2 different models")
    let unnamed = try section(side: 12, count: 1, names: nil).encoded()
    #expect(problem(container([sections[0], unnamed])) == "corrupt file: a section of images without file names")
    let twice = try section(side: 12, count: 1, names: ["a.png"]).encoded()
    #expect(problem(container([sections[0], twice])) == "corrupt file: the file name \"a.png\" twice")
  }
}
