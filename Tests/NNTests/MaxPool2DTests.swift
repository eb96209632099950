import Autodiff
import NN
import TensorCore
import Testing

@Suite struct MaxPool2DTests {
  @Test func poolsEachChannelAndSendsGradientsToTheWinners() throws {
    let geometry = try WindowGeometry(height: 2, width: 4, channels: 2, kernel: (2, 2), stride: (2, 2), padding: .valid)
    let layer = MaxPool2D(geometry: geometry)
    // Channel 0 counts up, channel 1 counts down: winners at opposite corners.
    let x = Variable(Tensor(shape: [1, 2, 4, 2], scalars: [0, 8, 1, 7, 2, 6, 3, 5, 4, 4, 5, 3, 6, 2, 7, 1]), requiresGradient: true)
    let y = layer(x)
    #expect(y.value.shape == [1, 1, 2, 2] && y.value.scalars == [5, 8, 7, 6])
    y.sum().backward()
    #expect(x.gradient!.scalars == [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0])
    #expect(layer.parameterCount == 0 && layer.description == "MaxPool2D(2×2, stride 2)")
  }
}
