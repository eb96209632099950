import Foundation

#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
private let systemWrite = Darwin.write
#endif

/// A file that could not be read or written: the path and what went wrong, on one line.
public struct FileError: Error, Equatable, CustomStringConvertible {
  /// The file's path as given.
  public let path: String
  /// What is wrong with it ("no such file", "truncated: ...").
  public let problem: String

  public init(_ path: String, _ problem: String) {
    self.path = path
    self.problem = problem
  }

  public var description: String { "\(path): \(problem)" }
}

/// Reading whole files and writing them atomically.
///
/// Only regular files are read or replaced: a FIFO, a device, a socket or a directory (or a
/// symbolic link to one) is refused before it is opened for reading or touched by a write, so a
/// FIFO cannot block the tool and `/dev/zero` cannot fill its memory.
public enum FileIO {
  /// The largest file `read(_:)` reads by default: 8 GiB.
  public static let defaultReadLimit = 1 << 33

  /// The contents of the regular file at `path` (symbolic links followed).
  ///
  /// - Parameters:
  ///   - limit: The most bytes accepted; a larger file is an error naming both sizes.
  ///   - listedAsFile: The caller listed `path` in its folder as a regular file (a directory
  ///     entry's type), so the check before opening is skipped; the one after opening stays.
  /// - Throws: `FileError` naming the file: missing, not a regular file, unreadable, too large.
  public static func read(_ path: String, limit: Int = defaultReadLimit, listedAsFile: Bool = false) throws -> Data {
    try withOpenFile(path, limit: limit, listedAsFile: listedAsFile) { descriptor, size in
      var data = Data(count: size)
      let count = try data.withUnsafeMutableBytes { try readFully(descriptor, into: $0.baseAddress, size: size, path: path) }
      if count < size { data.removeSubrange(count...) }
      return data
    }
  }

