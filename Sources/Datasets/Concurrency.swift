import Foundation

/// A value handed to the threads of `forEachConcurrently`, which share it under a rule the
/// compiler cannot check (each thread writes only its own part).
struct Shared<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// Runs `body(part)` for `parts` parts on up to `threads` threads; a reader's parts are
/// independent (files, or rows), so the result never depends on the threads.
func forEachConcurrently(_ parts: Int, threads: Int, _ body: (Int) -> Void) {
  if parts <= 1 || threads <= 1 {
    for part in 0..<parts { body(part) }
    return
  }
  let workers = min(parts, threads)
  let next = Shared(UnsafeMutablePointer<Int>.allocate(capacity: 1))
  next.value.initialize(to: 0)
  defer { next.value.deallocate() }
  let lock = NSLock()
  withoutActuallyEscaping(body) { body in
    let body = Shared(body)
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      while true {
        lock.lock()
        let part = next.value.pointee
        next.value.pointee += 1
        lock.unlock()
        guard part < parts else { return }
        body.value(part)
      }
    }
  }
}
