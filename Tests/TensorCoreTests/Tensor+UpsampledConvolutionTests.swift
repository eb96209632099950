@testable import TensorCore
import TestSupport
import Testing

@Suite struct TensorUpsampledConvolutionTests {
  /// Stored size, upsampling factor, channels, filters, kernel, padding, and the output phases the
  /// pair is split into (0: fused into the direct kernels' padding instead). The Keras blog
  /// decoder's pairs (8 → 8 from 4×4, too small to split; 8 → 16 and 16 → 1 split in four, the
  /// last with its one filter over channel vectors), one channel (its own forward tile), mixed and
  /// uneven factors, valid padding, a 5×5 kernel; split, the same with a factor of 1 down, 3
  /// across, valid padding, and a 5×5 kernel whose phases are 3 taps wide.
  static let configurations: [(size: (Int, Int), factor: (Int, Int), channels: Int, filters: Int, kernel: Int, padding: Padding, phases: Int)] = [
    ((4, 4), (2, 2), 8, 8, 3, .same, 0), ((7, 7), (2, 2), 8, 16, 3, .same, 4), ((7, 6), (2, 2), 16, 1, 3, .same, 4),
    ((5, 4), (1, 2), 1, 8, 3, .same, 0), ((3, 5), (2, 3), 8, 24, 3, .valid, 0), ((4, 3), (3, 1), 16, 3, 5, .same, 0),
    ((8, 9), (1, 2), 8, 8, 3, .same, 2), ((8, 6), (2, 3), 8, 16, 3, .valid, 6), ((6, 7), (2, 2), 16, 8, 5, .same, 4),
    ((8, 8), (2, 2), 8, 8, 3, .valid, 4),
  ]

  /// Every pass gives what upsampling and convolving apart give, at every SIMD level the CPU runs,
  /// with and without the fused relu, and with the input's gradient or without it: the same bits
  /// where fused into the padding (the same products in the same order), within float rounding
  /// where split into phases (the offsets that land on one stored cell are added first).
  @Test(arguments: 0..<configurations.count) func givesWhatUpsamplingThenConvolvingGivesAtEverySIMDLevel(index: Int) throws {
    let c = Self.configurations[index]
    let (h, w) = (c.size.0 * c.factor.0, c.size.1 * c.factor.1)
    let g = try WindowGeometry(height: h, width: w, channels: c.channels, kernel: (c.kernel, c.kernel), stride: (1, 1), padding: c.padding)
    let x = randomTensor([3, c.size.0, c.size.1, c.channels], seed: 61), weight = randomTensor([c.kernel, c.kernel, c.channels, c.filters], seed: 62)
    let bias = randomTensor([c.filters], seed: 63), dy = randomTensor([3, g.outputHeight, g.outputWidth, c.filters], seed: 64)
    func expectSame(_ got: Tensor?, _ expected: Tensor?, _ what: String) {
      #expect(got?.shape == expected?.shape, "\(what)")
      guard let got, let expected else { return }
      if c.phases == 0 { #expect(got.scalars == expected.scalars, "\(what)") } else { expectClose(got, expected, rtol: 1e-5, atol: 1e-5) }
    }
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      SIMDLevel.withKernels(at: level) {
        Tensor.withConvolutionKernels(.direct) {
          let plan = Tensor.upsampledConvolutionPlan(geometry: g, factor: c.factor, filters: c.filters)
          #expect(plan.phases == c.phases)
          #expect(plan.kernels.forward == .direct && plan.kernels.inputGradient == .direct && plan.kernels.weightGradient == .direct)
          for rectified in [false, true] {
            let upsampled = x.upsampled2D(by: c.factor)
            let apart = upsampled.convolved2D(with: weight, bias: bias, geometry: g, rectified: rectified)
            let fused = x.upsampledConvolved2D(by: c.factor, with: weight, bias: bias, geometry: g, rectified: rectified)
            expectSame(fused, apart, "\(level.name) relu \(rectified)")
            for forInput in [true, false] {
              // The relu's mask from the operation's own output: a value near zero may round to the other side.
              let expected = Tensor.convolution2DGradients(input: upsampled, weight: weight, outputGradient: dy, geometry: g, forInput: forInput,
                                                           forWeight: true, forBias: true, rectifiedOutput: rectified ? fused : nil)
              let got = Tensor.upsampledConvolution2DGradients(input: x, factor: c.factor, weight: weight, outputGradient: dy, geometry: g,
                                                               forInput: forInput, forWeight: true, forBias: true,
                                                               rectifiedOutput: rectified ? fused : nil)
              expectSame(got.input, expected.input.map { Tensor.upsampling2DGradient($0, factor: c.factor) }, "\(level.name) input")
              expectSame(got.weight, expected.weight, "\(level.name) weight, relu \(rectified), input \(forInput)")
              expectSame(got.bias, expected.bias, "\(level.name) bias, relu \(rectified), input \(forInput)")
            }
          }
        }
      }
    }
  }

