import Foundation

/// A fresh directory under the system's temporary directory, removed when released.
public final class TemporaryDirectory {
  /// The directory's path.
  public let path: String

  public init() throws {
    path = NSTemporaryDirectory() + "autoencoderkit-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// The path of `name` inside the directory.
  public func path(_ name: String) -> String { "\(path)/\(name)" }

  /// The names of the files in the directory, sorted.
  public func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }

  /// Writes `bytes` to `name` inside the directory and returns its path.
  @discardableResult
  public func write(_ bytes: [UInt8], to name: String) throws -> String {
    let file = path(name)
    try Data(bytes).write(to: URL(fileURLWithPath: file))
    return file
  }
}

#if canImport(Glibc)
import Glibc
#endif

extension TemporaryDirectory {
  /// A character device that tests may try to overwrite: as root, a null device node made in this
  /// directory (so a regression cannot replace the system's /dev/null); otherwise /dev/null,
  /// which only root could replace.
  public func characterDevice() -> String {
    let node = path("null-device")
    #if canImport(Glibc)
    // dev_t(1 << 8 | 3) is makedev(1, 3), the null device.
    if getuid() == 0, mknod(node, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0 { return node }
    #endif
    return "/dev/null"
  }
}
