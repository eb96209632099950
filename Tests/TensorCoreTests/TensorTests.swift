import TensorCore
import TestSupport
import Testing

@Suite struct TensorTests {
  @Test func shapesCountsAndScalars() {
    let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    #expect(t.shape == [2, 3] && t.count == 6 && t.rank == 2)
    #expect(t.scalars == [1, 2, 3, 4, 5, 6])
    #expect(Tensor(3).shape == [] && Tensor(3).scalar == 3)
    #expect(Tensor([[1, 2], [3, 4]]) == Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
    #expect(Tensor.zeros(shape: [0, 4]).count == 0)
  }

  @Test func reshapeSharesStorageAndInfersOneDimension() {
    let t = Tensor(shape: [2, 6], repeating: 1)
    let r = t.reshaped(to: [3, -1])
    #expect(r.shape == [3, 4])
    #expect(r.sharesStorage(with: t))
  }

  @Test func mutationCopiesSharedStorageOnly() {
    let original = Tensor([1, 2, 3])
    var copy = original
    copy.withUnsafeMutableBufferPointer { $0[0] = 10 }
    #expect(original.scalars == [1, 2, 3])
    #expect(copy.scalars == [10, 2, 3])
    #expect(!copy.sharesStorage(with: original))
    var unique = Tensor([1, 2, 3])
    let before = unique.withUnsafeBufferPointer { $0.baseAddress }
    unique.withUnsafeMutableBufferPointer { $0[1] = 7 }
    #expect(unique.withUnsafeBufferPointer { $0.baseAddress } == before)  // no copy when unique
  }

  @Test func equalityIsBitwise() {
    #expect(Tensor([1, .nan]) != Tensor([1, .nan]))
    #expect(Tensor([1, 2]) != Tensor(shape: [2, 1], scalars: [1, 2]))
  }

  @Test func rowsCopiesASliceOfTheFirstDimension() {
    let batch = Tensor(shape: [4, 2, 3], scalars: (0..<24).map(Float.init))
    let middle = batch.rows(1..<3)
    #expect(middle.shape == [2, 2, 3])
    #expect(middle.scalars == (6..<18).map(Float.init))
    #expect(!middle.sharesStorage(with: batch))
    #expect(batch.rows(0..<4).sharesStorage(with: batch))  // the whole: no copy
    #expect(batch.rows(4..<4).shape == [0, 2, 3])
  }
}
