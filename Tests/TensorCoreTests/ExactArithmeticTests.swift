import Foundation
import TensorCore
import Testing

/// The Swift face of the exact kernels (their arithmetic is tested in CKernelsTests/ExactTests).
@Suite struct ExactArithmeticTests {
  @Test func wrapsTheKernels() {
    var values: [Float] = [-2, 0, 3]
    ExactArithmetic.activate(.sigmoid, count: 3, &values)
    #expect(values == [ExactArithmetic.sigmoid(-2), 0.5, ExactArithmetic.sigmoid(3)])
    ExactArithmetic.activate(.relu, count: 3, &values)
    #expect(values[1] == 0.5)
    var y: [Float] = [0, 0]
    ExactArithmetic.affine(rows: 1, inputs: 2, outputs: 2, x: [1, 2], xStride: 2, weight: [1, 2, 3, 4], bias: [0.5, -0.5], y: &y, yStride: 2)
    let expected: [Float] = [7.5, 9.5]
    #expect(y == expected)
    var frequencies = [UInt32](repeating: 0, count: 4)
    let finite = ExactArithmetic.frequencies(logits: [0, 0, 0, 0], count: 4, total: 1 << 16, into: &frequencies)
    #expect(finite && frequencies == [UInt32](repeating: 16384, count: 4))
    #expect(!ExactArithmetic.frequencies(logits: [0, .nan, 0, 0], count: 4, total: 1 << 16, into: &frequencies))
  }
}
