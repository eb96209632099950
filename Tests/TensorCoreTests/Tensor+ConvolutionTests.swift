import TensorCore
import TestSupport
import Testing

/// Direct loops, as the definitions read: the references the BLAS paths are checked against.
enum Reference {
  static func convolution(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: WindowGeometry) -> Tensor {
    let (n, f) = (x.shape[0], w.shape[3])
    let xs = x.scalars, ws = w.scalars
    var out = [Float](repeating: 0, count: n * g.positions * f)
    for i in 0..<n {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          for o in 0..<f {
            var sum = b?.scalars[o] ?? 0
            for ky in 0..<g.kernelHeight {
              for kx in 0..<g.kernelWidth {
                let y = oy * g.strideHeight + ky - g.padTop, xx = ox * g.strideWidth + kx - g.padLeft
                guard (0..<g.height).contains(y), (0..<g.width).contains(xx) else { continue }
                for c in 0..<g.channels {
                  sum += xs[((i * g.height + y) * g.width + xx) * g.channels + c] * ws[((ky * g.kernelWidth + kx) * g.channels + c) * f + o]
                }
              }
            }
            out[((i * g.outputHeight + oy) * g.outputWidth + ox) * f + o] = sum
          }
        }
      }
    }
    return Tensor(shape: [n, g.outputHeight, g.outputWidth, f], scalars: out)
  }

  /// Each input cell scatters its window: y[i, iy·s + ky - pad, ix·s + kx - pad, o] += x[i, iy, ix, c]·w[ky, kx, o, c].
  /// Each window's largest value per channel and its cell (within the image); the first cell
  /// wins ties, and only a larger value replaces it (so a NaN first cell stays).
  static func maxPooling(_ x: Tensor, _ g: WindowGeometry) -> (output: [Float], winners: [Int32]) {
    let xs = x.scalars, c = g.channels
    var output = [Float](), winners = [Int32]()
    for image in 0..<x.shape[0] {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          for channel in 0..<c {
            var best = Float.nan, winner = -1
            for ky in 0..<g.kernelHeight {
              for kx in 0..<g.kernelWidth {
                let (y, xx) = (oy * g.strideHeight + ky - g.padTop, ox * g.strideWidth + kx - g.padLeft)
                guard (0..<g.height).contains(y), (0..<g.width).contains(xx) else { continue }
                let cell = (y * g.width + xx) * c + channel
                let value = xs[image * g.height * g.width * c + cell]
                if winner < 0 || value > best { (best, winner) = (value, cell) }
              }
            }
            output.append(best)
            winners.append(Int32(winner))
          }
        }
      }
    }
    return (output, winners)
  }

  static func transposedConvolution(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ g: WindowGeometry) -> Tensor {
    let (n, cin, f) = (x.shape[0], x.shape[3], g.channels)
    let xs = x.scalars, ws = w.scalars
    var out = [Float](repeating: 0, count: n * g.imageSize)
    for i in 0..<n {
      for iy in 0..<g.outputHeight {
        for ix in 0..<g.outputWidth {
          for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
              let y = iy * g.strideHeight + ky - g.padTop, xx = ix * g.strideWidth + kx - g.padLeft
              guard (0..<g.height).contains(y), (0..<g.width).contains(xx) else { continue }
              for o in 0..<f {
                for c in 0..<cin {
                  out[((i * g.height + y) * g.width + xx) * f + o] +=
                    xs[((i * g.outputHeight + iy) * g.outputWidth + ix) * cin + c] * ws[((ky * g.kernelWidth + kx) * f + o) * cin + c]
                }
              }
            }
          }
        }
      }
    }
    if let b { for index in out.indices { out[index] += b.scalars[index % f] } }
    return Tensor(shape: [n, g.height, g.width, f], scalars: out)
  }
}

