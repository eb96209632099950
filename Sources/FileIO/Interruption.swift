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
  nonisolated(unsafe) private static var deferring = 0
  nonisolated(unsafe) private static var pending: Int32?

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
      while true {
        while sigwait(&waitFor, &received) != 0 {}
        // Within `deferringExit`, the first signal only asks the work to stop at a safe point.
        let deferred = lock.withLock {
          guard deferring > 0, pending == nil else { return false }
          pending = received
          return true
        }
        guard deferred else { break }
        let name = received == SIGINT ? "SIGINT" : "SIGTERM"
        FileHandle.standardError.write(Data("\r\u{1B}[K\(name): finishing this step and saving a checkpoint (send it again to quit at once)\n".utf8))
      }
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

  /// Runs `body` with the first SIGINT or SIGTERM deferred: instead of exiting, it is recorded in
  /// `requested`, which `body` polls to stop at a safe point (a training run finishes its step and
  /// saves a checkpoint). A second signal exits as usual, removing temporary files, so the last
  /// complete file stays.
  public static func deferringExit<Result>(_ body: () throws -> Result) rethrows -> Result {
    lock.withLock { deferring += 1 }
    defer { lock.withLock { deferring -= 1 } }
    return try body()
  }

  /// The signal received while exit was deferred (`deferringExit`), or nil.
  public static var requested: Int32? { lock.withLock { pending } }

  /// Adds a handler run on SIGINT or SIGTERM after temporary files are removed and before the
  /// process exits; it receives the signal's number.
  public static func onInterrupt(_ handler: @escaping (Int32) -> Void) {
    lock.withLock { handlers.append(handler) }
  }
}
