import TensorCore
import TestSupport
import Testing

@Suite struct TensorMatMulTests {
  @Test func handComputedProduct() {
    let a = Tensor([[1, 2, 3], [4, 5, 6]])
    let b = Tensor([[7, 8], [9, 10], [11, 12]])
    #expect(Tensor.matmul(a, b) == Tensor([[58, 64], [139, 154]]))
    #expect(Tensor.matmul(b, a, transposeA: true, transposeB: true) == Tensor([[58, 139], [64, 154]]))
  }

  @Test func accumulatingIntoAddsToWhatIsThere() {
    let a = Tensor([[1, 2]]), b = Tensor([[3], [4]])
    var c = Tensor([[100]])
    Tensor.matmul(a, b, accumulatingInto: &c, beta: 1)
    #expect(c == Tensor([[111]]))
    var empty = Tensor([[5]])
    Tensor.matmul(Tensor.zeros(shape: [1, 0]), Tensor.zeros(shape: [0, 1]), accumulatingInto: &empty, beta: 0.5)
    #expect(empty == Tensor([[2.5]]))
  }

  @Test func transposeCopies() {
    let a = Tensor(shape: [40, 33], scalars: (0..<1320).map(Float.init))
    let t = a.transposed()
    #expect(t.shape == [33, 40])
    #expect(t.scalars[1] == 33 && t.scalars[40] == 1)
    #expect(t.transposed() == a)
  }

  /// Every cell in its place, at every SIMD level: shapes of whole 8×8 blocks, with rows or
  /// columns past them, and narrower than a block.
  @Test func transposeMovesEveryCellAtEverySIMDLevel() {
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      for (rows, cols) in [(8, 8), (64, 32), (32, 96), (19, 13), (8, 21), (21, 8), (3, 5), (1, 9), (16, 1)] {
        let a = Tensor(shape: [rows, cols], scalars: (0..<(rows * cols)).map { Float($0) * 0.5 - 7 })
        let t = SIMDLevel.withKernels(at: level) { a.transposed() }
        #expect(t.shape == [cols, rows])
        #expect((0..<rows).allSatisfy { r in (0..<cols).allSatisfy { c in t.scalars[c * rows + r] == a.scalars[r * cols + c] } },
                "\(level.name): \(rows)×\(cols)")
      }
    }
  }
}