@Suite struct TensorConvolutionTests {
  @Test func convolutionByHand() throws {
    let image = Tensor(shape: [1, 3, 3, 1], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
    let diagonal = Tensor(shape: [2, 2, 1, 1], scalars: [1, 0, 0, 1])
    let valid = try WindowGeometry(height: 3, width: 3, channels: 1, kernel: (2, 2), stride: (1, 1), padding: .valid)
    #expect(image.convolved2D(with: diagonal, bias: nil, geometry: valid).scalars == [6, 8, 12, 14])
    // same with an even kernel: the one padding row and column go after the image.
    let same = try WindowGeometry(height: 3, width: 3, channels: 1, kernel: (2, 2), stride: (1, 1), padding: .same)
    #expect(image.convolved2D(with: diagonal, bias: Tensor([0.5]), geometry: same).scalars == [6, 8, 3, 12, 14, 6, 7, 8, 9].map { $0 + 0.5 })
    // stride 2, two filters: the identity and the sum of the window.
    let strided = try WindowGeometry(height: 3, width: 3, channels: 1, kernel: (2, 2), stride: (2, 2), padding: .same)
    let twoFilters = Tensor(shape: [2, 2, 1, 2], scalars: [1, 1, 0, 1, 0, 1, 0, 1])
    #expect(image.convolved2D(with: twoFilters, bias: nil, geometry: strided).scalars == [1, 12, 3, 9, 7, 15, 9, 9])
  }

  @Test func transposedConvolutionByHand() throws {
    let input = Tensor(shape: [1, 2, 2, 1], scalars: [1, 2, 3, 4])
    // 2×2 stride 2: each cell becomes a 2×2 block.
    let blocks = try WindowGeometry.transposed(height: 2, width: 2, channels: 1, kernel: (2, 2), stride: (2, 2), padding: .valid)
    #expect(input.transposedConvolved2D(with: .ones(shape: [2, 2, 1, 1]), bias: nil, geometry: blocks).scalars
      == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    // 3×3 stride 2 same (Keras): windows start at 0 and 2 and the last row and column are cut off.
    let same = try WindowGeometry.transposed(height: 2, width: 2, channels: 1, kernel: (3, 3), stride: (2, 2), padding: .same)
    #expect(input.transposedConvolved2D(with: .ones(shape: [3, 3, 1, 1]), bias: nil, geometry: same).scalars
      == [1, 1, 3, 2, 1, 1, 3, 2, 4, 4, 10, 6, 3, 3, 7, 4])
  }

  static let configurations: [(size: (Int, Int), channels: Int, kernel: Int, stride: Int, padding: Padding)] = [
    ((5, 5), 1, 3, 1, .same), ((5, 6), 2, 3, 1, .valid), ((6, 6), 3, 3, 2, .same), ((7, 5), 2, 3, 2, .valid),
    ((4, 4), 2, 1, 1, .valid), ((5, 5), 2, 2, 2, .same), ((6, 7), 1, 4, 1, .same), ((8, 8), 3, 5, 3, .same),
    // Five channels and more take the window-by-window unfolding; fewer, the offset-by-offset one.
    ((6, 6), 6, 3, 2, .same), ((5, 7), 8, 3, 1, .valid), ((7, 7), 5, 2, 1, .same),
  ]

  @Test(arguments: 0..<configurations.count) func convolutionMatchesTheDefinition(index: Int) throws {
    let c = Self.configurations[index]
    let g = try WindowGeometry(height: c.size.0, width: c.size.1, channels: c.channels, kernel: (c.kernel, c.kernel),
                               stride: (c.stride, c.stride), padding: c.padding)
    let x = randomTensor([3, c.size.0, c.size.1, c.channels], seed: 1)
    let w = randomTensor([c.kernel, c.kernel, c.channels, 4], seed: 2)
    let b = randomTensor([4], seed: 3)
    expectClose(x.convolved2D(with: w, bias: b, geometry: g), Reference.convolution(x, w, b, g), rtol: 1e-5, atol: 1e-5)
    expectClose(x.convolved2D(with: w, bias: nil, geometry: g), Reference.convolution(x, w, nil, g), rtol: 1e-5, atol: 1e-5)
  }

