import Autodiff
import NN
import TensorCore
import Testing

@Suite struct ReshapeTests {
  @Test func keepsValuesInOrderAndPassesGradientsBack() {
    let layer = Reshape(to: [2, 3, 1])
    let x = Variable(Tensor(shape: [2, 6], scalars: (0..<12).map(Float.init)), requiresGradient: true)
    let y = layer(x)
    #expect(y.value.shape == [2, 2, 3, 1] && y.value.scalars == x.value.scalars)
    (y * Tensor(shape: [2, 2, 3, 1], scalars: (0..<12).map(Float.init))).sum().backward()
    #expect(x.gradient!.shape == [2, 6] && x.gradient!.scalars == (0..<12).map(Float.init))
    #expect(layer.description == "Reshape(2×3×1)")
  }
}
