import Datasets
import FileIO
import Foundation
import TestSupport
import Testing

@Suite struct IDXTests {
  let images = IDX.Array(shape: [2, 2, 3], bytes: Array(0..<12))

  @Test func readsRawAndGzippedFiles() throws {
    let directory = try TemporaryDirectory()
    let raw = try directory.write(IDX.encode(images), to: "raw")
    let gz = try directory.write(Zlib.gzip(IDX.encode(images)), to: "raw.gz")
    #expect(try IDX.read(raw, rank: 3) == images)
    #expect(try IDX.read(gz, rank: 3) == images)
  }

  @Test func wrongMagicNumbersAreNamed() throws {
    let directory = try TemporaryDirectory()
    let png = try directory.write([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0], to: "picture")
    #expect(throws: FileError(png, "not an IDX file (magic number 0x89504E47)")) { try IDX.read(png, rank: 3) }
    let labels = try directory.write(IDX.encode(IDX.Array(shape: [3], bytes: [1, 2, 3])), to: "labels")
    #expect(throws: FileError(labels, "magic number 0x00000801 is a rank-1 IDX file; expected 0x00000803 (rank 3)")) {
      try IDX.read(labels, rank: 3)
    }
    let floats = try directory.write([0, 0, 0x0D, 1, 0, 0, 0, 0], to: "floats")
    #expect(throws: FileError(floats, "IDX element type 0xD is not supported (only unsigned bytes, 0x08)")) { try IDX.read(floats, rank: 1) }
  }

  @Test func truncatedAndPaddedFilesAreErrors() throws {
    let directory = try TemporaryDirectory()
    let bytes = IDX.encode(images)
    let short = try directory.write(Array(bytes.dropLast(7)), to: "short")
    #expect(throws: FileError(short, "truncated: the header promises 2×2×3 = 12 bytes of data, the file has 5")) { try IDX.read(short, rank: 3) }
    let header = try directory.write(Array(bytes.prefix(9)), to: "header")
    #expect(throws: FileError(header, "truncated: the header needs 16 bytes, the file has 9")) { try IDX.read(header, rank: 3) }
    let long = try directory.write(bytes + [0, 0], to: "long")
    #expect(throws: FileError(long, "corrupt: 2 bytes after the 2×2×3 data the header describes")) { try IDX.read(long, rank: 3) }
    let gz = Zlib.gzip(bytes)
    let cut = try directory.write(Array(gz.prefix(gz.count - 10)), to: "cut.gz")
    #expect(throws: FileError(cut, "truncated compressed data (gzip)")) { try IDX.read(cut, rank: 3) }
    let huge = try directory.write([0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], to: "huge")
    #expect(throws: FileError.self) { try IDX.read(huge, rank: 3) }
  }

  @Test func everyPrefixOfAFileIsAnErrorNotACrash() throws {
    let directory = try TemporaryDirectory()
    let bytes = IDX.encode(images)
    for length in 0..<bytes.count {
      let path = try directory.write(Array(bytes.prefix(length)), to: "prefix")
      #expect(throws: FileError.self) { try IDX.read(path, rank: 3) }
    }
  }
}

/// Sizes in IDX headers are checked before anything is inflated or allocated.
@Suite struct IDXLimitsTests {
  func header(_ shape: [UInt32]) -> [UInt8] {
    [0, 0, 0x08, UInt8(shape.count)] + shape.flatMap { [UInt8($0 >> 24), UInt8($0 >> 16 & 0xff), UInt8($0 >> 8 & 0xff), UInt8($0 & 0xff)] }
  }

  @Test func imagesLargerThanTheToolReadsAreNamedFromTheHeader() {
    #expect(throws: IDX.Problem.self) { try IDX.decode(header([1, 16384, 16385]), rank: 3) }
    do {
      _ = try IDX.decode(header([1, 8192, 8192]) + [1, 2, 3], rank: 3)
      Issue.record("no error")
    } catch {
      #expect("\(error)" == "unsupported size: 8192×8192 images exceed the limit of 16384 pixels a side and 16777216 pixels (4096×4096) in all")
    }
  }

  @Test func aGzippedBombIsRefusedAfterItsHeader() throws {
    // A header declaring 10 images of 28×28, followed by 64 MB of zeros: the inflation stops
    // one byte past the declared size.
    let bomb = Zlib.gzip(header([10, 28, 28]) + [UInt8](repeating: 0, count: 64 << 20))
    do {
      _ = try IDX.decode(bomb, rank: 3)
      Issue.record("no error")
    } catch {
      #expect("\(error)" == "corrupt: more data than the header describes (gzip)")
    }
    let fine = Zlib.gzip(header([2, 2, 2]) + [1, 2, 3, 4, 5, 6, 7, 8])
    #expect(try IDX.decode(fine, rank: 3) == IDX.Array(shape: [2, 2, 2], bytes: [1, 2, 3, 4, 5, 6, 7, 8]))
  }

  @Test func labelCountsThatOverflowAreCorrupt() {
    do {
      _ = try IDX.decode(header([UInt32.max, UInt32.max, 1]), rank: 3)
      Issue.record("no error")
    } catch {
      #expect("\(error)".hasPrefix("unsupported size") || "\(error)".hasPrefix("corrupt"))
    }
  }
}
