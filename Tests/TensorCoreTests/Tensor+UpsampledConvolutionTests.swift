@testable import TensorCore
import TestSupport
import Testing

@Suite struct TensorUpsampledConvolutionTests {
  /// Stored size, upsampling factor, channels, filters, kernel, padding: the Keras blog decoder's
  /// pairs (8 → 8 and 8 → 16 after 2×2, 16 → 1 with its one filter over channel vectors), one
  /// channel (its own forward tile), mixed and uneven factors, valid padding, a 5×5 kernel.
  static let configurations: [(size: (Int, Int), factor: (Int, Int), channels: Int, filters: Int, kernel: Int, padding: Padding)] = [
    ((4, 4), (2, 2), 8, 8, 3, .same), ((7, 7), (2, 2), 8, 16, 3, .same), ((7, 6), (2, 2), 16, 1, 3, .same),
    ((5, 4), (1, 2), 1, 8, 3, .same), ((3, 5), (2, 3), 8, 24, 3, .valid), ((4, 3), (3, 1), 16, 3, 5, .same),
  ]

  /// Fused, every pass gives the bits of upsampling and convolving apart, at every SIMD level the
  /// CPU runs, with and without the fused relu, and with the input's gradient or without it.
  @Test(arguments: 0..<configurations.count) func givesTheBitsOfUpsamplingThenConvolvingAtEverySIMDLevel(index: Int) throws {
    let c = Self.configurations[index]
    let (h, w) = (c.size.0 * c.factor.0, c.size.1 * c.factor.1)
    let g = try WindowGeometry(height: h, width: w, channels: c.channels, kernel: (c.kernel, c.kernel), stride: (1, 1), padding: c.padding)
    let x = randomTensor([3, c.size.0, c.size.1, c.channels], seed: 61), weight = randomTensor([c.kernel, c.kernel, c.channels, c.filters], seed: 62)
    let bias = randomTensor([c.filters], seed: 63), dy = randomTensor([3, g.outputHeight, g.outputWidth, c.filters], seed: 64)
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      SIMDLevel.withKernels(at: level) {
        Tensor.withConvolutionKernels(.direct) {
          let kernels = Tensor.convolutionKernels(geometry: g, filters: c.filters)
          #expect(kernels.forward == .direct && kernels.inputGradient == .direct && kernels.weightGradient == .direct)
          for rectified in [false, true] {
            let upsampled = x.upsampled2D(by: c.factor)
            let apart = upsampled.convolved2D(with: weight, bias: bias, geometry: g, rectified: rectified)
            let fused = x.upsampledConvolved2D(by: c.factor, with: weight, bias: bias, geometry: g, rectified: rectified)
            #expect(fused.shape == apart.shape && fused.scalars == apart.scalars, "\(level.name) relu \(rectified)")
            for forInput in [true, false] {
              let expected = Tensor.convolution2DGradients(input: upsampled, weight: weight, outputGradient: dy, geometry: g, forInput: forInput,
                                                           forWeight: true, forBias: true, rectifiedOutput: rectified ? apart : nil)
              let got = Tensor.upsampledConvolution2DGradients(input: x, factor: c.factor, weight: weight, outputGradient: dy, geometry: g,
                                                               forInput: forInput, forWeight: true, forBias: true,
                                                               rectifiedOutput: rectified ? fused : nil)
              let expectedInput = expected.input.map { Tensor.upsampling2DGradient($0, factor: c.factor) }
              #expect(got.input?.shape == expectedInput?.shape && got.input?.scalars == expectedInput?.scalars, "\(level.name) input")
              #expect(got.weight?.scalars == expected.weight?.scalars, "\(level.name) weight, relu \(rectified), input \(forInput)")
              #expect(got.bias?.scalars == expected.bias?.scalars, "\(level.name) bias, relu \(rectified), input \(forInput)")
            }
          }
        }
      }
    }
  }

  /// Where the direct kernels do not run (matrix products asked for), the two operations apart.
  @Test func fallsBackToTheTwoOperationsWithMatrixProducts() throws {
    let g = try WindowGeometry(height: 8, width: 8, channels: 8, kernel: (3, 3), stride: (1, 1), padding: .same)
    let x = randomTensor([2, 4, 4, 8], seed: 65), weight = randomTensor([3, 3, 8, 16], seed: 66), dy = randomTensor([2, 8, 8, 16], seed: 67)
    try Tensor.withConvolutionKernels(.products) {
      let fused = x.upsampledConvolved2D(by: (2, 2), with: weight, bias: nil, geometry: g)
      let direct = Tensor.withConvolutionKernels(.direct) { x.upsampledConvolved2D(by: (2, 2), with: weight, bias: nil, geometry: g) }
      expectClose(fused, direct, rtol: 1e-5, atol: 1e-5)
      let gradients = Tensor.upsampledConvolution2DGradients(input: x, factor: (2, 2), weight: weight, outputGradient: dy, geometry: g,
                                                             forInput: true, forWeight: true, forBias: false)
      let apart = Tensor.convolution2DGradients(input: x.upsampled2D(by: (2, 2)), weight: weight, outputGradient: dy, geometry: g,
                                                forInput: true, forWeight: true, forBias: false)
      #expect(gradients.input?.shape == [2, 4, 4, 8] && gradients.bias == nil)
      expectClose(try #require(gradients.input), Tensor.upsampling2DGradient(try #require(apart.input), factor: (2, 2)), rtol: 1e-6, atol: 1e-6)
      expectClose(try #require(gradients.weight), try #require(apart.weight), rtol: 1e-6, atol: 1e-6)
    }
  }

  /// One hand-checked value: a 1×1 image of 2 upsampled to 2×2, a 3×3 kernel of ones, same
  /// padding, gives 4 × 2 = 8 at every output (each window holds the four copies), plus the bias.
  @Test func aConstantImageByHand() throws {
    let g = try WindowGeometry(height: 2, width: 2, channels: 8, kernel: (3, 3), stride: (1, 1), padding: .same)
    let x = Tensor(shape: [1, 1, 1, 8], scalars: [Float](repeating: 0.25, count: 8))
    let weight = Tensor(shape: [3, 3, 8, 8], scalars: [Float](repeating: 1, count: 576))
    let y = Tensor.withConvolutionKernels(.direct) { x.upsampledConvolved2D(by: (2, 2), with: weight, bias: Tensor(shape: [8], scalars: [Float](repeating: 1, count: 8)), geometry: g) }
    #expect(y.shape == [1, 2, 2, 8] && y.scalars == [Float](repeating: 9, count: 32))
  }
}
