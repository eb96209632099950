import Foundation
@testable import TensorCore
import Testing

@Suite(.serialized) struct BufferPoolTests {
  @Test func aFreedLargeBufferIsReusedForTheNextTensorOfItsSize() {
    BufferPool.shared.drain()
    var address: UnsafePointer<Float>?
    do {
      let first = Tensor(shape: [256, 784], repeating: 1)
      address = first.withUnsafeBufferPointer { $0.baseAddress }
    }
    #expect(BufferPool.shared.heldBytes >= 256 * 784 * 4)
    let second = Tensor(shape: [784, 256], repeating: 2)
    #expect(second.withUnsafeBufferPointer { $0.baseAddress } == address)
    #expect(second.scalars.allSatisfy { $0 == 2 })
  }

  @Test func buffersAreSixtyFourByteAligned() {
    for count in [1, 17, 4096, 100_000] {
      let t = Tensor(shape: [count], repeating: 0)
      #expect(Int(bitPattern: t.withUnsafeBufferPointer { $0.baseAddress }) % 64 == 0)
    }
  }

  @Test func aThreadGetsBackABufferItReleasedItself() {
    BufferPool.shared.drain()
    let count = 5000, pool = BufferPool.shared
    // This thread releases a buffer, then another thread releases one of the same size: the
    // worker's is the most recent, which a plain last-in-first-out pool would hand out next.
    let mine = pool.allocate(count: count)
    let fromWorker = UnsafeSendable(pool.allocate(count: count))
    pool.release(mine, count: count)
    let worker = Thread { pool.release(fromWorker.value, count: count) }
    worker.start()
    while !worker.isFinished { usleep(100) }
    let again = pool.allocate(count: count)
    #expect(again == mine)
    let other = pool.allocate(count: count)
    #expect(other == fromWorker.value)  // none of this thread's left: any buffer will do
    pool.release(again, count: count)
    pool.release(other, count: count)
  }
}
