import Autodiff
import NN
import TensorCore
import Testing

@Suite struct UpSampling2DTests {
  @Test func repeatsCellsAndSumsGradients() {
    let layer = UpSampling2D(factor: (2, 2))
    let x = Variable(Tensor(shape: [1, 1, 2, 2], scalars: [1, -1, 2, -2]), requiresGradient: true)
    let y = layer(x)
    #expect(y.value.shape == [1, 2, 4, 2])
    #expect(y.value.scalars == [1, -1, 1, -1, 2, -2, 2, -2, 1, -1, 1, -1, 2, -2, 2, -2])
    y.sum().backward()
    #expect(x.gradient!.scalars == [4, 4, 4, 4])
  }
}
