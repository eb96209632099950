import Foundation

/// The temporary files and folders that atomic writes have made and not yet renamed into place,
/// so that an interruption (`Interruption`) can remove them: no half-written file is left behind.
public enum TemporaryFiles {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var paths: Set<String> = []

  /// The paths registered now.
  public static var registered: [String] { lock.withLock { paths.sorted() } }

  /// Runs `create` and registers the path that `path` names for its result (nil: nothing was
  /// created), under one lock: an interruption in between sees either no file or a registered one.
  static func creating<Result>(_ create: () -> Result, registering path: (Result) -> String?) -> Result {
    lock.withLock {
      let result = create()
      if let name = path(result) { paths.insert(name) }
      return result
    }
  }

  /// Forgets `path` (renamed into place, or already removed).
  static func unregister(_ path: String) {
    _ = lock.withLock { paths.remove(path) }
  }

  /// Removes every registered file and folder (with what is in it), or those `matching` says,
  /// and forgets them.
  ///
  /// - Returns: How many were removed.
  @discardableResult
  public static func removeAll(matching include: (String) -> Bool = { _ in true }) -> Int {
    lock.withLock {
      let chosen = paths.filter(include)
      let removed = chosen.filter { FileIO.exists($0) }
      for path in chosen { FileIO.removeTree(path) }
      paths.subtract(chosen)
      return removed.count
    }
  }
}
