@testable import TensorCore
import TestSupport
import Testing

@Suite struct TensorPolyphaseWinogradConvolutionTests {
  /// Input size, channels, filters, padding, kernel: even and odd sizes (half-empty last tiles),
  /// one cell, one channel or filter, `valid` (an output row and column past the last full tile),
  /// the conv VAE's 14×14 64 → 32; 5×5 kernels (`same` only) likewise, and the codec's 7×7 32 → 32.
  static let configurations: [(size: (Int, Int), channels: Int, filters: Int, padding: Padding, kernel: Int)] = [
    ((2, 2), 1, 1, .same, 3), ((3, 5), 3, 5, .same, 3), ((4, 4), 16, 8, .same, 3), ((5, 3), 8, 16, .valid, 3),
    ((1, 1), 4, 4, .same, 3), ((7, 7), 5, 3, .same, 3), ((4, 6), 2, 7, .valid, 3), ((14, 14), 64, 32, .same, 3),
    ((2, 2), 1, 1, .same, 5), ((3, 5), 3, 5, .same, 5), ((1, 1), 4, 4, .same, 5), ((4, 6), 16, 8, .same, 5), ((7, 7), 32, 32, .same, 5),
  ]

  /// A one-channel kernel of nine distinct taps on a 2×2 image, by hand: the transform's tiles
  /// give each output cell the taps that land on it (input cell i reaches outputs 2i..2i+2).
  @Test func oneTileByHand() throws {
    let g = try WindowGeometry.transposed(height: 2, width: 2, channels: 1, kernel: (3, 3), stride: (2, 2), padding: .same)
    let x = Tensor(shape: [1, 2, 2, 1], scalars: [1, 10, 100, 1000])
    let w = Tensor(shape: [3, 3, 1, 1], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
    let y = x.polyphaseWinogradTransposedConvolved2D(with: w, bias: nil, geometry: g, rectified: false)
    // Output (r, s) sums x[i][j]·w[r − 2i][s − 2j]: row 2 and column 2 are where neighbours' windows overlap.
    let expected: [Float] = [1, 2, 3 + 10, 20,
                             4, 5, 6 + 40, 50,
                             7 + 100, 8 + 200, 9 + 70 + 300 + 1000, 80 + 2000,
                             400, 500, 600 + 4000, 5000]
    #expect(y.scalars == expected)
    #expect(y.scalars == Reference.transposedConvolution(x, w, nil, g).scalars)
  }

  /// The kernel's transform (in its transposed layout) and its gradient are adjoints (3×3 and 5×5),
  /// ⟨T(w), u⟩ = ⟨w, Tᵀ(u)⟩; the forward layout is each group's matrix transposed; and a product's
  /// block sums the taps it takes (the first group's product takes w2 of both axes: tap (2, 2)).
  @Test func kernelTransformAndItsGradientAreAdjoints() {
    let w5 = randomTensor([5, 5, 4, 3], seed: 79), u5 = randomTensor([49 * 12], seed: 80)
    let left5 = zip(Tensor.winogradKernelTransposed(w5).scalars, u5.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    let right5 = zip(w5.scalars, Tensor.winogradKernelGradient(u5, like: w5).scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    #expect(abs(left5 - right5) < 1e-4 * max(1, abs(left5)), "5×5")
    let (f, c) = (5, 7)
    let w = randomTensor([3, 3, f, c], seed: 81), u = randomTensor([25 * c * f], seed: 82)
    let transformed = Tensor.winogradKernelTransposed(w), back = Tensor.winogradKernelGradient(u, like: w)
    #expect(transformed.shape == [25 * c * f] && back.shape == w.shape)
    let left = zip(transformed.scalars, u.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    let right = zip(w.scalars, back.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    #expect(abs(left - right) < 1e-4 * max(1, abs(left)))
    #expect(Array(transformed.scalars[0..<(f * c)]) == Array(w.scalars[(8 * f * c)..<(9 * f * c)]))
    let forward = Tensor.winogradKernel(w), offsets = PolyphaseAxis.threeTaps.groupOffsets(channels: c, filters: f)
    for group in 0..<16 {
      let width = PolyphaseAxis.threeTaps.width(ofGroup: group) * f
      for row in 0..<width {
        for channel in 0..<c {
          #expect(forward.scalars[offsets[group] + channel * width + row] == transformed.scalars[offsets[group] + row * c + channel])
        }
      }
    }
  }

  /// Forward (with bias, with and without the fused relu) against the definition, and every
  /// subset of gradients against the im2col path's, at every SIMD level the CPU runs.
  @Test(arguments: 0..<configurations.count) func matchesTheDefinitionAndTheProductsAtEverySIMDLevel(index: Int) throws {
    let c = Self.configurations[index]
    let g = try WindowGeometry.transposed(height: c.size.0, width: c.size.1, channels: c.filters, kernel: (c.kernel, c.kernel), stride: (2, 2),
                                          padding: c.padding)
    #expect(g.polyphaseWinogradApplies)
    let x = randomTensor([3, c.size.0, c.size.1, c.channels], seed: 83), w = randomTensor([c.kernel, c.kernel, c.filters, c.channels], seed: 84)
    let b = randomTensor([c.filters], seed: 85), dy = randomTensor([3, g.height, g.width, c.filters], seed: 86)
    let tolerance: Float = c.channels >= 16 ? 1e-4 : 1e-5
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      SIMDLevel.withKernels(at: level) {
        let plain = x.polyphaseWinogradTransposedConvolved2D(with: w, bias: b, geometry: g, rectified: false)
        let reference = Reference.transposedConvolution(x, w, b, g)
        expectClose(plain, reference, rtol: tolerance, atol: tolerance, "\(level.name) forward")
        let rectified = x.polyphaseWinogradTransposedConvolved2D(with: w, bias: b, geometry: g, rectified: true)
        expectClose(rectified, reference.relu(), rtol: tolerance, atol: tolerance, "\(level.name) relu")
        expectSameGradientsForEverySubset(masks: [nil, rectified], tolerance: tolerance, level.name) {
          Tensor.polyphaseWinogradTransposedConvolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: $0,
                                                                   forWeight: $1, forBias: $2, rectifiedOutput: $3)
        } reference: {
          #expect(Tensor.transposedConvolutionKernels(geometry: g, inputChannels: c.channels).weightGradient == .unfolded)
          return Tensor.transposedConvolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: $0, forWeight: $1,
                                                         forBias: $2, rectifiedOutput: $3)
        }
      }
    }
  }

  /// Which layers take the transform: 3×3 stride-2 transposed convolutions where the tiles'
  /// products are fewer than im2col's and the direct kernels are not faster; never under the
  /// `products` or `direct` preference.
  @Test func chosenByShape() throws {
    func kernels(_ size: Int, _ channels: Int, _ filters: Int, kernel: Int = 3, stride: Int = 2, padding: Padding = .same,
                 preference: ConvolutionPreference = .byShape) throws -> ConvolutionKernel {
      let g = try WindowGeometry.transposed(height: size, width: size, channels: filters, kernel: (kernel, kernel), stride: (stride, stride),
                                            padding: padding)
      let chosen = Tensor.withConvolutionKernels(preference) { Tensor.transposedConvolutionKernels(geometry: g, inputChannels: channels) }
      #expect(chosen.forward != .polyphaseWinograd || (chosen.inputGradient == .polyphaseWinograd && chosen.weightGradient == .polyphaseWinograd))
      return chosen.forward
    }
    #expect(try kernels(14, 64, 32) == .polyphaseWinograd)  // the conv VAE's second decoder layer
    // keras-io's denoiser: under BLAS's Haswell kernels its 32 channels take the direct kernels' gradients.
    #expect(try kernels(14, 32, 32) == (BLAS.hasAVX512Kernels ? .polyphaseWinograd : .unfolded))
    #expect(try kernels(7, 64, 64) == .polyphaseWinograd)  // the first: 16 tiles for 12.25, 400 products against 441
    #expect(try kernels(9, 64, 64, padding: .valid) == .polyphaseWinograd)  // 19×19: 25 tiles, 625 products against 729
    #expect(try kernels(8, 64, 64, padding: .valid) != .polyphaseWinograd)  // 17×17: 25 tiles, 625 against 576
    #expect(try kernels(14, 64, 32, kernel: 5) == .polyphaseWinograd)  // 49 products per 2×2 inputs against 100
    #expect(try kernels(7, 32, 32, kernel: 5) == (BLAS.hasAVX512Kernels ? .polyphaseWinograd : .unfolded))  // the codec's
    #expect(try kernels(7, 64, 64, kernel: 5, padding: .valid) != .polyphaseWinograd)  // nothing padded before: no transform
    #expect(try kernels(7, 64, 64, kernel: 4) != .polyphaseWinograd)
    #expect(try kernels(14, 64, 32, stride: 1) != .polyphaseWinograd)
    #expect(try kernels(14, 8, 8) != .polyphaseWinograd)  // few channels: the direct kernels
    #expect(try kernels(14, 64, 32, preference: .products) == .unfolded)
    #expect(try kernels(14, 64, 32, preference: .direct) != .polyphaseWinograd)
  }

  /// The layer's public entry points route through the transform where it is chosen, and give
  /// the same bits on every call (fixed sums, a fixed split across threads).
  @Test func publicEntryPointsUseItAndRepeatBitForBit() throws {
    let g = try WindowGeometry.transposed(height: 6, width: 6, channels: 40, kernel: (3, 3), stride: (2, 2), padding: .same)
    let x = randomTensor([5, 6, 6, 24], seed: 87), w = randomTensor([3, 3, 40, 24], seed: 88), dy = randomTensor([5, 12, 12, 40], seed: 89)
    try Tensor.withConvolutionKernels(.byShape) {
      #expect(Tensor.transposedConvolutionKernels(geometry: g, inputChannels: 24).forward == .polyphaseWinograd)
      _ = try #require(x.count > 0)
      let y = x.transposedConvolved2D(with: w, bias: nil, geometry: g, rectified: true)
      #expect(y.scalars == x.polyphaseWinogradTransposedConvolved2D(with: w, bias: nil, geometry: g, rectified: true).scalars)
      let first = Tensor.transposedConvolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: true, forWeight: true,
                                                          forBias: true, rectifiedOutput: y)
      let again = Tensor.transposedConvolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: true, forWeight: true,
                                                          forBias: true, rectifiedOutput: y)
      #expect(first.input?.scalars == again.input?.scalars && first.weight?.scalars == again.weight?.scalars)
      let products = try #require(Tensor.withConvolutionKernels(.products) {
        Tensor.transposedConvolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: true, forWeight: true,
                                                forBias: true, rectifiedOutput: y).weight
      })
      expectClose(try #require(first.weight), products, rtol: 1e-4, atol: 1e-4)
    }
  }

  /// Stride-2 convolutions as the adjoints of transposed ones: forward (with bias and relu)
  /// against the definition, every subset of gradients against the im2col path's, at every SIMD
  /// level: 3×3 `same` over even sizes and `valid` (nothing padded before), 5×5 `same` (one cell).
  @Test(arguments: [((4, 6), 3, Padding.same), ((5, 5), 3, .valid), ((6, 8), 5, .same), ((14, 14), 5, .same)])
  func stridedConvolutionsRunAsAdjoints(size: (Int, Int), kernel: Int, padding: Padding) throws {
    let g = try WindowGeometry(height: size.0, width: size.1, channels: 8, kernel: (kernel, kernel), stride: (2, 2), padding: padding)
    #expect(g.polyphaseWinogradApplies)
    let x = randomTensor([3, size.0, size.1, 8], seed: 87), w = randomTensor([kernel, kernel, 8, 16], seed: 88)
    let b = randomTensor([16], seed: 89), dy = randomTensor([3, g.outputHeight, g.outputWidth, 16], seed: 90)
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      SIMDLevel.withKernels(at: level) {
        let reference = Reference.convolution(x, w, b, g)
        expectClose(x.polyphaseWinogradConvolved2D(with: w, bias: b, geometry: g, rectified: false), reference, rtol: 1e-4, atol: 1e-4, "\(level.name)")
        let rectified = x.polyphaseWinogradConvolved2D(with: w, bias: b, geometry: g, rectified: true)
        expectClose(rectified, reference.relu(), rtol: 1e-4, atol: 1e-4, "\(level.name) relu")
        expectSameGradientsForEverySubset(masks: [nil, rectified], tolerance: 1e-4, level.name) {
          Tensor.polyphaseWinogradConvolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: $0, forWeight: $1,
                                                         forBias: $2, rectifiedOutput: $3)
        } reference: {
          Tensor.convolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: $0, forWeight: $1, forBias: $2,
                                        rectifiedOutput: $3)
        }
      }
    }
    // Chosen by shape for layers of many channels (the codec's 14×14 32 → 32, 5×5; under BLAS's
    // Haswell kernels its 32 channels take the direct kernels).
    let codec = try WindowGeometry(height: 14, width: 14, channels: 32, kernel: (5, 5), stride: (2, 2), padding: .same)
    #expect(Tensor.withConvolutionKernels(.byShape) { Tensor.convolutionKernels(geometry: codec, filters: 32).forward }
      == (BLAS.hasAVX512Kernels ? .polyphaseWinograd : .direct))
  }
}
