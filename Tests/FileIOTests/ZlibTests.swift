import FileIO
import Foundation
import Testing

@Suite struct ZlibTests {
  let text = Array(String(repeating: "autoencoder ", count: 1000).utf8)

  @Test func rawDeflateStreamsAsZIPArchivesHoldThem() throws {
    // A zlib stream is a 2-byte header, the raw deflate stream, and a 4-byte Adler-32.
    let raw = Array(Zlib.deflate(text).dropFirst(2).dropLast(4))
    #expect(try Zlib.inflateRaw(Data(raw)) == text)
    #expect(throws: Zlib.InflateError.tooLarge(limit: 100)) { try Zlib.inflateRaw(Data(raw), limit: 100) }
    #expect(throws: Zlib.InflateError.self) { try Zlib.inflateRaw(Data(raw.prefix(raw.count / 2))) }
  }

  @Test func roundTripsAndDetectsTheFormat() throws {
    let compressed = Zlib.deflate(text)
    #expect(compressed.count < text.count / 10)
    #expect(try Zlib.inflate(Data(compressed)) == text)
  }

  @Test func readsGzipIncludingConcatenatedMembers() throws {
    // `printf 'hello ' | gzip -n` and `printf 'world' | gzip -n`.
    let hello: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9,
                          0x57, 0x00, 0x00, 0xf6, 0xf9, 0x81, 0xed, 0x06, 0x00, 0x00, 0x00]
    let world: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x2b, 0xcf, 0x2f, 0xca, 0x49,
                          0x01, 0x00, 0x43, 0x11, 0x77, 0x3a, 0x05, 0x00, 0x00, 0x00]
    #expect(try Zlib.inflate(Data(hello)) == Array("hello ".utf8))
    #expect(try Zlib.inflate(Data(hello + world)) == Array("hello world".utf8))
  }

  @Test func gzipRoundTripsAndStartsWithTheGzipMagic() throws {
    let gz = Zlib.gzip(text)
    #expect(gz.starts(with: [0x1f, 0x8b]))
    #expect(try Zlib.inflate(Data(gz)) == text)
  }

  @Test func truncatedCorruptAndOversizedStreamsAreErrors() {
    let compressed = Zlib.deflate(text)
    #expect(throws: Zlib.InflateError.truncated) { try Zlib.inflate(Data(compressed.prefix(compressed.count / 2))) }
    #expect(throws: Zlib.InflateError.truncated) { try Zlib.inflate(Data()) }
    var corrupt = compressed
    corrupt[0] = 0x00
    #expect { try Zlib.inflate(Data(corrupt)) } throws: { error in
      if case .corrupt = error as? Zlib.InflateError { return true } else { return false }
    }
    #expect(throws: Zlib.InflateError.tooLarge(limit: 100)) { try Zlib.inflate(Data(compressed), limit: 100) }
  }

  @Test func crc32OfAKnownString() {
    #expect(Zlib.crc32(Array("123456789".utf8)) == 0xCBF4_3926)  // the standard check value
  }

  @Test func aPrefixIsInflatedWithoutTheRest() throws {
    let bomb = Zlib.gzip([UInt8](repeating: 0, count: 64 << 20))  // 64 MB of zeros in about 64 KB
    #expect(bomb.count < 100_000)
    #expect(try Zlib.inflatePrefix(Data(bomb), count: 16) == [UInt8](repeating: 0, count: 16))
    #expect(try Zlib.inflatePrefix(Data(Zlib.gzip(Array("hi".utf8))), count: 16) == Array("hi".utf8))  // shorter than asked
    #expect(throws: Zlib.InflateError.tooLarge(limit: 1000)) { try Zlib.inflate(Data(bomb), limit: 1000) }
  }
}
