import Autodiff
import TensorCore
import TestSupport
import Testing

@Suite struct VariableConvolutionTests {
  static let configurations: [(size: Int, channels: Int, kernel: Int, stride: Int, padding: Padding)] = [
    (5, 2, 3, 1, .same), (5, 2, 3, 1, .valid), (6, 2, 3, 2, .same), (7, 1, 3, 2, .valid), (4, 3, 1, 1, .valid), (5, 1, 2, 2, .same),
    (5, 6, 3, 2, .same), (4, 5, 3, 1, .valid),
  ]

  @Test(arguments: 0..<configurations.count) func convolutionGradients(index: Int) throws {
    let c = Self.configurations[index]
    let g = try WindowGeometry(height: c.size, width: c.size, channels: c.channels, kernel: (c.kernel, c.kernel),
                               stride: (c.stride, c.stride), padding: c.padding)
    let x = randomTensor([2, c.size, c.size, c.channels], seed: 21), w = randomTensor([c.kernel, c.kernel, c.channels, 3], seed: 22)
    let b = randomTensor([3], seed: 23)
    expectGradientsMatchFiniteDifferences(at: [x, w, b]) { $0[0].convolved2D(with: $0[1], bias: $0[2], geometry: g) }
    expectGradientsMatchFiniteDifferences(at: [x, w]) { $0[0].convolved2D(with: $0[1], bias: nil, geometry: g) }
  }

  @Test(arguments: 0..<configurations.count) func transposedConvolutionGradients(index: Int) throws {
    let c = Self.configurations[index]
    let g = try WindowGeometry.transposed(height: c.size, width: c.size, channels: 3, kernel: (c.kernel, c.kernel),
                                          stride: (c.stride, c.stride), padding: c.padding)
    let x = randomTensor([2, c.size, c.size, c.channels], seed: 24), w = randomTensor([c.kernel, c.kernel, 3, c.channels], seed: 25)
    let b = randomTensor([3], seed: 26)
    expectGradientsMatchFiniteDifferences(at: [x, w, b]) { $0[0].transposedConvolved2D(with: $0[1], bias: $0[2], geometry: g) }
    expectGradientsMatchFiniteDifferences(at: [x, w]) { $0[0].transposedConvolved2D(with: $0[1], bias: nil, geometry: g) }
  }

