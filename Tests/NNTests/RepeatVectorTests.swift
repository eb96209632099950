import Autodiff
@testable import NN
import TensorCore
import TestSupport
import Testing

@Suite struct RepeatVectorTests {
  @Test func repeatsEachExampleOverTheStepsAndSumsItsGradient() throws {
    let spec = try LayerSpec.parsing("repeat 3")
    #expect(try spec.outputShape(for: [2]) == [3, 2])
    #expect(throws: LayerMisfit.self) { try spec.outputShape(for: [4, 2]) }
    let x = Variable(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), requiresGradient: true)
    let y = RepeatVector(steps: 3)(x)
    #expect(y.value.shape == [2, 3, 2] && y.value.scalars == [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4])
    (y * Variable(Tensor(shape: [2, 3, 2], scalars: (1...12).map(Float.init)))).sum().backward()
    let sums: [Float] = [1 + 3 + 5, 2 + 4 + 6, 7 + 9 + 11, 8 + 10 + 12]
    #expect(x.gradient!.scalars == sums)
  }
}
