import Datasets
import FileIO
import Foundation
import TestSupport
import Testing

/// Fixtures were written by NumPy 2.4.6 (Fixtures/README.md).
@Suite struct NPYTests {
  func fixture(_ name: String) throws -> String {
    try #require(Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures"))
  }

  @Test func readsNumPysFiles() throws {
    let float32 = try NPY.read(try fixture("float32.npy"))
    #expect(float32.shape == [2, 3] && float32.values == [0, 0.25, 0.5, 0.75, 1, 1.25])
    #expect(try NPY.read(try fixture("float64.npy")).values == [1.5, -2.25, 1e-3])
    #expect(try NPY.read(try fixture("uint8.npy")).values == [0, 128, 255, 7])
    #expect(try NPY.read(try fixture("vector.npy")).shape == [2])
  }

  @Test func uint8ArraysStayBytes() throws {
    let contents = try NPY.readContents(try fixture("uint8.npy"))
    guard case .bytes(let bytes) = contents.elements else { Issue.record("uint8 read as floats"); return }
    #expect(bytes == [0, 128, 255, 7] && contents.shape == [2, 2])
  }

  @Test func everyIntegerTypeReads() throws {
    let directory = try TemporaryDirectory()
    let cases: [(String, [UInt8], Float)] = [("<i2", [0xFE, 0xFF], -2), ("<u2", [0x01, 0x01], 257), ("<i4", [0xFF, 0xFF, 0xFF, 0xFF], -1),
                                             ("|b1", [1], 1), ("|i1", [0x80], -128), ("<u8", [5, 0, 0, 0, 0, 0, 0, 0], 5)]
    for (descr, data, value) in cases {
      let path = try directory.write(NPYSizeTests().file(descr: descr, shape: "(1,)", data: data), to: "a.npy")
      #expect(try NPY.read(path).values == [value], "\(descr)")
    }
  }

  @Test func writesTheSameBytesNumPyWrites() throws {
    let directory = try TemporaryDirectory()
    try NPY.write([0, 0.25, 0.5, 0.75, 1, 1.25], shape: [2, 3], to: directory.path("ours.npy"))
    #expect(try FileIO.read(directory.path("ours.npy")) == FileIO.read(try fixture("float32.npy")))
    try NPY.write([0.5, 1], shape: [2], to: directory.path("vector.npy"))
    #expect(try FileIO.read(directory.path("vector.npy")) == FileIO.read(try fixture("vector.npy")))
  }

  @Test func unsupportedAndDamagedFilesAreNamed() throws {
    let fortran = try fixture("fortran.npy")
    #expect(throws: FileError(fortran, "Fortran-ordered arrays are not supported; save with np.ascontiguousarray")) { try NPY.read(fortran) }
    #expect(try NPY.read(try fixture("int64.npy")).values == [0, 1, 2])
    let scratch = try TemporaryDirectory()
    let bigEndian = try scratch.write(NPYSizeTests().file(descr: ">f4", shape: "(1,)", data: [0, 0, 0, 0]), to: "big.npy")
    #expect(throws: FileError(bigEndian, "dtype '>f4' is not supported (float32, float64, little-endian integers, bool)")) { try NPY.read(bigEndian) }
    let directory = try TemporaryDirectory()
    let bytes = [UInt8](try FileIO.read(try fixture("float32.npy")))
    let short = try directory.write(Array(bytes.dropLast(4)), to: "short.npy")
    #expect(throws: FileError(short, "truncated: shape [2, 3] of '<f4' needs 24 bytes of data, the file has 20")) { try NPY.read(short) }
    for length in 0..<bytes.count {
      let path = try directory.write(Array(bytes.prefix(length)), to: "prefix.npy")
      #expect(throws: FileError.self) { try NPY.read(path) }
    }
  }
}

@Suite struct NPYSizeTests {
  func file(descr: String, shape: String, data: [UInt8] = []) -> [UInt8] {
    let header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }\n"
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + data
  }

  func problem(_ bytes: [UInt8]) -> String {
    do {
      _ = try NPY.decode(bytes)
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  @Test func shapesWhoseSizesOverflowAreCorrupt() throws {
    #expect(problem(file(descr: "<f4", shape: "(4611686018427387904, 4)")) == "corrupt: shape [4611686018427387904, 4] holds more values than any file can")
    #expect(problem(file(descr: "<f8", shape: "(2305843009213693952,)")) == "corrupt: shape [2305843009213693952] holds more values than any file can")
    #expect(problem(file(descr: "<f4", shape: "(3,)", data: [0, 0, 0, 0])) == "truncated: shape [3] of '<f4' needs 12 bytes of data, the file has 4")
    #expect(problem([0x93] + Array("NUMPY".utf8) + [2, 0, 0, 0]) == "truncated: 10 bytes, shorter than the header")
    #expect(try NPY.decode(file(descr: "<f4", shape: "(9223372036854775807, 0)")).values.isEmpty)
  }
}
