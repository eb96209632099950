import Autodiff
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct DenseTests {
  @Test func forwardIsHandComputed() {
    // [0, 1, 2] · [[0, 1], [2, 3], [4, 5]] + [1, 2] = [10 + 1, 13 + 2]
    let layer = Dense(weight: Tensor(shape: [3, 2], scalars: (0..<6).map(Float.init)), bias: Tensor([1, 2]))
    #expect(layer(Variable(Tensor([[0, 1, 2]]))).value == Tensor([[11, 15]]))
    let relu = Dense(weight: Tensor([[1, -1]]), bias: nil, activation: .relu)
    #expect(relu(Variable(Tensor([[2]]))).value == Tensor([[2, 0]]))
  }

  @Test func freshLayersFollowKerasInitialization() {
    var generator = SplitMix64(seed: 3)
    let layer = Dense(inputSize: 784, outputSize: 64, activation: .relu, using: &generator)
    let limit = (6 / Float(784 + 64)).squareRoot()
    let weights = layer.weight.value.scalars
    #expect(weights.allSatisfy { abs($0) <= limit })
    #expect(weights.max()! > 0.95 * limit && weights.min()! < -0.95 * limit)
    #expect(layer.bias!.value.scalars.allSatisfy { $0 == 0 })
    #expect(layer.parameterCount == 784 * 64 + 64)
    #expect(layer.description == "Dense(784 => 64, relu)")
  }

  @Test(arguments: [Activation.identity, .relu, .sigmoid, .tanh, .leakyRelu(slope: 0.2)])
  func gradientsThroughTheLayerMatchFiniteDifferences(activation: Activation) {
    let layer = Dense(weight: randomTensor([3, 2], seed: 6), bias: randomTensor([2], seed: 7), activation: activation)
    expectLayerGradientsMatchFiniteDifferences(layer, input: randomTensor([4, 3], seed: 5), step: 1e-3)
  }

  @Test func parametersAreNamedWeightAndBias() {
    var generator = SplitMix64(seed: 3)
    #expect(Dense(inputSize: 2, outputSize: 3, using: &generator).namedParameters.map(\.name) == ["weight", "bias"])
    #expect(Dense(inputSize: 2, outputSize: 3, useBias: false, using: &generator).namedParameters.map(\.name) == ["weight"])
  }
}

@Suite struct DenseOnSequencesTests {
  /// On sequences `[n, steps, features]` the layer applies at every step (Keras's Dense on a 3-D
  /// input): each step's output is the layer of that step alone.
  @Test func appliesAtEveryStep() throws {
    let layer = Dense(weight: randomTensor([3, 2], seed: 11), bias: randomTensor([2], seed: 12), activation: .tanh)
    let x = randomTensor([2, 4, 3], seed: 13)
    let y = layer(Variable(x)).value
    #expect(y.shape == [2, 4, 2])
    let stepwise = layer(Variable(x.reshaped(to: [8, 3]))).value
    #expect(y.scalars == stepwise.scalars)
    #expect(try Dense.Kind(units: 2, activation: .tanh).outputShape(for: [4, 3]) == [4, 2])
    #expect(Dense.Kind(units: 2, activation: .tanh).parameterShapes(inputShape: [4, 3]).map(\.shape) == [[3, 2], [2]])
    expectLayerGradientsMatchFiniteDifferences(layer, input: x)
  }
}