  /// The direct kernels' paths (8 or 16 filters, or channels in vectors of 8; stride 1 and 2)
  /// against finite differences at every SIMD level the CPU runs; with a fused relu (whose kink
  /// finite differences cannot cross) against relu after the convolution, values and gradients.
  @Test(arguments: [(1, 16, 1, Padding.same), (2, 8, 2, .valid), (8, 3, 1, .valid), (8, 1, 2, .same)])
  func directConvolutionGradientsAtEverySIMDLevel(channels: Int, filters: Int, stride: Int, padding: Padding) throws {
    let g = try WindowGeometry(height: 5, width: 6, channels: channels, kernel: (3, 3), stride: (stride, stride), padding: padding)
    let t = try WindowGeometry.transposed(height: 4, width: 3, channels: channels, kernel: (3, 3), stride: (stride, stride), padding: padding)
    let x = randomTensor([2, 5, 6, channels], seed: 50), w = randomTensor([3, 3, channels, filters], seed: 51)
    let xt = randomTensor([2, 4, 3, filters], seed: 52), b = randomTensor([filters], seed: 53), bt = randomTensor([channels], seed: 54)
    #expect(Tensor.withConvolutionKernels(.direct) { Tensor.convolutionKernels(geometry: g, filters: filters).weightGradient } == .direct)
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      SIMDLevel.withKernels(at: level) {
        Tensor.withConvolutionKernels(.direct) {
          expectGradientsMatchFiniteDifferences(at: [x, w, b]) { $0[0].convolved2D(with: $0[1], bias: $0[2], geometry: g) }
          expectGradientsMatchFiniteDifferences(at: [xt, w, bt]) { $0[0].transposedConvolved2D(with: $0[1], bias: $0[2], geometry: t) }
          let fused = gradients(of: { $0[0].convolved2D(with: $0[1], bias: $0[2], geometry: g, rectified: true) }, at: [x, w, b]).analytic
          let composed = gradients(of: { $0[0].convolved2D(with: $0[1], bias: $0[2], geometry: g).relu() }, at: [x, w, b]).analytic
          let fusedTransposed = gradients(of: { $0[0].transposedConvolved2D(with: $0[1], bias: $0[2], geometry: t, rectified: true) },
                                          at: [xt, w, bt]).analytic
          let composedTransposed = gradients(of: { $0[0].transposedConvolved2D(with: $0[1], bias: $0[2], geometry: t).relu() },
                                             at: [xt, w, bt]).analytic
          for (a, b) in zip(fused + fusedTransposed, composed + composedTransposed) { expectClose(a, b, rtol: 1e-5, atol: 1e-5, "\(level.name)") }
        }
      }
    }
  }

  /// `layer(inputs, rectified)` under the kernels chosen by shape: against finite differences at
  /// `inputs`, and its fused relu against relu after it, at every SIMD level the CPU runs.
  func expectGradientsAndFusedReluAtEverySIMDLevel(at inputs: [Tensor], sourceLocation: SourceLocation = #_sourceLocation,
                                                   _ layer: ([Variable], Bool) -> Variable) {
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      SIMDLevel.withKernels(at: level) {
        Tensor.withConvolutionKernels(.byShape) {
          expectGradientsMatchFiniteDifferences(at: inputs, sourceLocation: sourceLocation) { layer($0, false) }
          let fused = gradients(of: { layer($0, true) }, at: inputs), composed = gradients(of: { layer($0, false).relu() }, at: inputs)
          #expect(fused.analytic.count == inputs.count, sourceLocation: sourceLocation)
          for (a, c) in zip(fused.analytic, composed.analytic) {
            expectClose(a, c, rtol: 1e-5, atol: 1e-5, "\(level.name)", sourceLocation: sourceLocation)
          }
        }
      }
    }
  }

  /// Winograd's F(2×2, 3×3) for a 3×3 stride-1 convolution (40 channels, so no direct kernel
  /// takes it; odd sizes, so the last tiles are half empty).
  @Test(arguments: [Padding.same, .valid]) func winogradGradientsAtEverySIMDLevel(padding: Padding) throws {
    let g = try WindowGeometry(height: 3, width: 5, channels: 40, kernel: (3, 3), stride: (1, 1), padding: padding)
    let x = randomTensor([1, 3, 5, 40], seed: 58), w = randomTensor([3, 3, 40, 8], seed: 59), b = randomTensor([8], seed: 60)
    #expect(Tensor.withConvolutionKernels(.byShape) { Tensor.convolutionKernels(geometry: g, filters: 8).weightGradient } == .winograd)
    expectGradientsAndFusedReluAtEverySIMDLevel(at: [x, w, b]) { $0[0].convolved2D(with: $0[1], bias: $0[2], geometry: g, rectified: $1) }
  }

  /// A 3×3 stride-2 convolution run as the adjoint of the polyphase transposed one (40 channels,
  /// so no direct kernel takes it).
  @Test func polyphaseStridedConvolutionGradients() throws {
    let g = try WindowGeometry(height: 4, width: 4, channels: 40, kernel: (3, 3), stride: (2, 2), padding: .same)
    let x = randomTensor([1, 4, 4, 40], seed: 61), w = randomTensor([3, 3, 40, 8], seed: 62), b = randomTensor([8], seed: 63)
    #expect(Tensor.withConvolutionKernels(.byShape) { Tensor.convolutionKernels(geometry: g, filters: 8).weightGradient } == .polyphaseWinograd)
    expectGradientsAndFusedReluAtEverySIMDLevel(at: [x, w, b]) { $0[0].convolved2D(with: $0[1], bias: $0[2], geometry: g, rectified: $1) }
  }

  /// A stride-1 3×3 transposed convolution through F(2×2, 3×3) on its flipped kernel (40 channels
  /// in, 8 out).
  @Test func winogradTransposedStrideOneGradients() throws {
    let t = try WindowGeometry.transposed(height: 3, width: 4, channels: 8, kernel: (3, 3), stride: (1, 1), padding: .same)
    let x = randomTensor([1, 3, 4, 40], seed: 64), w = randomTensor([3, 3, 8, 40], seed: 65), b = randomTensor([8], seed: 66)
    #expect(Tensor.withConvolutionKernels(.byShape) { Tensor.transposedConvolutionKernels(geometry: t, inputChannels: 40).weightGradient }
      == .winograd)
    expectGradientsAndFusedReluAtEverySIMDLevel(at: [x, w, b]) {
      $0[0].transposedConvolved2D(with: $0[1], bias: $0[2], geometry: t, rectified: $1)
    }
  }

  /// The polyphase Winograd path of a 3×3 stride-2 transposed convolution (40 channels, so no
  /// direct kernel takes it; an odd height or width, so the last tiles are half empty).
  @Test(arguments: [(3, 2), (2, 3)]) func polyphaseWinogradGradientsAtEverySIMDLevel(height: Int, width: Int) throws {
    let t = try WindowGeometry.transposed(height: height, width: width, channels: 8, kernel: (3, 3), stride: (2, 2), padding: .same)
    let x = randomTensor([1, height, width, 40], seed: 55), w = randomTensor([3, 3, 8, 40], seed: 56), b = randomTensor([8], seed: 57)
    #expect(Tensor.withConvolutionKernels(.byShape) { Tensor.transposedConvolutionKernels(geometry: t, inputChannels: 40).weightGradient }
      == .polyphaseWinograd)
    expectGradientsAndFusedReluAtEverySIMDLevel(at: [x, w, b]) {
      $0[0].transposedConvolved2D(with: $0[1], bias: $0[2], geometry: t, rectified: $1)
    }
  }

  @Test(arguments: [(2, 2, Padding.valid), (2, 2, .same), (3, 2, .same), (3, 1, .valid)])
  func maxPoolingGradients(kernel: Int, stride: Int, padding: Padding) throws {
    let g = try WindowGeometry(height: 7, width: 6, channels: 2, kernel: (kernel, kernel), stride: (stride, stride), padding: padding)
    // Distinct values well apart, so a finite-difference step never changes a window's winner.
    var generator = SplitMix64(seed: 27)
    let values = (0..<(2 * 7 * 6 * 2)).map { Float($0) * 0.1 }.shuffled(using: &generator)
    let x = Tensor(shape: [2, 7, 6, 2], scalars: values)
    expectGradientsMatchFiniteDifferences(at: [x], step: 1e-2) { $0[0].maxPooled2D(geometry: g) }
  }

  /// An upsampling fused into the convolution after it, on the direct kernels' paths (16 filters,
  /// one channel; one filter over channel vectors) and on matrix products, with its fused relu;
  /// 3×2 images read upsampled by the direct kernels, 8×6 ones split into four output phases.
  @Test(arguments: [(1, 16, ConvolutionPreference.direct, 3, 2), (8, 1, .direct, 3, 2), (8, 8, .products, 3, 2),
                    (1, 16, .direct, 8, 6), (8, 1, .direct, 8, 6), (3, 5, .products, 8, 6)])
  func upsampledConvolutionGradients(channels: Int, filters: Int, preference: ConvolutionPreference, height: Int, width: Int) throws {
    let g = try WindowGeometry(height: 2 * height, width: 2 * width, channels: channels, kernel: (3, 3), stride: (1, 1), padding: .same)
    #expect(Tensor.upsampledConvolutionPlan(geometry: g, factor: (2, 2), filters: filters).phases == (height > 3 ? 4 : 0))
    let x = randomTensor([2, height, width, channels], seed: 55), w = randomTensor([3, 3, channels, filters], seed: 56)
    let b = randomTensor([filters], seed: 57)
    Tensor.withConvolutionKernels(preference) {
      expectGradientsMatchFiniteDifferences(at: [x, w, b]) { $0[0].upsampledConvolved2D(by: (2, 2), with: $0[1], bias: $0[2], geometry: g) }
      let fused = gradients(of: { $0[0].upsampledConvolved2D(by: (2, 2), with: $0[1], bias: $0[2], geometry: g, rectified: true) }, at: [x, w, b]).analytic
      let composed = gradients(of: { $0[0].upsampled2D(by: (2, 2)).convolved2D(with: $0[1], bias: $0[2], geometry: g).relu() }, at: [x, w, b]).analytic
      for (a, b) in zip(fused, composed) { expectClose(a, b, rtol: 1e-5, atol: 1e-5) }
    }
  }

  @Test func upsamplingGradients() {
    expectGradientsMatchFiniteDifferences(at: [randomTensor([2, 3, 2, 2], seed: 28)]) { $0[0].upsampled2D(by: (2, 3)) }
  }

  @Test func aSmallConvolutionalAutoencoderTrainsEndToEnd() throws {
    // conv → pool → upsample → conv, through every op's pullback at once.
    let down = try WindowGeometry(height: 4, width: 4, channels: 1, kernel: (3, 3), stride: (1, 1), padding: .same)
    let pool = try WindowGeometry(height: 4, width: 4, channels: 2, kernel: (2, 2), stride: (2, 2), padding: .valid)
    let up = try WindowGeometry.transposed(height: 4, width: 4, channels: 1, kernel: (3, 3), stride: (1, 1), padding: .same)
    let x = randomTensorAwayFromZero([2, 4, 4, 1], seed: 29)
    expectGradientsMatchFiniteDifferences(at: [x, randomTensor([3, 3, 1, 2], seed: 30), randomTensor([3, 3, 1, 2], seed: 31)]) { v in
      v[0].convolved2D(with: v[1], bias: nil, geometry: down).tanh().maxPooled2D(geometry: pool).upsampled2D(by: (2, 2))
        .transposedConvolved2D(with: v[2], bias: nil, geometry: up)
    }
  }

  /// The fused `conv + relu` equals relu after the convolution, value and gradients, on every
  /// path: unfolding (more filters than channels), cell first (fewer) and transposed.
  @Test(arguments: [(2, 5, false), (6, 2, false), (3, 4, true), (4, 1, true)])
  func rectifiedConvolutionsEqualReluOfTheConvolution(channels: Int, filters: Int, transposed: Bool) throws {
    let g = transposed
      ? try WindowGeometry.transposed(height: 5, width: 4, channels: filters, kernel: (3, 3), stride: (2, 2), padding: .same)
      : try WindowGeometry(height: 6, width: 5, channels: channels, kernel: (3, 3), stride: (1, 1), padding: .same)
    let x = randomTensor([3, transposed ? 5 : 6, transposed ? 4 : 5, channels], seed: 40)
    let w = randomTensor(transposed ? [3, 3, filters, channels] : [3, 3, channels, filters], seed: 41)
    let b = randomTensor([filters], seed: 42)
    func run(_ fused: Bool) -> [Tensor] {
      let (input, weight, bias) = (Variable(x, requiresGradient: true), Variable(w, requiresGradient: true), Variable(b, requiresGradient: true))
      let output = transposed
        ? (fused ? input.transposedConvolved2D(with: weight, bias: bias, geometry: g, rectified: true)
          : input.transposedConvolved2D(with: weight, bias: bias, geometry: g).relu())
        : (fused ? input.convolved2D(with: weight, bias: bias, geometry: g, rectified: true)
          : input.convolved2D(with: weight, bias: bias, geometry: g).relu())
      (output * randomTensor(output.shape, seed: 43)).sum().backward()
      return [output.value, input.gradient!, weight.gradient!, bias.gradient!]
    }
    let (fused, composed) = (run(true), run(false))
    #expect(fused[0].scalars.contains(0) && fused[0].scalars.contains { $0 > 0 }, "the relu must cut somewhere")
    for (a, b) in zip(fused, composed) { expectClose(a, b, rtol: 1e-5, atol: 1e-5) }
  }
}