  @Test(arguments: 0..<configurations.count) func transposedConvolutionMatchesTheDefinition(index: Int) throws {
    let c = Self.configurations[index]
    let g = try WindowGeometry.transposed(height: c.size.0, width: c.size.1, channels: 4, kernel: (c.kernel, c.kernel),
                                          stride: (c.stride, c.stride), padding: c.padding)
    let x = randomTensor([3, c.size.0, c.size.1, c.channels], seed: 4)
    let w = randomTensor([c.kernel, c.kernel, 4, c.channels], seed: 5)
    let b = randomTensor([4], seed: 6)
    expectClose(x.transposedConvolved2D(with: w, bias: b, geometry: g), Reference.transposedConvolution(x, w, b, g), rtol: 1e-5, atol: 1e-5)
  }

  /// The gradient kernels are adjoints: ⟨conv(x), y⟩ = ⟨x, ∂/∂x⟩ for upstream y, and the transposed
  /// convolution is the input gradient of the convolution.
  @Test func transposedConvolutionIsTheConvolutionsInputGradient() throws {
    let g = try WindowGeometry(height: 10, width: 8, channels: 3, kernel: (3, 3), stride: (2, 2), padding: .same)
    let t = try WindowGeometry.transposed(height: 5, width: 4, channels: 3, kernel: (3, 3), stride: (2, 2), padding: .same)
    #expect(g == t)
    let w = randomTensor([3, 3, 3, 5], seed: 7), dy = randomTensor([2, 5, 4, 5], seed: 8)
    let viaGradient = Tensor.convolution2DGradients(input: .zeros(shape: [2, 10, 8, 3]), weight: w, outputGradient: dy, geometry: g,
                                                    forInput: true, forWeight: false, forBias: false).input!
    expectClose(dy.transposedConvolved2D(with: w, bias: nil, geometry: t), viaGradient, rtol: 1e-5, atol: 1e-5)
  }

  @Test func largeBatchesSplitAcrossThreadsGiveTheSameResults() throws {
    let g = try WindowGeometry(height: 12, width: 12, channels: 4, kernel: (3, 3), stride: (1, 1), padding: .same)
    let x = randomTensor([64, 12, 12, 4], seed: 9), w = randomTensor([3, 3, 4, 16], seed: 10), dy = randomTensor([64, 12, 12, 16], seed: 11)
    func run(_ threads: Int) -> [Tensor] {
      Parallel.withThreads(threads) {
        let r = Tensor.convolution2DGradients(input: x, weight: w, outputGradient: dy, geometry: g, forInput: true, forWeight: true, forBias: true)
        return [x.convolved2D(with: w, bias: nil, geometry: g), r.input!, r.weight!, r.bias!]
      }
    }
    let one = run(1), four = run(4)
    for (a, b) in zip(one, four) { expectClose(a, b, rtol: 1e-5, atol: 1e-4) }
    #expect(run(4).map(\.scalars) == four.map(\.scalars), "the same thread count gives the same bits")
    expectClose(one[0], Reference.convolution(x, w, nil, g), rtol: 1e-5, atol: 1e-4)
  }

  @Test func maxPoolingByHand() throws {
    let x = Tensor(shape: [1, 3, 3, 1], scalars: [1, 5, 2, 7, 3, 9, 4, 8, 6])
    let same = try WindowGeometry(height: 3, width: 3, channels: 1, kernel: (2, 2), stride: (2, 2), padding: .same)
    let (pooled, winners) = x.maxPooled2D(geometry: same)
    #expect(pooled.shape == [1, 2, 2, 1] && pooled.scalars == [7, 9, 8, 6])
    #expect(winners == [3, 5, 7, 8])
    let gradient = Tensor.maxPool2DGradient(Tensor(shape: [1, 2, 2, 1], scalars: [1, 2, 3, 4]), winners: winners, geometry: same)
    #expect(gradient.scalars == [0, 0, 0, 1, 0, 2, 0, 3, 4])
    // Ties go to the first cell; channels pool separately.
    let ties = Tensor(shape: [1, 2, 2, 2], scalars: [3, -1, 3, -2, 3, -1, 3, -3])
    let whole = try WindowGeometry(height: 2, width: 2, channels: 2, kernel: (2, 2), stride: (2, 2), padding: .valid)
    let (tied, tiedWinners) = ties.maxPooled2D(geometry: whole)
    #expect(tied.scalars == [3, -1] && tiedWinners == [0, 1])
  }

