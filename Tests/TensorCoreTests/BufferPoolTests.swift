import TensorCore
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
}
