import TensorCore
import TestSupport
import Testing

@Suite struct TensorArithmeticTests {
  let matrix = Tensor([[1, 2, 3], [4, 5, 6]])

  @Test func sameShapeOperations() {
    #expect((matrix + matrix).scalars == [2, 4, 6, 8, 10, 12])
    #expect((matrix - matrix).scalars == [0, 0, 0, 0, 0, 0])
    #expect((matrix * matrix).scalars == [1, 4, 9, 16, 25, 36])
    #expect((matrix / matrix).scalars == [1, 1, 1, 1, 1, 1])
    #expect(matrix.maximum(Tensor([[3, 3, 3], [3, 3, 3]])).scalars == [3, 3, 3, 4, 5, 6])
  }

  @Test func biasRowAndScalarBroadcasting() {
    #expect((matrix + Tensor([10, 20, 30])).scalars == [11, 22, 33, 14, 25, 36])
    #expect((matrix * Tensor(2)).scalars == [2, 4, 6, 8, 10, 12])
    #expect((Tensor(12) / matrix).scalars == [12, 6, 4, 3, 2.4, 2])
    #expect((2 - matrix).scalars == [1, 0, -1, -2, -3, -4])
    #expect((matrix / 2).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
    #expect((-matrix).scalars == [-1, -2, -3, -4, -5, -6])
  }

  @Test func columnAndMiddleAxisBroadcasting() {
    // [2, 3] - [2, 1]: subtract each row's own value.
    #expect((matrix - Tensor(shape: [2, 1], scalars: [1, 4])).scalars == [0, 1, 2, 0, 1, 2])
    // [2, 1, 2] * [3, 1] -> [2, 3, 2]
    let a = Tensor(shape: [2, 1, 2], scalars: [1, 2, 3, 4])
    let b = Tensor(shape: [3, 1], scalars: [1, 10, 100])
    let c = a * b
    #expect(c.shape == [2, 3, 2])
    #expect(c.scalars == [1, 2, 10, 20, 100, 200, 3, 4, 30, 40, 300, 400])
    #expect(Tensor.broadcastShape([2, 3], [4]) == nil)
  }

  @Test func plusEqualsAccumulatesInPlace() {
    var a = Tensor([1, 2])
    a += Tensor([3, 4])
    #expect(a.scalars == [4, 6])
  }

  @Test func addSplitAcrossThreadsMatchesOneThread() {
    let b = Tensor(shape: [20_000], scalars: (0..<20_000).map { Float($0) * 0.25 })
    var split = Tensor(shape: [20_000], repeating: 1), whole = split
    Parallel.withThreads(2) { split.add(b, minimumPerThread: 4096) }
    Parallel.withThreads(1) { whole.add(b) }
    #expect(split == whole)
    #expect(split.scalars[19_999] == 1 + 19_999 * 0.25)
  }

  /// The parts' sum is the same bits as adding them one at a time, on one thread or split (a
  /// length that is no multiple of the kernel's 64-float blocks), and one part is itself.
  @Test func sumOfPartsIsAddingThemInOrder() {
    var generator = SplitMix64(seed: 9)
    let parts = (0..<4).map { _ in Tensor.randomUniform(shape: [10_037], in: -1..<1, using: &generator) }
    var sequential = parts[0]
    for part in parts.dropFirst() { sequential += part }
    #expect(Parallel.withThreads(1) { Tensor.sum(of: parts) } == sequential)
    #expect(Parallel.withThreads(2) { Tensor.sum(of: parts, minimumPerThread: 1024) } == sequential)
    #expect(Tensor.sum(of: [parts[1]]) == parts[1])
    #expect(Tensor.sum(of: [Tensor([1, 2]), Tensor([10, 20]), Tensor([100, 200])]).scalars == [111, 222])
  }
}

