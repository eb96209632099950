import Autodiff
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct SequentialTests {
  @Test func appliesItsLayersInOrderAndNamesParametersByIndex() {
    let first = Dense(weight: Tensor(shape: [2, 1], scalars: [1, 2]), bias: Tensor([1]), activation: .identity)
    let second = Dense(weight: Tensor(shape: [1, 1], scalars: [-3]), bias: nil, activation: .relu)
    let model = Sequential([first, second])
    // x = [1, -1]: 1 - 2 + 1 = 0, then relu(-3 · 0) = 0; x = [-1, -1]: -1 - 2 + 1 = -2, relu(6) = 6.
    #expect(model.inferring(from: Tensor(shape: [2, 2], scalars: [1, -1, -1, -1])).scalars == [0, 6])
    #expect(model.namedParameters.map(\.name) == ["0.weight", "0.bias", "1.weight"])
  }

  /// An upsampling and the convolution after it run as one operation: the values of the two
  /// layers applied one after the other, forward and backward (the Keras blog decoder's pair,
  /// relu, and a sigmoid last layer after a second upsampling, large enough to be split into
  /// output phases, whose sums round differently).
  @Test func runsAnUpsamplingAndTheConvolutionAfterItAsOne() throws {
    var generator = SplitMix64(seed: 5)
    let g1 = try WindowGeometry(height: 8, width: 8, channels: 8, kernel: (3, 3), stride: (1, 1), padding: .same)
    let g2 = try WindowGeometry(height: 16, width: 16, channels: 16, kernel: (3, 3), stride: (1, 1), padding: .same)
    let layers: [any Layer] = [UpSampling2D(factor: (2, 2)), Conv2D(filters: 16, geometry: g1, activation: .relu, using: &generator),
                               UpSampling2D(factor: (2, 2)), Conv2D(filters: 1, geometry: g2, activation: .sigmoid, using: &generator)]
    let model = Sequential(layers)
    let input = randomTensor([3, 4, 4, 8], seed: 6)
    func run(_ apply: (Variable) -> Variable) -> [Tensor] {
      let x = Variable(input, requiresGradient: true)
      let y = apply(x)
      (y * y).sum().backward()
      return [y.value, x.gradient!] + model.namedParameters.map { $0.parameter.gradient! }
    }
    let fused = run { model($0) }
    for (_, parameter) in model.namedParameters { parameter.clearGradient() }
    let apart = run { layers.reduce($0) { $1($0) } }
    #expect(fused.count == 6)
    for (a, b) in zip(fused, apart) { expectClose(a, b, rtol: 1e-5, atol: 1e-6) }
  }
}
