import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What SIGINT (Ctrl-C) and SIGTERM do to a process that installs this: remove the temporary
/// files of writes in progress (`TemporaryFiles`), run the registered handlers (a checkpoint
/// save, for instance), print one line, and exit with 128 + the signal's number (130 or 143),
/// as shells report a process killed by it.
///
/// SIGXFSZ is ignored, so a write past `ulimit -f` is an error naming the file, not a kill.
/// The signals are blocked in every thread and received by one thread of their own with
/// `sigwait`, so the cleanup runs as ordinary code, not in a signal handler.
public enum Interruption {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var installed = false
  nonisolated(unsafe) private static var handlers: [(Int32) -> Void] = []

  /// Starts handling SIGINT and SIGTERM. Call it first in `main`, before any other thread starts
  /// (threads inherit the blocked signals).
  ///
  /// - Parameter message: The line printed on standard error for a signal's name ("SIGINT").
  public static func install(message: @escaping @Sendable (String) -> String = { "interrupted by \($0)" }) {
    let first = lock.withLock {
      defer { installed = true }
      return !installed
    }
    guard first else { return }
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &signals, nil)
    // A write beyond the file-size limit (`ulimit -f`) then fails with EFBIG, a clean error,
    // instead of killing the process.
    signal(SIGXFSZ, SIG_IGN)
    let blocked = signals
    let thread = Thread {
      var received: Int32 = 0
      var waitFor = blocked
      while sigwait(&waitFor, &received) != 0 {}
      let removed = TemporaryFiles.removeAll()
      for handler in lock.withLock({ handlers }) { handler(received) }
      let name = received == SIGINT ? "SIGINT" : "SIGTERM"
      let note = removed > 0 ? "; removed \(removed) temporary file\(removed == 1 ? "" : "s")" : ""
      FileHandle.standardError.write(Data("\r\(message(name))\(note)\n".utf8))
      _exit(128 + received)
    }
    thread.name = "signals"
    thread.start()
  }

  /// Adds a handler run on SIGINT or SIGTERM after temporary files are removed and before the
  /// process exits; it receives the signal's number.
  public static func onInterrupt(_ handler: @escaping (Int32) -> Void) {
    lock.withLock { handlers.append(handler) }
  }
}