  /// Sixty random pairs (sizes 1 to 9, factors 1 to 3, kernels 1 to 5, either padding, 1 to 16
  /// channels and filters, either preference): split or not, the operation gives what upsampling
  /// and convolving apart give, forward and backward, with its relu.
  @Test func randomPairsGiveWhatTheTwoOperationsGive() throws {
    var generator = SplitMix64(seed: 72)
    var split = 0
    for trial in 0..<60 {
      func draw(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(generator.next() % UInt64(range.count)) }
      let factor = (draw(1...3), draw(1...3)), size = (draw(1...9), draw(1...9)), kernel = (draw(1...5), draw(1...5))
      let channels = [1, 3, 8, 16][draw(0...3)], filters = [1, 5, 8, 16][draw(0...3)]
      let padding: Padding = draw(0...1) == 0 ? .same : .valid
      guard let g = try? WindowGeometry(height: size.0 * factor.0, width: size.1 * factor.1, channels: channels, kernel: kernel,
                                        stride: (1, 1), padding: padding) else { continue }
      let preference: ConvolutionPreference = draw(0...1) == 0 ? .byShape : .products
      let x = randomTensor([2, size.0, size.1, channels], seed: UInt64(100 + trial)), weight = randomTensor([kernel.0, kernel.1, channels, filters], seed: 73)
      let bias = randomTensor([filters], seed: 74), dy = randomTensor([2, g.outputHeight, g.outputWidth, filters], seed: 75)
      try Tensor.withConvolutionKernels(preference) {
        if Tensor.upsampledConvolutionPlan(geometry: g, factor: factor, filters: filters).phases > 0 { split += 1 }
        let fused = x.upsampledConvolved2D(by: factor, with: weight, bias: bias, geometry: g, rectified: true)
        let upsampled = x.upsampled2D(by: factor)
        expectClose(fused, upsampled.convolved2D(with: weight, bias: bias, geometry: g, rectified: true), rtol: 1e-5, atol: 1e-5)
        let got = Tensor.upsampledConvolution2DGradients(input: x, factor: factor, weight: weight, outputGradient: dy, geometry: g, forInput: true,
                                                         forWeight: true, forBias: true, rectifiedOutput: fused)
        let apart = Tensor.convolution2DGradients(input: upsampled, weight: weight, outputGradient: dy, geometry: g, forInput: true,
                                                  forWeight: true, forBias: true, rectifiedOutput: fused)
        expectClose(try #require(got.input), Tensor.upsampling2DGradient(try #require(apart.input), factor: factor), rtol: 1e-4, atol: 1e-4)
        expectClose(try #require(got.weight), try #require(apart.weight), rtol: 1e-4, atol: 1e-4)
        expectClose(try #require(got.bias), try #require(apart.bias), rtol: 1e-4, atol: 1e-4)
      }
    }
    #expect(split >= 10, "only \(split) of the random pairs were split into phases")
  }

  /// Split into phases with matrix products (each phase's convolution by im2col + sgemm, whose
  /// windows reach past the stored image's last row and column), as apart.
  @Test func splitsIntoPhasesWithMatrixProductsToo() throws {
    let g = try WindowGeometry(height: 16, width: 14, channels: 3, kernel: (3, 3), stride: (1, 1), padding: .same)
    let x = randomTensor([2, 8, 7, 3], seed: 68), weight = randomTensor([3, 3, 3, 5], seed: 69), dy = randomTensor([2, 16, 14, 5], seed: 70)
    let bias = randomTensor([5], seed: 71)
    try Tensor.withConvolutionKernels(.products) {
      #expect(Tensor.upsampledConvolutionPlan(geometry: g, factor: (2, 2), filters: 5).phases == 4)
      let split = x.upsampledConvolved2D(by: (2, 2), with: weight, bias: bias, geometry: g, rectified: true)
      expectClose(split, x.upsampled2D(by: (2, 2)).convolved2D(with: weight, bias: bias, geometry: g, rectified: true), rtol: 1e-5, atol: 1e-5)
      let gradients = Tensor.upsampledConvolution2DGradients(input: x, factor: (2, 2), weight: weight, outputGradient: dy, geometry: g,
                                                             forInput: true, forWeight: true, forBias: true, rectifiedOutput: split)
      let apart = Tensor.convolution2DGradients(input: x.upsampled2D(by: (2, 2)), weight: weight, outputGradient: dy, geometry: g,
                                                forInput: true, forWeight: true, forBias: true, rectifiedOutput: split)
      expectClose(try #require(gradients.input), Tensor.upsampling2DGradient(try #require(apart.input), factor: (2, 2)), rtol: 1e-5, atol: 1e-5)
      expectClose(try #require(gradients.weight), try #require(apart.weight), rtol: 1e-5, atol: 1e-5)
      expectClose(try #require(gradients.bias), try #require(apart.bias), rtol: 1e-5, atol: 1e-5)
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
