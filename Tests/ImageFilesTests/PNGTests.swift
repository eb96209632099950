import FileIO
import Foundation
@testable import ImageFiles
import TestSupport
import Testing

/// Fixtures were written by netpbm's pnmtopng (libpng), an independent encoder; see
/// Fixtures/README.md for the commands.
@Suite struct PNGTests {
  func fixture(_ name: String) throws -> String {
    try #require(Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures"))
  }

  @Test func decodesEveryColourTypeAndBitDepthFromLibpng() throws {
    let grayPalette = try PNG.read(try fixture("gray-palette4.png"))
    #expect(grayPalette.width == 5 && grayPalette.height == 3 && grayPalette.channels == 3)
    #expect(grayPalette.grayIntensities.map { Int(($0 * 255).rounded()) } ==
            [0, 64, 128, 192, 255, 10, 20, 30, 40, 50, 255, 0, 255, 0, 255])
    #expect(try PNG.read(try fixture("gray16.png")).pixels == [3, 156, 255])  // high bytes of 1000, 40000, 65535
    guard case .wide(let wide) = try PNG.decodeKeepingDepth([UInt8](try FileIO.read(try fixture("gray16.png")))) else {
      Issue.record("a 16-bit PNG decoded narrow")
      return
    }
    #expect(wide.samples == [1000, 40000, 65535] && wide.channels == 1 && wide.width == 3)
    guard case .narrow(let narrow) = try PNG.decodeKeepingDepth([UInt8](try FileIO.read(try fixture("rgb8.png")))) else {
      Issue.record("an 8-bit PNG decoded wide")
      return
    }
    #expect(narrow == (try PNG.read(try fixture("rgb8.png"))))
    #expect(try PNG.read(try fixture("gray2.png")).pixels == [0, 85, 170, 255, 0, 85, 85, 85, 85, 85, 255, 0, 255, 0, 255])
    let rgb: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
    #expect(try PNG.read(try fixture("rgb8.png")) == Image(width: 2, height: 2, channels: 3, pixels: rgb))
    #expect(try PNG.read(try fixture("rgb-palette2.png")) == Image(width: 2, height: 2, channels: 3, pixels: rgb))
    let rgba: [UInt8] = [255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255, 10, 20, 30, 128]
    #expect(try PNG.read(try fixture("rgba8.png")) == Image(width: 2, height: 2, channels: 4, pixels: rgba))
    #expect(try PNG.read(try fixture("rgba-palette.png")) == Image(width: 2, height: 2, channels: 4, pixels: rgba))
  }

  @Test func interlacedFilesAreRefusedByName() throws {
    let path = try fixture("interlaced.png")
    #expect(throws: FileError(path, "interlaced PNGs are not supported; save it without interlacing")) { try PNG.read(path) }
  }

  @Test func roundTripsEveryChannelCount() throws {
    var generator = SystemRandomNumberGenerator()
    for channels in 1...4 {
      let pixels = (0..<(7 * 5 * channels)).map { i in i % 3 == 0 ? UInt8.random(in: 0...255, using: &generator) : UInt8(i % 256) }
      let image = Image(width: 7, height: 5, channels: channels, pixels: pixels)
      #expect(try PNG.decode(PNG.encode(image)) == image)
    }
  }

  @Test func writesAFileOthersRead() throws {
    let directory = try TemporaryDirectory()
    let image = Image(width: 4, height: 2, intensities: [0, 0.25, 0.5, 1, 1, 0.5, 0.25, 0])
    try PNG.write(image, to: directory.path("out.png"))
    #expect(try PNG.read(directory.path("out.png")) == image)
    #expect(image.pixels == [0, 64, 128, 255, 255, 128, 64, 0])
  }

  @Test func everyTruncationAndEveryFlippedByteIsAnErrorNotACrash() throws {
    let bytes = PNG.encode(Image(width: 6, height: 4, channels: 3, pixels: (0..<72).map { UInt8($0 * 3 % 256) }))
    for length in 0..<bytes.count {
      #expect(throws: PNG.Problem.self) { try PNG.decode(Array(bytes.prefix(length))) }
    }
    for index in bytes.indices {
      var corrupt = bytes
      corrupt[index] ^= 0x5A
      // A flip inside IEND's payload-free CRC or an ancillary area may still decode; none may crash.
      _ = try? PNG.decode(corrupt)
    }
    var badCRC = bytes
    badCRC[20] ^= 1  // inside IHDR
    #expect { try PNG.decode(badCRC) } throws: { "\($0)".contains("CRC mismatch in the IHDR chunk") }
  }

  @Test func notAPNGIsNamed() throws {
    let directory = try TemporaryDirectory()
    let path = try directory.write(Array("GIF89a...".utf8), to: "fake.png")
    #expect(throws: FileError(path, "not a PNG file (bad signature)")) { try PNG.read(path) }
  }
}

@Suite struct PNGSizeLimitTests {
  /// A PNG whose header declares `width`×`height` gray pixels, with `data` as its image data.
  func png(width: UInt32, height: UInt32, data: [UInt8]) -> [UInt8] {
    PNG.signature + PNG.chunk("IHDR", PNG.bigEndian(width) + PNG.bigEndian(height) + [8, 0, 0, 0, 0]) + PNG.chunk("IDAT", data)
      + PNG.chunk("IEND", [])
  }

  @Test func imagesLargerThanTheLimitAreRefusedFromTheirHeader() {
    let bomb = Zlib.deflate([UInt8](repeating: 0, count: 4 << 20))
    for (width, height) in [(65535, 65535), (16384, 16384), (16385, 1), (4097, 4096)] as [(UInt32, UInt32)] {
      do {
        _ = try PNG.decode(png(width: width, height: height, data: bomb))
        Issue.record("\(width)×\(height) decoded")
      } catch {
        #expect("\(error)" == "unsupported size: \(width)×\(height) images exceed the limit of 16384 pixels a side and 16777216 pixels (4096×4096) in all")
      }
    }
    #expect(throws: PNG.Problem.self) { try PNG.decode(png(width: 0, height: 5, data: bomb)) }
  }

  @Test func imagesAtTheLimitDecode() throws {
    let image = try PNG.decode(png(width: 16384, height: 2, data: Zlib.deflate([UInt8](repeating: 0, count: 2 * (16384 + 1)))))
    #expect(image.width == 16384 && image.height == 2)
  }
}
