import Autodiff
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct Conv2DTests {
  @Test func forwardIsHandComputed() throws {
    // A 3×3 image, a 2×2 kernel summing the diagonal, bias 1, relu; valid padding.
    let geometry = try WindowGeometry(height: 3, width: 3, channels: 1, kernel: (2, 2), stride: (1, 1), padding: .valid)
    let layer = Conv2D(weight: Tensor(shape: [2, 2, 1, 1], scalars: [1, 0, 0, -1]), bias: Tensor([1]), activation: .relu, geometry: geometry)
    let image = Tensor(shape: [1, 3, 3, 1], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 10])
    // 1 - 5 + 1 = -3 → 0; 2 - 6 + 1 = -3 → 0; 4 - 8 + 1 = -3 → 0; 5 - 10 + 1 = -4 → 0; flip the sign to see values.
    #expect(layer(Variable(image)).value.scalars == [0, 0, 0, 0])
    #expect(layer(Variable(image * -1)).value.scalars == [5, 5, 5, 6])
  }

  @Test func freshLayersFollowKerasInitialization() throws {
    var generator = SplitMix64(seed: 4)
    let geometry = try WindowGeometry(height: 28, width: 28, channels: 16, kernel: (3, 3), stride: (1, 1), padding: .same)
    let layer = Conv2D(filters: 8, geometry: geometry, activation: .relu, using: &generator)
    let limit = (6 / Float(9 * 16 + 9 * 8)).squareRoot()
    let weights = layer.weight.value.scalars
    #expect(layer.weight.value.shape == [3, 3, 16, 8])
    #expect(weights.allSatisfy { abs($0) <= limit } && weights.max()! > 0.95 * limit)
    #expect(layer.bias!.value.scalars == Array(repeating: 0, count: 8))
    #expect(layer.parameterCount == 1160)
    #expect(layer.description == "Conv2D(16 => 8, 3×3, stride 1, relu)")
  }

  @Test(arguments: [Activation.identity, .relu, .tanh])
  func gradientsThroughTheLayerMatchFiniteDifferences(activation: Activation) throws {
    // relu runs fused into the convolution (applied block by block, its mask on the gradient).
    let geometry = try WindowGeometry(height: 5, width: 4, channels: 2, kernel: (3, 3), stride: (2, 2), padding: .same)
    let layer = Conv2D(weight: randomTensor([3, 3, 2, 3], seed: 9), bias: randomTensor([3], seed: 10), activation: activation, geometry: geometry)
    expectLayerGradientsMatchFiniteDifferences(layer, input: randomTensor([2, 5, 4, 2], seed: 8), step: 1e-3)
  }
}
