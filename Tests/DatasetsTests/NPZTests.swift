import Datasets
import FileIO
import Foundation
import TestSupport
import Testing

/// Fixtures were written by NumPy (Fixtures/README.md): `arrays.npz` stored, `splits.npz` deflated.
@Suite struct NPZTests {
  func fixture(_ name: String) throws -> String {
    try #require(Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures"))
  }

  @Test func readsStoredArchives() throws {
    let arrays = try NPZ.read(try fixture("arrays.npz"))
    #expect(arrays.map(\.name) == ["x", "y"])
    guard case .floats(let x) = arrays[0].contents.elements else { Issue.record("x not floats"); return }
    #expect(x == [0, 0.5, 1, 1.5, 2, 2.5] && arrays[0].contents.shape == [3, 2])
    guard case .floats(let y) = arrays[1].contents.elements else { Issue.record("y not floats"); return }
    #expect(y == [2, 0, 1])
  }

  @Test func readsDeflatedArchives() throws {
    let arrays = try NPZ.read(try fixture("splits.npz"))
    #expect(arrays.map(\.name) == ["x_train", "y_train", "x_test", "y_test"])
    guard case .bytes(let x) = arrays[0].contents.elements else { Issue.record("x_train not bytes"); return }
    #expect(x == [0, 255, 128, 7, 0, 255, 128, 7] && arrays[0].contents.shape == [2, 2, 2])
  }

  @Test func damagedArchivesAreNamedNeverCrash() throws {
    let directory = try TemporaryDirectory()
    let bytes = [UInt8](try FileIO.read(try fixture("splits.npz")))
    let notZip = try directory.write(Array("hello".utf8), to: "no.npz")
    #expect(throws: FileError(notZip, "not an NPZ file (no ZIP end record)")) { try NPZ.read(notZip) }
    for length in stride(from: 0, to: bytes.count, by: 7) {
      let path = try directory.write(Array(bytes.prefix(length)), to: "cut.npz")
      #expect(throws: FileError.self) { try NPZ.read(path) }
    }
    for index in stride(from: 0, to: bytes.count, by: 5) {
      var flipped = bytes
      flipped[index] ^= 0x5A
      let path = try directory.write(flipped, to: "flipped.npz")
      // A flipped byte is caught (CRC, structure) or, in a name or unused field, harmless; never a crash.
      if let arrays = try? NPZ.read(path) { #expect(arrays.count <= 4) }
    }
  }

  @Test func aZIP64OffsetNearIntMaxIsAnErrorNotATrap() throws {
    // Fuzzing found it: a directory entry's local-header offset of 0xFFFFFFFF, and a ZIP64 extra
    // field giving 0x7FFF_FFFF_FFFF_FFFE; reading 4 bytes there overflowed `offset + 2`.
    let name = Array("x.npy".utf8)
    let zip64: [UInt8] = [1, 0, 8, 0] + withUnsafeBytes(of: UInt64(0x7FFF_FFFF_FFFF_FFFE).littleEndian, Array.init)
    var directory: [UInt8] = [0x50, 0x4B, 0x01, 0x02] + [UInt8](repeating: 0, count: 24)  // signature … sizes
    directory += [UInt8(name.count), 0, UInt8(zip64.count), 0] + [UInt8](repeating: 0, count: 10)  // lengths … attributes
    directory += [0xFF, 0xFF, 0xFF, 0xFF] + name + zip64  // local header offset 0xFFFFFFFF: see the extra field
    let end: [UInt8] = [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0]
      + withUnsafeBytes(of: UInt32(directory.count).littleEndian, Array.init) + [0, 0, 0, 0, 0, 0]
    let bytes = directory + end
    #expect(throws: NPY.Problem.self) { try bytes.withUnsafeBytes { try NPZ.decode($0) } }
  }
}
