@testable import TensorCore
import TestSupport
import Testing

extension Reference {
  /// dw[ky, kx, c, f] = Σ over images and outputs of x[n, oy·s + ky − pad, ox·s + kx − pad, c] · dy[n, oy, ox, f]
  /// (zero where the window lies over padding): the weight gradient of a convolution over `g`, and,
  /// with image and output gradient exchanged, of a transposed one.
  static func convolutionWeightGradient(_ x: Tensor, _ dy: Tensor, _ g: WindowGeometry) -> Tensor {
    let (n, f) = (x.shape[0], dy.shape[3])
    let xs = x.scalars, ds = dy.scalars
    var out = [Float](repeating: 0, count: g.windowSize * f)
    for i in 0..<n {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
              let y = oy * g.strideHeight + ky - g.padTop, xx = ox * g.strideWidth + kx - g.padLeft
              guard (0..<g.height).contains(y), (0..<g.width).contains(xx) else { continue }
              for c in 0..<g.channels {
                let value = xs[((i * g.height + y) * g.width + xx) * g.channels + c]
                for o in 0..<f {
                  out[((ky * g.kernelWidth + kx) * g.channels + c) * f + o] += value * ds[((i * g.outputHeight + oy) * g.outputWidth + ox) * f + o]
                }
              }
            }
          }
        }
      }
    }
    return Tensor(shape: [g.kernelHeight, g.kernelWidth, g.channels, f], scalars: out)
  }
}

@Suite struct TensorDirectConvolutionTests {
  /// Shapes that take each of the direct kernels' paths: 16- and 8-filter tiles (and both, for 24),
  /// one filter at a time over channel vectors, one channel, flat (stride 1) walks and (stride 2)
  /// tiles whose pixels run across row ends, odd and even kernels, same and valid, images narrower than a tile.
  static let configurations: [(size: (Int, Int), channels: Int, filters: Int, kernel: Int, stride: Int, padding: Padding)] = [
    ((9, 7), 1, 16, 3, 1, .same), ((6, 6), 1, 8, 3, 1, .valid), ((7, 5), 2, 24, 3, 2, .same), ((8, 8), 3, 32, 5, 2, .valid),
    ((7, 7), 8, 8, 3, 1, .same), ((9, 9), 16, 1, 3, 1, .same), ((6, 7), 16, 3, 2, 2, .same), ((4, 4), 8, 16, 1, 1, .valid),
    ((5, 6), 24, 5, 3, 1, .valid), ((13, 3), 16, 8, 3, 1, .same), ((3, 3), 8, 8, 3, 2, .same), ((10, 9), 5, 16, 4, 1, .same),
  ]

  static var levels: [SIMDLevel] { SIMDLevel.allCases.filter { $0.rawValue <= SIMDLevel.supported.rawValue } }

