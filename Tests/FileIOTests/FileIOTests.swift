@testable import FileIO
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

#if canImport(Glibc)
import Glibc
#endif

/// Only regular files are read or replaced; several files are written all or nothing.
@Suite struct FileIOKindsTests {
  @Test func fifosDevicesAndLargeFilesAreRefusedBeforeReading() throws {
    let directory = try TemporaryDirectory()
    let fifo = directory.path("fifo")
    #expect(mkfifo(fifo, 0o644) == 0)
    // Reading a FIFO with no writer would block forever; it is refused at once.
    #expect(throws: FileError(fifo, "is a named pipe (FIFO), not a file")) { try FileIO.read(fifo) }
    #expect(throws: FileError("/dev/zero", "is a character device, not a file")) { try FileIO.read("/dev/zero") }
    let file = try directory.write([UInt8](repeating: 7, count: 2000), to: "big.bin")
    #expect(throws: FileError(file, "is 2 KB, more than the 1000 bytes limit for this file")) { try FileIO.read(file, limit: 1000) }
    #expect(try FileIO.read(file, limit: 2000).count == 2000)
  }

  @Test func mappedAndByteReadsAreTheFileAndRefuseWhatReadRefuses() throws {
    let directory = try TemporaryDirectory()
    let bytes = (0..<5000).map { UInt8($0 % 251) }
    let file = try directory.write(bytes, to: "data.bin")
    #expect(try FileIO.readBytes(file) == bytes && FileIO.readBytes(file, listedAsFile: true) == bytes)
    #expect(try FileIO.withMappedBytes(file) { Array($0) } == bytes)
    let mapped = try FileIO.MappedFile(file)
    #expect(Array(mapped.bytes) == bytes)
    let empty = try directory.write([], to: "empty.bin")
    #expect(try FileIO.MappedFile(empty).bytes.isEmpty && FileIO.withMappedBytes(empty) { $0.count } == 0)
    let fifo = directory.path("fifo")
    #expect(mkfifo(fifo, 0o644) == 0)
    #expect(throws: FileError(fifo, "is a named pipe (FIFO), not a file")) { try FileIO.MappedFile(fifo) }
    // Listed as a file but a FIFO by the time it is opened: refused after opening, without blocking.
    #expect(throws: FileError(fifo, "is a named pipe (FIFO), not a file")) { try FileIO.readBytes(fifo, listedAsFile: true) }
    #expect(throws: FileError(file, "is 5 KB, more than the 1000 bytes limit for this file")) { try FileIO.withMappedBytes(file, limit: 1000) { _ in } }
  }