  /// The contents of the regular file at `path` as bytes (see `read`), read straight into the array.
  public static func readBytes(_ path: String, limit: Int = defaultReadLimit, listedAsFile: Bool = false) throws -> [UInt8] {
    try withOpenFile(path, limit: limit, listedAsFile: listedAsFile) { descriptor, size in
      try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        initialized = try readFully(descriptor, into: buffer.baseAddress, size: size, path: path)
      }
    }
  }

  /// Reads up to `size` bytes of an open file into `buffer`, retrying interrupted reads; fewer
  /// when the file shrank while being read. Returns the count read.
  private static func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer?, size: Int, path: String) throws -> Int {
    var offset = 0
    while offset < size {
      let count = systemRead(descriptor, buffer! + offset, size - offset)
      if count < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        throw FileError(path, "read failed: \(reason(errno))")
      }
      if count == 0 { break }  // the file shrank while being read
      offset += count
    }
    return offset
  }

  /// Opens the regular file at `path` (refusing anything else before and after opening, and
  /// files over `limit` bytes) and calls `body` with its descriptor and size.
  private static func withOpenFile<Result>(_ path: String, limit: Int, listedAsFile: Bool = false,
                                           _ body: (Int32, Int) throws -> Result) throws -> Result {
    var status = stat()
    if !listedAsFile {
      guard stat(path, &status) == 0 else { throw FileError(path, reason(errno)) }
      if let kind = nonRegularKind(status) { throw FileError(path, "is \(kind), not a file") }
    }
    // O_NONBLOCK: should the path become a FIFO after the check, opening it does not wait for a writer.
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw FileError(path, reason(errno)) }
    defer { close(descriptor) }
    guard fstat(descriptor, &status) == 0 else { throw FileError(path, reason(errno)) }
    if let kind = nonRegularKind(status) { throw FileError(path, "is \(kind), not a file") }
    let size = Int(status.st_size)
    guard size <= limit else { throw FileError(path, "is \(formatBytes(size)), more than the \(formatBytes(limit)) limit for this file") }
    return try body(descriptor, size)
  }

  /// Calls `body` with the bytes of the regular file at `path`, mapped into memory read-only
  /// rather than copied (for large inputs read once, such as a CSV table). The same checks as
  /// `read(_:limit:)`; the mapping lasts for `body` only.
  ///
  /// - Throws: `FileError` naming the file (see `read`), or what `body` throws.
  public static func withMappedBytes<Result>(_ path: String, limit: Int = defaultReadLimit,
                                             _ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result {
    let file = try MappedFile(path, limit: limit)
    return try withExtendedLifetime(file) { try body(file.bytes) }
  }

  /// A regular file mapped into memory read-only, for as long as the object lives: what a data
  /// set larger than memory reads its examples from, page by page, as they are used.
  public final class MappedFile: @unchecked Sendable {  // read-only after init
    /// The file's bytes (empty for an empty file).
    public let bytes: UnsafeRawBufferPointer
    /// The file mapped.
    public let path: String
    /// Whether `bytes` is a copy this object allocated (rather than a mapping).
    private let isCopy: Bool

    /// - Throws: `FileError` naming the file (see `read`).
    public init(_ path: String, limit: Int = defaultReadLimit) throws {
      self.path = path
      var mapped: UnsafeRawBufferPointer?
      try withOpenFile(path, limit: limit) { descriptor, size in
        guard size > 0, let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else { return }
        _ = madvise(address, size, MADV_SEQUENTIAL)
        mapped = UnsafeRawBufferPointer(start: address, count: size)
      }
      isCopy = mapped == nil
      if let mapped {
        bytes = mapped
      } else {
        // An empty file, or a file system that cannot map: read it instead.
        let contents = try readBytes(path, limit: limit)
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(contents.count, 1), alignment: 64)
        copy.copyBytes(from: contents)
        bytes = UnsafeRawBufferPointer(start: copy.baseAddress, count: contents.count)
      }
    }

    deinit {
      guard let address = bytes.baseAddress else { return }
      if isCopy { UnsafeMutableRawPointer(mutating: address).deallocate() } else { munmap(UnsafeMutableRawPointer(mutating: address), bytes.count) }
    }
  }

  /// Checks, before any work, that `path` can be written by `writeAtomically(_:to:)`: its folder
  /// exists and is writable, and `path` is absent, a regular file, or a symbolic link to a regular
  /// file (which is then replaced in its own folder, keeping the link).
  ///
  /// - Returns: The path that will be replaced (a symbolic link's target).
  /// - Throws: `FileError` naming the path and the problem.
  @discardableResult
  public static func checkOutput(_ path: String) throws -> String {
    var status = stat()
    var target = path
    if lstat(path, &status) == 0 {
      if (status.st_mode & S_IFMT) == S_IFLNK {
        guard stat(path, &status) == 0 else { throw FileError(path, "is a broken symbolic link") }
        if let kind = nonRegularKind(status) { throw FileError(path, "is a symbolic link to \(kind); only regular files are written") }
        guard let resolved = realpath(path, nil) else { throw FileError(path, reason(errno)) }
        target = String(cString: resolved)
        free(resolved)
      } else if let kind = nonRegularKind(status) {
        throw FileError(path, "is \(kind); only regular files are written")
      }
    } else if errno != ENOENT {
      throw FileError(path, reason(errno))
    }
    let directory = folder(of: target)
    guard stat(directory, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
      throw FileError(path, "directory \(directory) does not exist")
    }
    guard access(directory, W_OK) == 0 else { throw FileError(path, "directory \(directory) is not writable") }
    return target
  }

  /// Writes `data` to `path` so that the file is either complete or untouched: the bytes go to a
  /// temporary file in the same directory, are flushed to disk, and the temporary file is renamed
  /// over `path`. On any failure, and on SIGINT or SIGTERM (`Interruption`), the temporary file
  /// is removed. A non-regular file at `path` is never replaced (`checkOutput(_:)`).
  ///
  /// - Throws: `FileError` naming the file: missing directory, no permission, disk full.
  public static func writeAtomically(_ data: Data, to path: String) throws {
    try writeAtomically([(path, data)])
  }

  /// Writes several files all or nothing, as `writeAtomically(_:to:)` writes one: every file is
  /// written to its temporary file and flushed before any is renamed into place, so a full disk
  /// or an error leaves none of them (renames need no space).
  ///
  /// - Throws: `FileError` naming the file that could not be written.
  public static func writeAtomically(_ files: [(path: String, data: Data)]) throws {
    let targets = try files.map { try checkOutput($0.path) }
    var temporaries: [String] = []
    func abandon(_ error: FileError) -> FileError {
      for temporary in temporaries {
        unlink(temporary)
        TemporaryFiles.unregister(temporary)
      }
      return error
    }
    for ((path, data), target) in zip(files, targets) {
      let temporary: (path: String, descriptor: Int32)
      do {
        temporary = try makeTemporaryFile(beside: target, named: path)
      } catch let error as FileError {
        throw abandon(error)
      }
      temporaries.append(temporary.path)
      if let failure = write(data, toTemporary: temporary.path, descriptor: temporary.descriptor) { throw abandon(FileError(path, failure)) }
    }
    pauseForTests()
    for ((path, _), (temporary, target)) in zip(files, zip(temporaries, targets)) {
      guard rename(temporary, target) == 0 else { throw abandon(FileError(path, "cannot rename into place: \(reason(errno))")) }
      TemporaryFiles.unregister(temporary)
    }
  }

  /// Writes several files into `folder` all or nothing: every file goes to a temporary folder
  /// first (beside `folder` when it does not exist yet, else inside it), and only when all are
  /// written and flushed are they moved into place, by renames that cannot run out of space.
  ///
  /// - Parameter files: File names (no `/`) and their bytes.
  /// - Throws: `FileError` naming the file or folder; nothing is left behind.
  public static func writeAtomically(_ files: [(name: String, data: Data)], intoFolder folder: String) throws {
    var status = stat()
    let exists = stat(folder, &status) == 0
    if exists, (status.st_mode & S_IFMT) != S_IFDIR { throw FileError(folder, "is not a folder") }
    var names = Set<String>()
    for (name, _) in files {
      guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", names.insert(name).inserted else {
        throw FileError(folder, "cannot write two files named \"\(name)\" into it")
      }
      if exists { _ = try checkOutput("\(folder)/\(name)") }
    }
    let staging: String
    if exists {
      guard access(folder, W_OK) == 0 else { throw FileError(folder, "is not writable") }
      staging = try makeTemporaryFolder(in: folder, named: folder)
    } else {
      let parent = self.folder(of: folder)
      guard stat(parent, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else { throw FileError(folder, "directory \(parent) does not exist") }
      guard access(parent, W_OK) == 0 else { throw FileError(folder, "directory \(parent) is not writable") }
      staging = try makeTemporaryFolder(in: parent, named: folder)
    }
    func abandon(_ problem: String) -> FileError {
      removeTree(staging)
      TemporaryFiles.unregister(staging)
      return FileError(folder, problem)
    }
    for (name, data) in files {
      let path = "\(staging)/\(name)"
      let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
      guard descriptor >= 0 else { throw abandon("cannot create \(name): \(reason(errno))") }
      if let failure = write(data, toTemporary: path, descriptor: descriptor) { throw abandon("\(name): \(failure)") }
    }
    pauseForTests()
    if !exists {
      guard rename(staging, folder) == 0 else { throw abandon("cannot rename into place: \(reason(errno))") }
    } else {
      for (name, _) in files where rename("\(staging)/\(name)", "\(folder)/\(name)") != 0 {
        throw abandon("cannot move \(name) into place: \(reason(errno))")
      }
      rmdir(staging)
    }
    TemporaryFiles.unregister(staging)
  }

  /// Whether a file or directory exists at `path`.
  public static func exists(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0
  }

  /// Whether `path` is a directory (or a symbolic link to one).
  public static func isDirectory(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
  }

  // MARK: - Helpers

  /// "a directory", "a named pipe (FIFO)", ... for anything but a regular file; nil for one.
  static func nonRegularKind(_ status: stat) -> String? {
    switch status.st_mode & S_IFMT {
    case S_IFREG: nil
    case S_IFDIR: "a directory"
    case S_IFIFO: "a named pipe (FIFO)"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFSOCK: "a socket"
    default: "not a regular file"
    }
  }

  /// The folder holding `path` ("." for a bare name).
  static func folder(of path: String) -> String {
    let url = URL(fileURLWithPath: path)
    return url.deletingLastPathComponent().path
  }

  /// The prefix of the temporary files and folders of writes to `target` that this process makes:
  /// `.name.tmp-PID-`, six random characters follow.
  static func temporaryPrefix(for target: String) -> String {
    ".\(URL(fileURLWithPath: target).lastPathComponent).tmp-\(getpid())-"
  }

  /// Removes the temporary files and folders that writes to `target` by processes no longer
  /// running left in `directory` (`.name.tmp-PID-XXXXXX` whose PID is gone: a `kill -9` in the
  /// middle of a write leaves one, which nothing else could remove). Those of running processes,
  /// and names of any other form, are left alone.
  ///
  /// - Returns: How many were removed.
  @discardableResult
  static func removeStaleTemporaries(of target: String, in directory: String) -> Int {
    let prefix = ".\(URL(fileURLWithPath: target).lastPathComponent).tmp-"
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
    var removed = 0
    for name in names where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
      guard rest.count == 2, rest[1].count == 6, let pid = pid_t(rest[0]), pid > 0, pid != getpid() else { continue }
      guard kill(pid, 0) != 0, errno == ESRCH else { continue }
      removeTree("\(directory)/\(name)")
      removed += 1
    }
    return removed
  }

  /// A new, registered temporary file beside `target`: `.name.tmp-PID-XXXXXX` (stale ones of
  /// killed writers go first).
  static func makeTemporaryFile(beside target: String, named path: String) throws -> (path: String, descriptor: Int32) {
    let directory = folder(of: target)
    removeStaleTemporaries(of: target, in: directory)
    var template = Array("\(directory)/\(temporaryPrefix(for: target))XXXXXX".utf8CString)
    // Register before creating: a signal between the two then still finds (and removes) the file.
    let descriptor = TemporaryFiles.creating { template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) } } registering: {
      $0 >= 0 ? String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }
    guard descriptor >= 0 else { throw FileError(path, "cannot create a file in \(directory): \(reason(errno))") }
    return (String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self), descriptor)
  }

  /// A new, registered temporary folder inside `directory`: `.name.tmp-PID-XXXXXX`.
  static func makeTemporaryFolder(in directory: String, named path: String) throws -> String {
    removeStaleTemporaries(of: path, in: directory)
    var template = Array("\(directory)/\(temporaryPrefix(for: path))XXXXXX".utf8CString)
    let created = TemporaryFiles.creating { template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil } } registering: {
      $0 ? String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }
    guard created else { throw FileError(path, "cannot create a folder in \(directory): \(reason(errno))") }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Writes all of `data` to an open temporary file, flushes it to disk and closes it; returns
  /// the problem, or nil.
  static func write(_ data: Data, toTemporary path: String, descriptor: Int32) -> String? {
    var failure: String?
    data.withUnsafeBytes { bytes in
      var offset = 0
      while offset < bytes.count {
        let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          failure = "write failed: \(reason(errno))"
          return
        }
        offset += written
      }
    }
    if failure == nil, fsync(descriptor) != 0 { failure = "write failed: \(reason(errno))" }
    fchmod(descriptor, 0o644)
    if close(descriptor) != 0, failure == nil { failure = "write failed: \(reason(errno))" }
    return failure
  }

  /// Removes a file or a folder and everything in it.
  static func removeTree(_ path: String) {
    var status = stat()
    guard lstat(path, &status) == 0 else { return }
    if (status.st_mode & S_IFMT) == S_IFDIR {
      for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { removeTree("\(path)/\(name)") }
      rmdir(path)
    } else {
      unlink(path)
    }
  }

  /// For tests of interruption: `AUTOENCODERKIT_TEST_WRITE_PAUSE` seconds between writing a
  /// temporary file and renaming it into place.
  private static func pauseForTests() {
    guard let text = ProcessInfo.processInfo.environment["AUTOENCODERKIT_TEST_WRITE_PAUSE"], let seconds = Double(text), seconds > 0 else { return }
    Thread.sleep(forTimeInterval: min(seconds, 60))
  }

  /// The C library's reason for an error number, lower-cased: "no such file or directory".
  static func reason(_ code: Int32) -> String {
    switch code {
    case ENOENT: return "no such file"
    case ENOSPC: return "no space left on device"
    default: return String(cString: strerror(code)).lowercased()
    }
  }
}
