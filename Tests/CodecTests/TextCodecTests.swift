import EntropyCoding
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

@testable import Codec

/// Lossless text coding with a token model of bytes: any bytes round-trip, and the file does not
/// depend on threads or SIMD level (the predictions are exact).
@Suite(.serialized) struct TextCodecTests {
  let codec: TextCodec

  init() throws {
    var generator = SplitMix64(seed: 7)
    let model = try Autoencoder(try Architecture(spec: "embedding 256 8, gru 16 sequences | dense 256", exampleShape: [32]), using: &generator)
    // A fresh model predicts almost uniformly; larger weights make its predictions peaked and varied.
    for (_, parameter) in model.namedParameters { parameter.updateValue { $0 = $0 * 4 } }
    codec = try TextCodec(model: model, name: "t.safetensors")
  }

  func roundTrip(_ text: [UInt8]) throws -> CompressedText {
    let file = try codec.compress(text, source: "text")
    #expect(try codec.decompress(try CompressedText.decode(file.encoded()), path: "file") == text)
    return file
  }

  @Test func anyBytesRoundTrip() throws {
    _ = try roundTrip(Array(0...255))
    _ = try roundTrip(Array((0...255).reversed()))
    for length in 1...40 { _ = try roundTrip((0..<length).map { (index: Int) -> UInt8 in UInt8((index * 37 + length) % 256) }) }
    _ = try roundTrip([UInt8](repeating: 0, count: 5000))
    var generator = SplitMix64(seed: 3)
    _ = try roundTrip((0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
  }

  @Test func longTextsAreCutIntoSegmentsCodedSideBySide() throws {
    let count = 3 * TextCodec.minimumSegmentLength + 5
    let text: [UInt8] = (0..<count).map { (index: Int) -> UInt8 in UInt8((index * index / 7) % 97 + 32) }
    let file = try roundTrip(text)
    #expect(file.streams.count == 4 && file.segmentLength == TextCodec.minimumSegmentLength)
    #expect(TextCodec.segmentLength(for: 10 * TextCodec.maximumSegments * TextCodec.minimumSegmentLength) == 10 * TextCodec.minimumSegmentLength)
    #expect(TextCodec.segmentLength(for: 10) == 10)
  }

  @Test func theFileIsTheSameAtEveryThreadCountAndSIMDLevel() throws {
    let count = 2 * TextCodec.minimumSegmentLength + 77
    let text: [UInt8] = (0..<count).map { (index: Int) -> UInt8 in UInt8((index * 31 + index / 3) % 200) }
    let reference = try Parallel.withThreads(1) { try SIMDLevel.withKernels(at: .baseline) { try codec.compress(text, source: "text").encoded() } }
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      for threads in [1, 2, 3] {
        let bytes = try Parallel.withThreads(threads) { try SIMDLevel.withKernels(at: level) { try codec.compress(text, source: "text").encoded() } }
        #expect(bytes == reference, "\(level), \(threads) threads")
        let decoded = try Parallel.withThreads(threads) {
          try SIMDLevel.withKernels(at: level) { try codec.decompress(try CompressedText.decode(reference), path: "file") }
        }
        #expect(decoded == text)
      }
    }
  }

  @Test func otherModelsEmptyTextsAndAlteredStreamsAreRefused() throws {
    #expect(throws: FileErrorMatch.self) { try codec.compress([], source: "empty.txt") }
    let file = try codec.compress(Array("some text to code".utf8), source: "text")
    var generator = SplitMix64(seed: 8)
    let other = try TextCodec(model: try Autoencoder(codec.model.architecture, using: &generator), name: "other.safetensors")
    #expect(throws: CodecError.self) { try other.decompress(file, path: "x.aec") }
    // A stream altered inside a well-formed file: it does not decode, or not to the text's checksum.
    var altered = file
    altered.streams[0][5] ^= 0x40
    do {
      _ = try codec.decompress(altered, path: "x.aec")
      Issue.record("an altered stream decoded")
    } catch let error as CodecError {
      #expect(error.description.contains("x.aec"))
    }
    var wrongChecksum = file
    wrongChecksum.textChecksum ^= 1
    #expect(throws: CodecError.self) { try codec.decompress(wrongChecksum, path: "x.aec") }
    var dense = SplitMix64(seed: 1)
    #expect(throws: SteppingError.self) { try TextCodec(model: try Autoencoder(.dense(inputSize: 8, hiddenSizes: [4]), using: &dense), name: "d") }
  }
}

/// Matches any `FileError` (whose fields the test does not pin).
typealias FileErrorMatch = any Error