  @Test func outputsThatAreNotRegularFilesAreNeverReplaced() throws {
    let directory = try TemporaryDirectory()
    let fifo = directory.path("fifo")
    #expect(mkfifo(fifo, 0o644) == 0)
    let devices = try TemporaryDirectory()
    let device = devices.characterDevice()
    let toDevice = directory.path("to-null")
    try FileManager.default.createSymbolicLink(atPath: toDevice, withDestinationPath: device)
    let broken = directory.path("broken")
    try FileManager.default.createSymbolicLink(atPath: broken, withDestinationPath: directory.path("nowhere/x"))
    #expect(throws: FileError(device, "is a character device; only regular files are written")) { try FileIO.writeAtomically(Data([1]), to: device) }
    #expect(throws: FileError(fifo, "is a named pipe (FIFO); only regular files are written")) { try FileIO.writeAtomically(Data([1]), to: fifo) }
    #expect(throws: FileError(toDevice, "is a symbolic link to a character device; only regular files are written")) {
      try FileIO.writeAtomically(Data([1]), to: toDevice)
    }
    #expect(throws: FileError(broken, "is a broken symbolic link")) { try FileIO.writeAtomically(Data([1]), to: broken) }
    #expect(try directory.contents() == ["broken", "fifo", "to-null"])
  }

  @Test func aSymbolicLinkToARegularFileIsFollowedAndKept() throws {
    let directory = try TemporaryDirectory()
    let target = try directory.write([1], to: "target.bin")
    let link = directory.path("link.bin")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
    #expect(try FileIO.checkOutput(link) == URL(fileURLWithPath: target).resolvingSymlinksInPath().path)
    try FileIO.writeAtomically(Data([4, 5, 6]), to: link)
    #expect(try FileIO.read(target) == Data([4, 5, 6]))
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
  }

  @Test func severalFilesAreWrittenTogetherOrNotAtAll() throws {
    let directory = try TemporaryDirectory()
    let fifo = directory.path("b.bin")
    #expect(mkfifo(fifo, 0o644) == 0)
    // The second output cannot be written, so the first is not either.
    #expect(throws: FileError(fifo, "is a named pipe (FIFO); only regular files are written")) {
      try FileIO.writeAtomically([(directory.path("a.bin"), Data([1])), (fifo, Data([2]))])
    }
    #expect(try directory.contents() == ["b.bin"])
    try FileIO.writeAtomically([(directory.path("a.bin"), Data([1])), (directory.path("c.bin"), Data([3]))])
    #expect(try directory.contents() == ["a.bin", "b.bin", "c.bin"])
    #expect(try FileIO.read(directory.path("c.bin")) == Data([3]))
    #expect(TemporaryFiles.registered.allSatisfy { !$0.hasPrefix(directory.path) })
  }

  @Test func filesIntoAFolderArriveTogether() throws {
    let directory = try TemporaryDirectory()
    let folder = directory.path("out")
    try FileIO.writeAtomically([("a.png", Data([1])), ("b.png", Data([2]))], intoFolder: folder)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["a.png", "b.png"])
    try FileIO.writeAtomically([("b.png", Data([3])), ("c.png", Data([4]))], intoFolder: folder)  // into an existing folder
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["a.png", "b.png", "c.png"])
    #expect(try FileIO.read("\(folder)/b.png") == Data([3]))
    #expect(throws: FileError(folder, "cannot write two files named \"d.png\" into it")) {
      try FileIO.writeAtomically([("d.png", Data([1])), ("d.png", Data([2]))], intoFolder: folder)
    }
    #expect(try directory.contents() == ["out"])  // no staging folder left beside it
  }

  @Test func removingTemporaryFilesTakesWhatWritesLeftInFlight() throws {
    let directory = try TemporaryDirectory()
    let made = try FileIO.makeTemporaryFile(beside: directory.path("x.bin"), named: directory.path("x.bin"))
    close(made.descriptor)
    let folder = try FileIO.makeTemporaryFolder(in: directory.path, named: directory.path("out"))
    try Data([1]).write(to: URL(fileURLWithPath: "\(folder)/inside.png"))
    #expect(TemporaryFiles.registered.contains(made.path) && TemporaryFiles.registered.contains(folder))
    #expect(made.path.hasPrefix(directory.path + "/.x.bin.tmp-"))
    // Only this test's: other tests in this process may have writes in flight.
    #expect(TemporaryFiles.removeAll { $0.hasPrefix(directory.path + "/") } == 2)
    #expect(try directory.contents().isEmpty)
    #expect(!TemporaryFiles.registered.contains(made.path))
  }

  @Test func aWriteRemovesWhatKilledWritersOfTheSameFileLeft() throws {
    let directory = try TemporaryDirectory()
    // A process killed with -9 mid-write leaves `.name.tmp-PID-XXXXXX`; PID 999999999 runs nowhere.
    let stale = [".m.bin.tmp-999999999-a1B2c3", ".out.tmp-999999999-zzzzzz"]
    let kept = [".m.bin.tmp-\(getpid())-q1w2e3",  // this process's own: in flight
                ".m.bin.tmp-abcdef",  // no PID in it
                ".m.bin.tmp-1-abcdef",  // PID 1 runs
                ".n.bin.tmp-999999999-a1B2c3",  // another file's
                ".m.bin.tmp-999999999-toolong"]
    for name in stale + kept { try Data([1]).write(to: URL(fileURLWithPath: directory.path(name))) }
    try FileManager.default.createDirectory(atPath: directory.path(".out.tmp-999999998-yyyyyy"), withIntermediateDirectories: false)
    try FileIO.writeAtomically(Data([7]), to: directory.path("m.bin"))
    #expect(try directory.contents() == (kept + [".out.tmp-999999998-yyyyyy", ".out.tmp-999999999-zzzzzz", "m.bin"]).sorted())
    try FileIO.writeAtomically([("a.png", Data([1]))], intoFolder: directory.path("out"))
    #expect(try directory.contents() == (kept + ["m.bin", "out"]).sorted())
    #expect(FileIO.temporaryPrefix(for: directory.path("m.bin")) == ".m.bin.tmp-\(getpid())-")
  }
}
