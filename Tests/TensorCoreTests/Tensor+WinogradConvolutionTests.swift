@testable import TensorCore
import TestSupport
import Testing

@Suite struct TensorWinogradConvolutionTests {
  /// Image size, channels, filters, padding: even and odd outputs (half-empty last tiles), one
  /// channel or filter, `valid`, a one-cell output, and keras-io's denoiser's 14×14 32 → 32.
  static let configurations: [(size: (Int, Int), channels: Int, filters: Int, padding: Padding)] = [
    ((4, 4), 1, 1, .valid), ((5, 7), 3, 5, .same), ((6, 6), 16, 8, .same), ((7, 5), 8, 16, .valid),
    ((3, 3), 4, 4, .valid), ((1, 2), 5, 3, .same), ((14, 14), 32, 32, .same),
  ]

  /// A 4×4 image of 1..16 under a kernel of 1..9, `valid`: each output is its window's dot
  /// product with the kernel (348 at the top left; +45 across, +180 down), exactly, though
  /// the kernel's transform has halves.
  @Test func oneTileByHand() throws {
    let g = try WindowGeometry(height: 4, width: 4, channels: 1, kernel: (3, 3), stride: (1, 1), padding: .valid)
    let x = Tensor(shape: [1, 4, 4, 1], scalars: (1...16).map(Float.init)), w = Tensor(shape: [3, 3, 1, 1], scalars: (1...9).map(Float.init))
    let expected: [Float] = [348, 393, 528, 573]
    #expect(x.winogradConvolved2D(with: w, bias: nil, geometry: g, rectified: false).scalars == expected)
  }

