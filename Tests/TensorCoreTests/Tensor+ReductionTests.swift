import TensorCore
import TestSupport
import Testing

@Suite struct TensorReductionTests {
  let cube = Tensor(shape: [2, 3, 2], scalars: (1...12).map(Float.init))

  @Test func totals() {
    #expect(cube.sum() == 78)
    #expect(cube.mean() == 6.5)
    #expect(Tensor([3, 4]).sumOfSquares() == 25)
  }

  @Test func sumAlongEachAxisKeepsTheAxis() {
    #expect(cube.sum(alongAxis: 0) == Tensor(shape: [1, 3, 2], scalars: [8, 10, 12, 14, 16, 18]))
    #expect(cube.sum(alongAxis: 1) == Tensor(shape: [2, 1, 2], scalars: [9, 12, 27, 30]))
    #expect(cube.sum(alongAxis: 2) == Tensor(shape: [2, 3, 1], scalars: [3, 7, 11, 15, 19, 23]))
  }

  @Test func summedToShapeUndoesBroadcasting() {
    #expect(cube.summed(toShape: [2]) == Tensor([36, 42]))
    #expect(cube.summed(toShape: [3, 1]) == Tensor(shape: [3, 1], scalars: [3 + 15, 7 + 19, 11 + 23]))
    #expect(cube.summed(toShape: []) == Tensor(78))
    #expect(cube.summed(toShape: [2, 3, 2]) == cube)
  }
}
