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
}
