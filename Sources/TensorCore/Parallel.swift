import CKernels
import Dispatch
import Foundation

/// Splits large element-wise passes across threads.
///
/// Work is cut into contiguous chunks (multiples of 64 elements, so chunks never share a cache
/// line), one per thread, and partial results combine in chunk order: the same inputs and
/// thread count give the same bits.
public enum Parallel {
  /// Threads for products and element-wise work: the innermost `withThreads` scope's count,
  /// else the process default (one per core, at most 8; `--threads` sets it). 1 runs inline.
  public static var threads: Int {
    get { scopedThreads ?? defaultThreads }
    set { defaultThreads = max(1, newValue) }
  }

  nonisolated(unsafe) private static var defaultThreads = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
  @TaskLocal private static var scopedThreads: Int?

  /// Runs `body` with `threads` threads, for this task and what it calls only: concurrent
  /// work elsewhere in the process keeps its own count.
  public static func withThreads<Result>(_ threads: Int, _ body: () throws -> Result) rethrows -> Result {
    try $scopedThreads.withValue(max(1, threads), operation: body)
  }

  /// Below this many elements per thread, a pass runs on the calling thread.
  public static let minimumPerThread = 49_152

  /// The chunks `count` elements split into for `threads` threads.
  static func chunks(_ count: Int) -> [Range<Int>] {
    let parts = max(1, min(threads, count / minimumPerThread))
    guard parts > 1 else { return [0..<count] }
    let step = (count / parts + 63) & ~63
    return (0..<parts).map { min($0 * step, count)..<min(($0 + 1) * step, count) }.filter { !$0.isEmpty }
  }

  /// How many parts to split `work` multiply-adds along a dimension of `size` into: one per
  /// thread, when each part is big enough to be worth a thread.
  static func parts(forWork work: Int, along size: Int) -> Int {
    max(1, min(threads, size / 16, work / 2_000_000 + 1))
  }

  /// Part `part` of `count` split into `parts` near-equal ranges (multiples of 16 but the last).
  static func range(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
    let step = ((count + parts - 1) / parts + 15) & ~15
    return min(part * step, count)..<min((part + 1) * step, count)
  }

  /// Runs `body(part)` for each of `parts` parts, concurrently when more than one.
  static func forEachPart(_ parts: Int, _ body: (Int) -> Void) {
    if parts <= 1 { return body(0) }
    let level = aek_kernels_level()
    withoutActuallyEscaping(body) { body in
      let box = UnsafeSendable(body)
      DispatchQueue.concurrentPerform(iterations: parts) { part in
        onWorker(at: level) { box.value(part) }
      }
    }
  }

  /// Runs `body` on each chunk of `0..<count`, concurrently where large enough.
  public static func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
    let ranges = chunks(count)
    if ranges.count == 1 { return body(ranges[0]) }
    let level = aek_kernels_level()
    withoutActuallyEscaping(body) { body in
      let box = UnsafeSendable(body)
      DispatchQueue.concurrentPerform(iterations: ranges.count) { index in
        onWorker(at: level) { box.value(ranges[index]) }
      }
    }
  }

  /// Runs a chunk on a worker thread with the caller's kernel level, restoring the worker's own.
  private static func onWorker(at level: aek_simd_level, _ body: () -> Void) {
    let previous = aek_kernels_set_thread_level(Int32(level.rawValue))
    defer { aek_kernels_set_thread_level(previous) }
    body()
  }

  /// Sums `body` over the chunks of `0..<count`, in chunk order.
  public static func sum(_ count: Int, _ body: (Range<Int>) -> Double) -> Double {
    let ranges = chunks(count)
    if ranges.count == 1 { return body(ranges[0]) }
    var partials = [Double](repeating: 0, count: ranges.count)
    partials.withUnsafeMutableBufferPointer { out in
      let results = UnsafeSendable(out)
      forEachChunk(count) { range in
        let index = ranges.firstIndex(of: range)!
        results.value[index] = body(range)
      }
    }
    return partials.reduce(0, +)
  }
}

/// A value handed to concurrent chunks, each touching only its own part.
struct UnsafeSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
