import Autodiff
@testable import NN
import TensorCore
import TestSupport
import Testing

/// y[n, o, f] = b[f] + Σ over (k, c) of x[n, o·s + k − pad, c] · w[k, c, f], zero outside the
/// sequence; `pad` is Keras's: half (rounded down) of what `same` needs, none for `valid`.
func referenceConvolution1D(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride s: Int, padding: Padding) -> Tensor {
  let (n, length, c) = (x.shape[0], x.shape[1], x.shape[2]), (k, f) = (w.shape[0], w.shape[2])
  let output = padding == .same ? (length + s - 1) / s : (length - k) / s + 1
  let pad = padding == .same ? max((output - 1) * s + k - length, 0) / 2 : 0
  var y = [Float](repeating: 0, count: n * output * f)
  for i in 0..<n {
    for o in 0..<output {
      for filter in 0..<f {
        var sum = b?.scalars[filter] ?? 0
        for tap in 0..<k {
          let step = o * s + tap - pad
          guard (0..<length).contains(step) else { continue }
          for channel in 0..<c { sum += x.scalars[(i * length + step) * c + channel] * w.scalars[(tap * c + channel) * f + filter] }
        }
        y[(i * output + o) * f + filter] = sum
      }
    }
  }
  return Tensor(shape: [n, output, f], scalars: y)
}

@Suite struct Conv1DTests {
  @Test func forwardIsHandComputed() throws {
    // A sequence 1, 2, 3, 4 of one channel; taps (1, −1) take each step minus the next; bias 0.5; valid.
    let g = try WindowGeometry(height: 1, width: 4, channels: 1, kernel: (1, 2), stride: (1, 1), padding: .valid)
    let layer = Conv1D(weight: Tensor(shape: [2, 1, 1], scalars: [1, -1]), bias: Tensor([0.5]), geometry: g)
    #expect(layer(Variable(Tensor(shape: [1, 4, 1], scalars: [1, 2, 4, 8]))).value.scalars == [-0.5, -1.5, -3.5])
  }

  /// Keras's conv1d layers from the keras-io time-series example (kernel 7, stride 2, same) and
  /// smaller ones, valid and same, each against the definition: through the direct kernels and
  /// through matrix products.
  @Test(arguments: [(12, 1, 8, 7, 2, Padding.same), (9, 8, 16, 3, 1, .same), (10, 3, 4, 4, 3, .valid), (6, 16, 1, 3, 2, .same)])
  func forwardMatchesTheDefinition(length: Int, channels: Int, filters: Int, kernel: Int, stride: Int, padding: Padding) throws {
    var generator = SplitMix64(seed: 3)
    let spec = LayerSpec.conv1D(filters: filters, kernelSize: kernel, stride: stride, padding: padding, activation: .identity)
    let layer = try #require(try spec.makeLayer(inputShape: [length, channels], using: &generator) as? Conv1D)
    let x = randomTensor([2, length, channels], seed: 4), bias = randomTensor([filters], seed: 5)
    let withBias = Conv1D(weight: layer.weight.value, bias: bias, geometry: layer.geometry)
    let expected = referenceConvolution1D(x, layer.weight.value, bias, stride: stride, padding: padding)
    #expect(try spec.outputShape(for: [length, channels]) == Array(expected.shape.dropFirst()))
    for preference in [ConvolutionPreference.byShape, .products] {
      Tensor.withConvolutionKernels(preference) { expectClose(withBias(Variable(x)).value, expected, rtol: 1e-5, atol: 1e-5) }
    }
  }

  @Test(arguments: [Activation.identity, .relu, .tanh])
  func gradientsThroughTheLayerMatchFiniteDifferences(activation: Activation) throws {
    let g = try WindowGeometry(height: 1, width: 7, channels: 2, kernel: (1, 3), stride: (1, 2), padding: .same)
    let layer = Conv1D(weight: randomTensor([3, 2, 8], seed: 6), bias: randomTensor([8], seed: 7), activation: activation, geometry: g)
    expectLayerGradientsMatchFiniteDifferences(layer, input: randomTensor([2, 7, 2], seed: 8), step: 1e-3)
  }

  @Test func freshLayersFollowKerasLayoutAndInitialization() throws {
    var generator = SplitMix64(seed: 9)
    let spec = try LayerSpec.parsing("conv1d 32 7 stride 2 relu")
    #expect(spec == .conv1D(filters: 32, kernelSize: 7, stride: 2, activation: .relu))
    #expect(spec.parameterShapes(inputShape: [288, 1]).map(\.shape) == [[7, 1, 32], [32]])
    #expect(try spec.outputShape(for: [288, 1]) == [144, 32])
    let layer = try #require(try spec.makeLayer(inputShape: [288, 1], using: &generator) as? Conv1D)
    let limit = (6 / Float(7 * 1 + 7 * 32)).squareRoot(), weights = layer.weight.value.scalars
    #expect(weights.allSatisfy { abs($0) <= limit } && weights.max()! > 0.9 * limit)
    #expect(throws: LayerMisfit.self) { try spec.outputShape(for: [28, 28, 1]) }
    #expect(spec.description == "Conv1D(32, 7, stride 2, same, relu)" && spec.shortDescription == "conv1d 32 7 /2 relu")
  }
}
