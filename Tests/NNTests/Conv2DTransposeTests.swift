import Autodiff
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct Conv2DTransposeTests {
  @Test func forwardIsHandComputed() throws {
    // Each of the 2×2 input cells spreads the 2×2 kernel [[1, 2], [3, 4]] onto its own 2×2 block; bias 0.5.
    let geometry = try WindowGeometry.transposed(height: 2, width: 2, channels: 1, kernel: (2, 2), stride: (2, 2), padding: .same)
    let layer = Conv2DTranspose(weight: Tensor(shape: [2, 2, 1, 1], scalars: [1, 2, 3, 4]), bias: Tensor([0.5]), geometry: geometry)
    let output = layer(Variable(Tensor(shape: [1, 2, 2, 1], scalars: [1, 10, 100, 0]))).value
    #expect(output.shape == [1, 4, 4, 1])
    #expect(output.scalars == [1, 2, 10, 20, 3, 4, 30, 40, 100, 200, 0, 0, 300, 400, 0, 0].map { $0 + 0.5 })
  }

  @Test func freshLayersHaveKerasShapesAndCounts() throws {
    var generator = SplitMix64(seed: 5)
    let geometry = try WindowGeometry.transposed(height: 7, width: 7, channels: 32, kernel: (3, 3), stride: (2, 2), padding: .same)
    let layer = Conv2DTranspose(channels: 32, geometry: geometry, activation: .relu, using: &generator)
    #expect(layer.weight.value.shape == [3, 3, 32, 32])
    #expect(layer.parameterCount == 9248)  // Keras's summary for keras-io's Conv2DTranspose(32, 3)
    let limit = (6 / Float(9 * 32 + 9 * 32)).squareRoot()
    #expect(layer.weight.value.scalars.allSatisfy { abs($0) <= limit })
    #expect(layer(Variable(Tensor.zeros(shape: [2, 7, 7, 32]))).value.shape == [2, 14, 14, 32])
  }

  @Test(arguments: [Activation.identity, .relu, .sigmoid])
  func gradientsThroughTheLayerMatchFiniteDifferences(activation: Activation) throws {
    let geometry = try WindowGeometry.transposed(height: 3, width: 2, channels: 2, kernel: (3, 3), stride: (2, 2), padding: .valid)
    let layer = Conv2DTranspose(weight: randomTensor([3, 3, 2, 3], seed: 12), bias: randomTensor([2], seed: 13), activation: activation,
                                geometry: geometry)
    expectLayerGradientsMatchFiniteDifferences(layer, input: randomTensor([2, 3, 2, 3], seed: 11), step: 1e-3)
  }
}