  @Test(arguments: 0..<configurations.count) func convolutionPassesMatchTheDefinitionAtEverySIMDLevel(index: Int) throws {
    let c = Self.configurations[index]
    let g = try WindowGeometry(height: c.size.0, width: c.size.1, channels: c.channels, kernel: (c.kernel, c.kernel),
                               stride: (c.stride, c.stride), padding: c.padding)
    let kernels = Tensor.withConvolutionKernels(.direct) { Tensor.convolutionKernels(geometry: g, filters: c.filters) }
    #expect(kernels.forward == .direct && kernels.weightGradient == .direct)
    #expect((kernels.inputGradient == .direct) == (c.stride == 1))
    let x = randomTensor([3, c.size.0, c.size.1, c.channels], seed: 1), w = randomTensor([c.kernel, c.kernel, c.channels, c.filters], seed: 2)
    let b = randomTensor([c.filters], seed: 3), dy = randomTensor([3, g.outputHeight, g.outputWidth, c.filters], seed: 4)
    let expected = Reference.convolution(x, w, b, g)
    let expectedInput = Reference.transposedConvolution(dy, w, nil, g), expectedWeight = Reference.convolutionWeightGradient(x, dy, g)
    for level in Self.levels {
      try SIMDLevel.withKernels(at: level) {
        try Tensor.withConvolutionKernels(.direct) {
          expectClose(x.convolved2D(with: w, bias: b, geometry: g), expected, rtol: 1e-4, atol: 1e-5, "\(level.name)")
          let rectified = x.convolved2D(with: w, bias: b, geometry: g, rectified: true)
          expectClose(rectified, Tensor(shape: expected.shape, scalars: expected.scalars.map { max($0, 0) }), rtol: 1e-4, atol: 1e-5)
          let r = Tensor.convolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: true, forWeight: true, forBias: true)
          expectClose(try #require(r.input), expectedInput, rtol: 1e-4, atol: 1e-5, "input gradient, \(level.name)")
          expectClose(try #require(r.weight), expectedWeight, rtol: 1e-4, atol: 1e-4, "weight gradient, \(level.name)")
          expectClose(try #require(r.bias), dy.reshaped(to: [dy.count / c.filters, c.filters]).sum(alongAxis: 0).reshaped(to: [-1]), rtol: 1e-5, atol: 1e-5)
        }
      }
    }
  }

  @Test(arguments: 0..<configurations.count) func transposedConvolutionPassesMatchTheDefinitionAtEverySIMDLevel(index: Int) throws {
    // The transposed convolution from `filters` channels to `channels`: its geometry's image is its output.
    let c = Self.configurations[index]
    let g = try WindowGeometry.transposed(height: c.size.0, width: c.size.1, channels: c.channels, kernel: (c.kernel, c.kernel),
                                          stride: (c.stride, c.stride), padding: c.padding)
    let kernels = Tensor.withConvolutionKernels(.direct) { Tensor.transposedConvolutionKernels(geometry: g, inputChannels: c.filters) }
    #expect(kernels.inputGradient == .direct && kernels.weightGradient == .direct && (kernels.forward == .direct) == (c.stride == 1))
    let x = randomTensor([2, c.size.0, c.size.1, c.filters], seed: 5), w = randomTensor([c.kernel, c.kernel, c.channels, c.filters], seed: 6)
    let b = randomTensor([c.channels], seed: 7), dy = randomTensor([2, g.height, g.width, c.channels], seed: 8)
    let expected = Reference.transposedConvolution(x, w, b, g)
    let expectedInput = Reference.convolution(dy, w, nil, g), expectedWeight = Reference.convolutionWeightGradient(dy, x, g)
    for level in Self.levels {
      try SIMDLevel.withKernels(at: level) {
        try Tensor.withConvolutionKernels(.direct) {
          expectClose(x.transposedConvolved2D(with: w, bias: b, geometry: g), expected, rtol: 1e-4, atol: 1e-5, "\(level.name)")
          let r = Tensor.transposedConvolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: true,
                                                          forWeight: true, forBias: true)
          expectClose(try #require(r.input), expectedInput, rtol: 1e-4, atol: 1e-5, "input gradient, \(level.name)")
          expectClose(try #require(r.weight), expectedWeight, rtol: 1e-4, atol: 1e-4, "weight gradient, \(level.name)")
          expectClose(try #require(r.bias), dy.reshaped(to: [dy.count / c.channels, c.channels]).sum(alongAxis: 0).reshaped(to: [-1]), rtol: 1e-5, atol: 1e-5)
        }
      }
    }
  }

  /// Over 32 channels the shape-based choice mixes kernels: BLAS products (here cell first) for the forward pass and
  /// input gradient, the direct weight gradient (40 × 5 channels, under the 16 × 16 above which an AVX-512 BLAS takes
  /// every pass); together still the definition's gradients.
  @Test func mixedKernelsGiveTheDefinitionsGradients() throws {
    let g = try WindowGeometry(height: 5, width: 4, channels: 40, kernel: (3, 3), stride: (1, 1), padding: .same)
    #expect(Tensor.convolutionKernels(geometry: g, filters: 5) == (.cellFirst, .cellFirst, .direct))
    let x = randomTensor([2, 5, 4, 40], seed: 16), w = randomTensor([3, 3, 40, 5], seed: 17), dy = randomTensor([2, 5, 4, 5], seed: 18)
    let y = x.convolved2D(with: w, bias: nil, geometry: g, rectified: true)
    let masked = Tensor(shape: dy.shape, scalars: zip(dy.scalars, y.scalars).map { $1 > 0 ? $0 : 0 })
    let r = Tensor.convolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: true, forWeight: true, forBias: true,
                                          rectifiedOutput: y)
    expectClose(r.input!, Reference.transposedConvolution(masked, w, nil, g), rtol: 1e-4, atol: 1e-5)
    expectClose(r.weight!, Reference.convolutionWeightGradient(x, masked, g), rtol: 1e-4, atol: 1e-4)
    expectClose(r.bias!, masked.reshaped(to: [-1, 5]).sum(alongAxis: 0).reshaped(to: [-1]), rtol: 1e-5, atol: 1e-5)
    let t = try WindowGeometry.transposed(height: 3, width: 3, channels: 40, kernel: (3, 3), stride: (2, 2), padding: .same)
    #expect(Tensor.transposedConvolutionKernels(geometry: t, inputChannels: 5) == (.unfolded, .unfolded, .direct))
    let xt = randomTensor([2, 3, 3, 5], seed: 19), dyt = randomTensor([2, 6, 6, 40], seed: 20)
    let rt = Tensor.transposedConvolution2DGradients(input: xt, weight: w, outputGradient: dyt, geometry: t, forInput: true, forWeight: true,
                                                     forBias: true)
    expectClose(rt.input!, Reference.convolution(dyt, w, nil, t), rtol: 1e-4, atol: 1e-5)
    expectClose(rt.weight!, Reference.convolutionWeightGradient(dyt, xt, t), rtol: 1e-4, atol: 1e-4)
    expectClose(rt.bias!, dyt.reshaped(to: [-1, 40]).sum(alongAxis: 0).reshaped(to: [-1]), rtol: 1e-5, atol: 1e-5)
  }

  @Test func aFusedReluMasksTheGradientsOfTheDirectKernels() throws {
    let g = try WindowGeometry(height: 6, width: 6, channels: 2, kernel: (3, 3), stride: (1, 1), padding: .same)
    let x = randomTensor([2, 6, 6, 2], seed: 9), w = randomTensor([3, 3, 2, 8], seed: 10), dy = randomTensor([2, 6, 6, 8], seed: 11)
    let y = Tensor.withConvolutionKernels(.direct) { x.convolved2D(with: w, bias: nil, geometry: g, rectified: true) }
    #expect(y.scalars.contains(0) && y.scalars.contains { $0 > 0 }, "the relu must cut somewhere")
    let masked = Tensor(shape: dy.shape, scalars: zip(dy.scalars, y.scalars).map { $1 > 0 ? $0 : 0 })
    let r = Tensor.withConvolutionKernels(.direct) {
      Tensor.convolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: true, forWeight: true, forBias: true,
                                    rectifiedOutput: y)
    }
    expectClose(r.input!, Reference.transposedConvolution(masked, w, nil, g), rtol: 1e-4, atol: 1e-5)
    expectClose(r.weight!, Reference.convolutionWeightGradient(x, masked, g), rtol: 1e-4, atol: 1e-5)
  }

  @Test func theSameThreadsGiveTheSameBitsAndAnyThreadsCloseResults() throws {
    let g = try WindowGeometry(height: 14, width: 14, channels: 8, kernel: (3, 3), stride: (1, 1), padding: .same)
    let x = randomTensor([48, 14, 14, 8], seed: 12), w = randomTensor([3, 3, 8, 16], seed: 13), dy = randomTensor([48, 14, 14, 16], seed: 14)
    func run(_ threads: Int) -> [Tensor] {
      Parallel.withThreads(threads) {
        Tensor.withConvolutionKernels(.direct) {
          let r = Tensor.convolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: true, forWeight: true, forBias: true)
          return [x.convolved2D(with: w, bias: nil, geometry: g), r.input!, r.weight!, r.bias!]
        }
      }
    }
    let one = run(1), three = run(3)
    for (a, b) in zip(one, three) { expectClose(a, b, rtol: 1e-5, atol: 1e-4) }
    #expect(run(3).map(\.scalars) == three.map(\.scalars))
    #expect(run(1).map(\.scalars) == one.map(\.scalars))
  }

  @Test func kernelsAreChosenByShapeAndThePreference() throws {
    let few = try WindowGeometry(height: 28, width: 28, channels: 1, kernel: (3, 3), stride: (1, 1), padding: .same)
    #expect(Tensor.convolutionKernels(geometry: few, filters: 16) == (.direct, .direct, .direct))
    let strided = try WindowGeometry(height: 28, width: 28, channels: 1, kernel: (3, 3), stride: (2, 2), padding: .same)
    #expect(Tensor.convolutionKernels(geometry: strided, filters: 32) == (.direct, .unfolded, .direct))
    // Neither filters nor channels fill a vector: products.
    let odd = try WindowGeometry(height: 8, width: 8, channels: 3, kernel: (3, 3), stride: (1, 1), padding: .same)
    #expect(Tensor.convolutionKernels(geometry: odd, filters: 5) == (.unfolded, .unfolded, .unfolded))
    #expect(Tensor.convolutionKernels(geometry: odd, filters: 1) == (.cellFirst, .cellFirst, .cellFirst))
    #expect(Tensor.withConvolutionKernels(.products) { Tensor.convolutionKernels(geometry: few, filters: 16) } == (.unfolded, .unfolded, .unfolded))
    let transposed = try WindowGeometry.transposed(height: 7, width: 7, channels: 32, kernel: (3, 3), stride: (2, 2), padding: .same)
    #expect(Tensor.transposedConvolutionKernels(geometry: transposed, inputChannels: 8) == (.unfolded, .direct, .direct))
    // 64 channels: the forward pass and input gradient go to BLAS, the weight gradient stays direct
    // (unless direct is asked for everywhere), or goes to BLAS too where its kernels are AVX-512's.
    // (Over 14×14 the polyphase adjoint would save too little: 400 products against 441.)
    let wideWeights: ConvolutionKernel = BLAS.hasAVX512Kernels ? .unfolded : .direct
    let wide = try WindowGeometry(height: 14, width: 14, channels: 32, kernel: (3, 3), stride: (2, 2), padding: .same)
    #expect(Tensor.convolutionKernels(geometry: wide, filters: 64) == (.unfolded, .unfolded, wideWeights))
    // Over 28×28 it saves enough (49 tiles: 1,225 products against 1,764): the adjoint in every pass.
    let wider = try WindowGeometry(height: 28, width: 28, channels: 32, kernel: (3, 3), stride: (2, 2), padding: .same)
    #expect(Tensor.convolutionKernels(geometry: wider, filters: 64) == (.polyphaseWinograd, .polyphaseWinograd, .polyphaseWinograd))
    #expect(Tensor.withConvolutionKernels(.products) { Tensor.convolutionKernels(geometry: wider, filters: 64) } == (.unfolded, .unfolded, .unfolded))
    #expect(Tensor.withConvolutionKernels(.direct) { Tensor.convolutionKernels(geometry: wide, filters: 64) } == (.direct, .unfolded, .direct))
    // A stride-1 3×3 transposed convolution of 64 channels: Winograd's F(2×2, 3×3) on its
    // flipped kernel, unless products are asked for.
    let wideTransposed = try WindowGeometry.transposed(height: 7, width: 7, channels: 64, kernel: (3, 3), stride: (1, 1), padding: .same)
    #expect(Tensor.transposedConvolutionKernels(geometry: wideTransposed, inputChannels: 64) == (.winograd, .winograd, .winograd))
    #expect(Tensor.withConvolutionKernels(.products) { Tensor.transposedConvolutionKernels(geometry: wideTransposed, inputChannels: 64) }
      == (.unfolded, .unfolded, .unfolded))
    // 32 channels in and out: direct, except with an AVX-512 BLAS (then Winograd's F(2×2, 3×3));
    // 1 → 32 direct with either.
    let square = try WindowGeometry(height: 14, width: 14, channels: 32, kernel: (3, 3), stride: (1, 1), padding: .same)
    #expect(Tensor.convolutionKernels(geometry: square, filters: 32)
      == (BLAS.hasAVX512Kernels ? (.winograd, .winograd, .winograd) : (.direct, .direct, .direct)))
    #expect(Tensor.convolutionKernels(geometry: few, filters: 32) == (.direct, .direct, .direct))
  }

  @Test func flippingAKernelTwiceGivesItBack() {
    let w = randomTensor([3, 2, 4, 5], seed: 15)
    let flipped = Tensor.flippedTransposedKernel(w)
    #expect(flipped.shape == [3, 2, 5, 4])
    // (ky, kx, f, c) of the flip is (2 - ky, 1 - kx, c, f) of the kernel.
    let (flippedIndex, index) = (((0 * 2 + 1) * 5 + 3) * 4 + 2, ((2 * 2 + 0) * 4 + 2) * 5 + 3)
    #expect(flipped.scalars[flippedIndex] == w.scalars[index])
    #expect(Tensor.flippedTransposedKernel(flipped).scalars == w.scalars)
  }
}
