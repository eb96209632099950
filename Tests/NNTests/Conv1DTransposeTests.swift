import Autodiff
@testable import NN
import TensorCore
import TestSupport
import Testing

/// The transpose of `referenceConvolution1D`: each input step spreads its window, y[n, i·s + k −
/// pad, f] += x[n, i, c] · w[k, f, c], over an output of length·s (same) or length·s + max(k − s,
/// 0) (valid), `pad` Keras's.
func referenceTransposedConvolution1D(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride s: Int, padding: Padding) -> Tensor {
  let (n, length, c) = (x.shape[0], x.shape[1], x.shape[2]), (k, f) = (w.shape[0], w.shape[1])
  let output = padding == .same ? length * s : length * s + max(k - s, 0), pad = padding == .same ? max(k - s, 0) / 2 : 0
  var y = [Float](repeating: 0, count: n * output * f)
  for i in 0..<n {
    for o in 0..<output { for filter in 0..<f { y[(i * output + o) * f + filter] = b?.scalars[filter] ?? 0 } }
    for step in 0..<length {
      for tap in 0..<k {
        let o = step * s + tap - pad
        guard (0..<output).contains(o) else { continue }
        for filter in 0..<f {
          for channel in 0..<c { y[(i * output + o) * f + filter] += x.scalars[(i * length + step) * c + channel] * w.scalars[(tap * f + filter) * c + channel] }
        }
      }
    }
  }
  return Tensor(shape: [n, output, f], scalars: y)
}

@Suite struct Conv1DTransposeTests {
  @Test func forwardIsHandComputed() throws {
    // Steps 1, 2 each spread over taps (1, 10) with stride 2: 1, 10, 2, 20; plus bias 1.
    let g = try WindowGeometry.transposed(height: 1, width: 2, channels: 1, kernel: (1, 2), stride: (1, 2), padding: .same)
    let layer = Conv1DTranspose(weight: Tensor(shape: [2, 1, 1], scalars: [1, 10]), bias: Tensor([1]), geometry: g)
    #expect(layer(Variable(Tensor(shape: [1, 2, 1], scalars: [1, 2]))).value.scalars == [2, 11, 3, 21])
  }

  /// keras-io's decoder layers (kernel 7, stride 2, same, 16 and 32 filters, then 1) and a valid one.
  @Test(arguments: [(9, 16, 32, 7, 2, Padding.same), (12, 32, 1, 7, 1, .same), (5, 3, 8, 4, 3, .valid)])
  func forwardMatchesTheDefinition(length: Int, channels: Int, filters: Int, kernel: Int, stride: Int, padding: Padding) throws {
    var generator = SplitMix64(seed: 13)
    let spec = LayerSpec.conv1DTranspose(filters: filters, kernelSize: kernel, stride: stride, padding: padding, activation: .identity)
    let layer = try #require(try spec.makeLayer(inputShape: [length, channels], using: &generator) as? Conv1DTranspose)
    #expect(layer.weight.value.shape == [kernel, filters, channels])
    let x = randomTensor([2, length, channels], seed: 14), bias = randomTensor([filters], seed: 15)
    let withBias = Conv1DTranspose(weight: layer.weight.value, bias: bias, geometry: layer.geometry)
    let expected = referenceTransposedConvolution1D(x, layer.weight.value, bias, stride: stride, padding: padding)
    #expect(try spec.outputShape(for: [length, channels]) == Array(expected.shape.dropFirst()))
    for preference in [ConvolutionPreference.byShape, .products] {
      Tensor.withConvolutionKernels(preference) { expectClose(withBias(Variable(x)).value, expected, rtol: 1e-5, atol: 1e-5) }
    }
  }

  @Test(arguments: [Activation.identity, .relu])
  func gradientsThroughTheLayerMatchFiniteDifferences(activation: Activation) throws {
    let g = try WindowGeometry.transposed(height: 1, width: 4, channels: 8, kernel: (1, 3), stride: (1, 2), padding: .same)
    let layer = Conv1DTranspose(weight: randomTensor([3, 8, 2], seed: 16), bias: randomTensor([8], seed: 17), activation: activation, geometry: g)
    expectLayerGradientsMatchFiniteDifferences(layer, input: randomTensor([2, 4, 2], seed: 18), step: 1e-3)
  }

  @Test func specReadsAndDescribesIt() throws {
    let spec = try LayerSpec.parsing("convt1d 16 7 stride 2 relu")
    #expect(spec == .conv1DTranspose(filters: 16, kernelSize: 7, stride: 2, activation: .relu))
    #expect(try spec.outputShape(for: [72, 16]) == [144, 16] && spec.shortDescription == "convt1d 16 7 ×2 relu")
  }
}
