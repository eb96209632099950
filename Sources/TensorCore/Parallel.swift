import CKernels
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
  static func chunks(_ count: Int, minimumPerThread: Int = minimumPerThread) -> [Range<Int>] {
    let parts = max(1, min(threads, count / max(minimumPerThread, 1)))
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

  /// Runs `body(part)` for each of `parts` parts, concurrently when more than one: part 0 on the
  /// calling thread, part k on the pool's worker k, each with the caller's kernel level.
  static func forEachPart(_ parts: Int, _ body: (Int) -> Void) {
    if parts <= 1 { return body(0) }
    let level = aek_kernels_level()
    withoutActuallyEscaping(body) { body in
      var task = PartTask(body: body, level: level)
      withUnsafeMutablePointer(to: &task) { aek_parallel_run(parts, runPart, $0) }
    }
  }

  /// Runs `body(shard)` for each of `shards` shards of a data-parallel step, one thread each,
  /// with everything inside a shard single-threaded (`threads` is 1 there).
  public static func forEachShard(_ shards: Int, _ body: (Int) -> Void) {
    forEachPart(shards) { shard in withThreads(1) { body(shard) } }
  }

  /// Runs `body(item)` for each of `items` items on `shards` threads (as `forEachShard`), each
  /// thread taking the next item when it is done with one: a thread the machine holds up takes
  /// fewer, and the others do not wait for it at the end. Which thread runs an item must not change
  /// what the item computes.
  public static func forEachItem(_ items: Int, shards: Int, _ body: (Int) -> Void) {
    guard shards > 1, items > 1 else { return (0..<items).forEach(body) }
    var next = 0
    withUnsafeMutablePointer(to: &next) { counter in
      let counter = UnsafeSendable(counter)
      forEachShard(min(shards, items)) { _ in
        while case let item = aek_take_next(counter.value), item < items { body(item) }
      }
    }
  }

  /// Rows `0..<rows` split into one near-equal range per thread, for a data-parallel step; a
  /// single range when a part would have fewer than `minimumRows` rows or the matrix products
  /// thread themselves (Accelerate).
  public static func shards(ofRows rows: Int, minimumRows: Int) -> [Range<Int>] {
    let parts = BLAS.splitsProducts ? max(1, min(threads, rows / max(minimumRows, 1))) : 1
    return (0..<parts).map { rows * $0 / parts..<rows * ($0 + 1) / parts }
  }

  /// Runs `body` on each chunk of `0..<count`, concurrently where large enough: where each thread
  /// gets at least `minimumPerThread` elements (lower it for kernels that do more per element).
  public static func forEachChunk(_ count: Int, minimumPerThread: Int = minimumPerThread, _ body: (Range<Int>) -> Void) {
    let ranges = chunks(count, minimumPerThread: minimumPerThread)
    forEachPart(ranges.count) { body(ranges[$0]) }
  }

  /// A region's body and the kernel level its parts run at.
  private struct PartTask {
    let body: (Int) -> Void
    let level: aek_simd_level
  }

  /// Runs one part with the caller's kernel level, restoring the thread's own afterwards.
  private static let runPart: aek_task_fn = { context, part in
    let task = context!.assumingMemoryBound(to: PartTask.self).pointee
    let previous = aek_kernels_set_thread_level(Int32(task.level.rawValue))
    defer { aek_kernels_set_thread_level(previous) }
    task.body(part)
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
public struct UnsafeSendable<Value>: @unchecked Sendable {
  public let value: Value
  public init(_ value: Value) { self.value = value }
}