  /// The kernel's transform and its gradient are adjoints, ⟨T(w), u⟩ = ⟨w, Tᵀ(u)⟩, and group
  /// (0, 0) is the corner tap w[0, 0] as it is.
  @Test func kernelTransformAndItsGradientAreAdjoints() {
    let w = randomTensor([3, 3, 5, 7], seed: 91), u = randomTensor([16 * 5 * 7], seed: 92)
    let transformed = Tensor.winogradF23Kernel(w), back = Tensor.winogradF23KernelGradient(u, like: w)
    #expect(transformed.shape == [16 * 35] && back.shape == w.shape)
    let left = zip(transformed.scalars, u.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    let right = zip(w.scalars, back.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    #expect(abs(left - right) < 1e-4 * max(1, abs(left)))
    #expect(Array(transformed.scalars[0..<35]) == Array(w.scalars[0..<35]))
  }

  /// Forward (with bias, with and without the fused relu) against the definition, and every
  /// subset of gradients against the im2col path's, at every SIMD level the CPU runs.
  @Test(arguments: 0..<configurations.count) func matchesTheDefinitionAndTheProductsAtEverySIMDLevel(index: Int) throws {
    let c = Self.configurations[index]
    let g = try WindowGeometry(height: c.size.0, width: c.size.1, channels: c.channels, kernel: (3, 3), stride: (1, 1), padding: c.padding)
    #expect(g.winogradApplies)
    let x = randomTensor([3, c.size.0, c.size.1, c.channels], seed: 93), w = randomTensor([3, 3, c.channels, c.filters], seed: 94)
    let b = randomTensor([c.filters], seed: 95), dy = randomTensor([3, g.outputHeight, g.outputWidth, c.filters], seed: 96)
    let tolerance: Float = c.channels >= 16 ? 1e-4 : 1e-5
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      SIMDLevel.withKernels(at: level) {
        let plain = x.winogradConvolved2D(with: w, bias: b, geometry: g, rectified: false)
        let reference = Reference.convolution(x, w, b, g)
        expectClose(plain, reference, rtol: tolerance, atol: tolerance, "\(level.name) forward")
        let rectified = x.winogradConvolved2D(with: w, bias: b, geometry: g, rectified: true)
        expectClose(rectified, reference.relu(), rtol: tolerance, atol: tolerance, "\(level.name) relu")
        expectSameGradientsForEverySubset(masks: [nil, rectified], tolerance: tolerance, level.name) {
          Tensor.winogradConvolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: $0, forWeight: $1, forBias: $2,
                                                rectifiedOutput: $3)
        } reference: {
          Tensor.convolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: $0, forWeight: $1, forBias: $2,
                                        rectifiedOutput: $3)
        }
      }
    }
  }

  /// A stride-1 transposed convolution through F(2×2, 3×3) (its flipped, transposed kernel over
  /// the adjoint geometry): forward, with and without the relu, and every subset of gradients,
  /// against the im2col path, `same` and `valid`, over 7×7 as the codec's synthesis layer (40
  /// channels in, so no direct kernel takes it under either BLAS's kernels).
  @Test(arguments: [Padding.same, .valid]) func transposedStrideOneConvolutionsMatchTheProducts(padding: Padding) throws {
    let g = try WindowGeometry.transposed(height: 7, width: 7, channels: 32, kernel: (3, 3), stride: (1, 1), padding: padding)
    #expect(Tensor.transposedConvolutionKernels(geometry: g, inputChannels: 40).forward == .winograd)
    let x = randomTensor([3, g.outputHeight, g.outputWidth, 40], seed: 97), w = randomTensor([3, 3, 32, 40], seed: 98)
    let b = randomTensor([32], seed: 99), dy = randomTensor([3, g.height, g.width, 32], seed: 100)
    var rectifiedOutput: Tensor?
    for rectified in [false, true] {
      let got = x.transposedConvolved2D(with: w, bias: b, geometry: g, rectified: rectified)
      let expected = Tensor.withConvolutionKernels(.products) { x.transposedConvolved2D(with: w, bias: b, geometry: g, rectified: rectified) }
      expectClose(got, expected, rtol: 1e-4, atol: 1e-4, "forward, relu \(rectified)")
      if rectified { rectifiedOutput = got }
    }
    // The same call both ways: by shape it takes F(2×2, 3×3), under `products` im2col.
    expectSameGradientsForEverySubset(masks: [nil, rectifiedOutput], tolerance: 1e-4, "\(padding)") {
      Tensor.transposedConvolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: $0, forWeight: $1, forBias: $2,
                                              rectifiedOutput: $3)
    } reference: {
      Tensor.transposedConvolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: $0, forWeight: $1, forBias: $2,
                                              rectifiedOutput: $3)
    }
  }

  /// Which layers take it: 3×3 stride-1 convolutions of at least 8 channels and filters where no
  /// direct kernel is faster; never another kernel or stride, or under `products` or `direct`.
  @Test func chosenByShape() throws {
    func kernels(_ size: Int, _ channels: Int, _ filters: Int, kernel: Int = 3, stride: Int = 1, padding: Padding = .same,
                 preference: ConvolutionPreference = .byShape) throws -> ConvolutionKernel {
      let g = try WindowGeometry(height: size, width: size, channels: channels, kernel: (kernel, kernel), stride: (stride, stride), padding: padding)
      let chosen = Tensor.withConvolutionKernels(preference) { Tensor.convolutionKernels(geometry: g, filters: filters) }
      #expect(chosen.forward != .winograd || (chosen.inputGradient == .winograd && chosen.weightGradient == .winograd))
      return chosen.forward
    }
    #expect(try kernels(14, 64, 64) == .winograd)
    #expect(try kernels(14, 64, 64, padding: .valid) == .winograd)
    // keras-io's denoiser: under BLAS's Haswell kernels its 32 channels take the direct kernels.
    #expect(try kernels(14, 32, 32) == (BLAS.hasAVX512Kernels ? .winograd : .direct))
    #expect(try kernels(14, 64, 64, kernel: 5) != .winograd)
    #expect(try kernels(14, 64, 64, stride: 2) != .winograd)
    #expect(try kernels(28, 64, 1) != .winograd)  // one filter: the products would be one column
    #expect(try kernels(14, 64, 64, preference: .products) == .unfolded)
    #expect(try kernels(14, 64, 64, preference: .direct) != .winograd)
  }
}
