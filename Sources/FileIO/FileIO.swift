import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
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
public enum FileIO {
  /// The contents of the file at `path`.
  ///
  /// - Throws: `FileError` naming the file: missing, a directory, unreadable.
  public static func read(_ path: String) throws -> Data {
    var status = stat()
    guard stat(path, &status) == 0 else { throw FileError(path, reason(errno)) }
    guard (status.st_mode & S_IFMT) != S_IFDIR else { throw FileError(path, "is a directory, not a file") }
    guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError(path, reason(errno == 0 ? EACCES : errno)) }
    defer { try? handle.close() }
    do {
      return try handle.readToEnd() ?? Data()
    } catch {
      throw FileError(path, "read failed: \(error.localizedDescription)")
    }
  }

  /// Writes `data` to `path` so that the file is either complete or untouched: the bytes go to a
  /// temporary file in the same directory, are flushed to disk, and the temporary file is renamed
  /// over `path`. On any failure the temporary file is removed.
  ///
  /// - Throws: `FileError` naming the file: missing directory, no permission, disk full.
  public static func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    var status = stat()
    if stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR { throw FileError(path, "is a directory") }
    guard stat(directory, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
      throw FileError(path, "directory \(directory) does not exist")
    }
    var template = Array("\(directory)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard descriptor >= 0 else { throw FileError(path, "cannot create a file in \(directory): \(reason(errno))") }
    let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var failure: String?
    data.withUnsafeBytes { bytes in
      var offset = 0
      while offset < bytes.count {
        let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
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
    if failure == nil, rename(temporary, path) != 0 { failure = "cannot rename into place: \(reason(errno))" }
    if let failure {
      unlink(temporary)
      throw FileError(path, failure)
    }
  }

  /// Whether a file or directory exists at `path`.
  public static func exists(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0
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
