import FileIO
import Foundation
import Testing

@testable import Codec

struct CompressedTextTests {
  let sample = CompressedText(model: "text.safetensors", fingerprint: "00ff00ff00ff00ff", length: 10, segmentLength: 4, textChecksum: 0xDEAD_BEEF,
                              streams: [[0, 0x80, 0, 0, 1], [0, 0x80, 0, 0], [0, 0x80, 0, 0, 9, 9]])

  @Test func roundTripsEveryField() throws {
    let bytes = sample.encoded()
    #expect(Array(bytes.prefix(9)) == [0x89, 0x41, 0x45, 0x54, 0x0D, 0x0A, 0x1A, 0x0A, 1])
    #expect(try CompressedText.decode(bytes) == sample)
    #expect(sample.segments == [0..<4, 4..<8, 8..<10])
    #expect(CompressedText.isText(bytes) && !CompressedText.isText(CompressedFile.magic))
  }

  @Test func everyTruncationAndCorruptionIsNamed() {
    let bytes = sample.encoded()
    func problem(_ bytes: [UInt8]) -> String {
      do {
        _ = try CompressedText.decode(bytes)
        return "decoded"
      } catch {
        return error.description
      }
    }
    // Every prefix fails, none traps.
    for length in 0..<bytes.count { #expect(problem(Array(bytes.prefix(length))) != "decoded") }
    #expect(problem(Array(bytes.dropLast())).contains("checksum mismatch") || problem(Array(bytes.dropLast())).contains("ends"))
    var flipped = bytes
    flipped[20] ^= 1
    #expect(problem(flipped).contains("checksum mismatch"))
    #expect(problem(CompressedFile.magic + [1, 2, 3]).contains("holds compressed images, not text"))
    #expect(problem(Array("hello world".utf8)).contains("not a compressed text file"))
    var newer = bytes
    newer[8] = 2
    #expect(problem(resealed(newer)).contains("format version 2 is newer"))
    // A declared stream longer than what follows, and a segment length beyond the text's.
    let header = 8 + 1 + 8 + 1 + "text.safetensors".utf8.count
    var long = bytes
    long[header + 2 + 4] = 100  // the first stream's length
    #expect(problem(resealed(long)).contains("segment 1's stream is declared as 100 bytes"))
    var segments = bytes
    segments[header + 1] = 11
    #expect(problem(resealed(segments)).contains("segments of 11 bytes for a text of 10"))
  }
}
