import Foundation

/// A cache of freed tensor buffers, keyed by element count, so that the tensors of one training
/// step reuse the memory of the previous step's instead of asking the system for fresh pages.
///
/// Training builds the same graph every batch, so the set of buffer sizes repeats exactly; without
/// the pool every large buffer is a new `mmap`, page-faulted and zeroed by the kernel each step.
/// Buffers under `minimumPooledCount` elements go straight back to `free` (malloc is fast there).
///
/// A thread is given back, where the pool has one, a buffer it released itself: the shards of a
/// data-parallel step each run on their own core, and a buffer last written by that core is
/// still in its caches.
public final class BufferPool: @unchecked Sendable {
  /// The pool every tensor uses.
  public static let shared = BufferPool()

  /// Buffers smaller than this many elements are not pooled.
  public let minimumPooledCount = 4096
  /// The most memory the pool holds on to; buffers freed beyond it are released.
  public var capacityInBytes = 256 << 20

  private var free: [Int: [(buffer: UnsafeMutablePointer<Float>, thread: UInt)]] = [:]
  private var pooledBytes = 0
  private let lock = NSLock()

  /// Bytes held by the pool now.
  public var heldBytes: Int { lock.withLock { pooledBytes } }

  /// Returns a 64-byte aligned, uninitialized buffer of `count` floats.
  func allocate(count: Int) -> UnsafeMutablePointer<Float> {
    if count >= minimumPooledCount {
      let reused: UnsafeMutablePointer<Float>? = lock.withLock {
        let thread = currentThread()
        guard let at = free[count].flatMap({ $0.lastIndex { $0.thread == thread } ?? $0.indices.last }) else { return nil }
        let buffer = free[count]!.remove(at: at).buffer
        pooledBytes -= count * MemoryLayout<Float>.stride
        return buffer
      }
      if let reused { return reused }
    }
    var raw: UnsafeMutableRawPointer?
    let bytes = max(count, 1) * MemoryLayout<Float>.stride
    guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
      fatalError("out of memory allocating \(bytes) bytes for a tensor")
    }
    return raw.bindMemory(to: Float.self, capacity: max(count, 1))
  }

  /// Takes back a buffer from `allocate(count:)`.
  func release(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
    let bytes = count * MemoryLayout<Float>.stride
    if count >= minimumPooledCount {
      let kept: Bool = lock.withLock {
        guard pooledBytes + bytes <= capacityInBytes else { return false }
        free[count, default: []].append((buffer, currentThread()))
        pooledBytes += bytes
        return true
      }
      if kept { return }
    }
    Foundation.free(buffer)
  }

  /// The calling thread's identity, to give each thread back the buffers it released itself.
  private func currentThread() -> UInt {
    #if canImport(Glibc)
    UInt(pthread_self())  // an integer in glibc
    #else
    UInt(bitPattern: pthread_self())  // a pointer on Darwin and musl
    #endif
  }

  /// Releases every pooled buffer back to the system.
  public func drain() {
    let buffers = lock.withLock {
      defer { free = [:]; pooledBytes = 0 }
      return free.values.flatMap { $0.map(\.buffer) }
    }
    buffers.forEach { Foundation.free($0) }
  }
}

/// The memory behind one or more tensors (tensors share it until one of them is mutated).
@usableFromInline
final class TensorStorage: @unchecked Sendable {
  @usableFromInline let base: UnsafeMutablePointer<Float>
  @usableFromInline let count: Int

  /// Uninitialized storage for `count` floats.
  @usableFromInline init(count: Int) {
    self.count = count
    base = BufferPool.shared.allocate(count: count)
  }

  deinit { BufferPool.shared.release(base, count: count) }
}
