import FileIO
import Foundation
import TestSupport
import Testing

@Suite struct FileIOTests {
  @Test func readErrorsNameTheFileAndTheProblem() throws {
    let directory = try TemporaryDirectory()
    #expect(throws: FileError(directory.path("missing.bin"), "no such file")) { try FileIO.read(directory.path("missing.bin")) }
    #expect(throws: FileError(directory.path, "is a directory, not a file")) { try FileIO.read(directory.path) }
  }

  @Test func writesAtomicallyAndReadsBack() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("out.bin")
    try FileIO.writeAtomically(Data([1, 2, 3]), to: path)
    try FileIO.writeAtomically(Data([4, 5]), to: path)  // replaces
    #expect(try FileIO.read(path) == Data([4, 5]))
    #expect(try directory.contents() == ["out.bin"])  // no temporary files left behind
  }

  @Test func aFailedWriteLeavesNoFileBehind() throws {
    let directory = try TemporaryDirectory()
    #expect(throws: FileError.self) { try FileIO.writeAtomically(Data([1]), to: directory.path("no/such/dir/out.bin")) }
    #expect(throws: FileError(directory.path, "is a directory; only regular files are written")) { try FileIO.writeAtomically(Data([1]), to: directory.path) }
    #expect(try directory.contents().isEmpty)
  }
}