  /// 5×5 pools with a padded last row and column (the general kernel); 6×8, every window inside
  /// the image (the 2×2 kernel).
  @Test(arguments: [(5, 5), (6, 8)])
  func maxPoolingOverManyChannelsMatchesTheDefinitionAtEverySIMDLevel(h: Int, w: Int) throws {
    // 19 channels: full vectors and a remainder at each level. Values on a coarse grid tie often;
    // a NaN in a window's first cell wins its window, one in a later cell never does.
    let c = 19
    var scalars = randomTensor([2, h, w, c], seed: 7).scalars.map { ($0 * 4).rounded() }
    scalars[0] = .nan
    scalars[c + 1] = .nan
    let x = Tensor(shape: [2, h, w, c], scalars: scalars)
    let g = try WindowGeometry(height: h, width: w, channels: c, kernel: (2, 2), stride: (2, 2), padding: .same)
    let (expected, expectedWinners) = Reference.maxPooling(x, g)
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      let (pooled, winners) = SIMDLevel.withKernels(at: level) { x.maxPooled2D(geometry: g) }
      #expect(winners == expectedWinners, "\(level.name)")
      #expect(zip(pooled.scalars, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(level.name)")
      #expect(pooled.scalars[0].isNaN && !pooled.scalars[1].isNaN, "\(level.name)")
    }
  }

  /// The gradient sends each output's to its window's winner and zero elsewhere, on the 2×2 path
  /// (valid windows leaving a last row and column outside every window, and 6×8 all inside) and
  /// the general one (same padding), at every SIMD level; a -0 gradient lands as +0 on both.
  @Test(arguments: [(7, 9, Padding.valid), (6, 8, .valid), (5, 5, .same)])
  func maxPoolingGradientMatchesTheDefinitionAtEverySIMDLevel(h: Int, w: Int, padding: Padding) throws {
    let c = 11
    let x = Tensor(shape: [2, h, w, c], scalars: randomTensor([2, h, w, c], seed: 8).scalars.map { ($0 * 4).rounded() })
    let g = try WindowGeometry(height: h, width: w, channels: c, kernel: (2, 2), stride: (2, 2), padding: padding)
    var dyScalars = randomTensor([2, g.outputHeight, g.outputWidth, c], seed: 9).scalars
    dyScalars[0] = -0.0
    let dy = Tensor(shape: [2, g.outputHeight, g.outputWidth, c], scalars: dyScalars)
    let (_, winners) = Reference.maxPooling(x, g)
    var expected = [Float](repeating: 0, count: x.count)
    for (i, at) in winners.enumerated() { expected[i / (g.positions * c) * g.imageSize + Int(at)] += dy.scalars[i] }
    for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
      let gradient = SIMDLevel.withKernels(at: level) {
        Tensor.maxPool2DGradient(dy, winners: x.maxPooled2D(geometry: g).winners, geometry: g)
      }
      #expect(gradient.scalars.map(\.bitPattern) == expected.map(\.bitPattern), "\(level.name)")
    }
  }

  @Test func upsamplingRepeatsAndItsGradientSums() {
    let x = Tensor(shape: [1, 2, 2, 1], scalars: [1, 2, 3, 4])
    #expect(x.upsampled2D(by: (2, 3)).scalars == [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4])
    let g = Tensor(shape: [1, 4, 4, 1], scalars: (1...16).map(Float.init))
    let sums: [Float] = [1 + 2 + 5 + 6, 3 + 4 + 7 + 8, 9 + 10 + 13 + 14, 11 + 12 + 15 + 16]
    #expect(Tensor.upsampling2DGradient(g, factor: (2, 2)).scalars == sums)
  }
}
