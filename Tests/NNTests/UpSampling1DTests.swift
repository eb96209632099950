import Autodiff
@testable import NN
import TensorCore
import TestSupport
import Testing

@Suite struct UpSampling1DTests {
  @Test func repeatsStepsAndSumsGradients() throws {
    let spec = try LayerSpec.parsing("up1d 3")
    #expect(try spec.outputShape(for: [2, 2]) == [6, 2])
    let layer = UpSampling1D(factor: 3)
    let x = Variable(Tensor(shape: [1, 2, 2], scalars: [1, -1, 2, -2]), requiresGradient: true)
    let y = layer(x)
    #expect(y.value.shape == [1, 6, 2] && y.value.scalars == [1, -1, 1, -1, 1, -1, 2, -2, 2, -2, 2, -2])
    (y * Variable(Tensor(shape: [1, 6, 2], scalars: (1...12).map(Float.init)))).sum().backward()
    let sums: [Float] = [1 + 3 + 5, 2 + 4 + 6, 7 + 9 + 11, 8 + 10 + 12]
    #expect(x.gradient!.scalars == sums)
  }
}
