import TensorCore
import TestSupport
import Testing

@Suite struct TensorNormalizationTests {
  static var levels: [SIMDLevel] { SIMDLevel.allCases.filter { $0.rawValue <= SIMDLevel.supported.rawValue } }

  // 1,100 rows of 3 channels: blocks of 5,461 rows hold them all; 6,000 rows of 3 span two blocks
  // and end in a part of one; 37 rows of 3: whole vectors and a remainder at every level.
  static let shapes = [[37, 3], [6000, 3], [1100, 24], [700, 32], [300, 8]]  // 32 and 8 take the channel sums' vector branches

  /// n_i = √(β_i + Σ_j γ_ji x_j²) for every row, written out.
  static func expectedNorms(_ rows: Tensor, beta: Tensor, gamma: Tensor) -> [Float] {
    let (count, c) = (rows.shape[0], rows.shape[1])
    let (v, b, g) = (rows.scalars, beta.scalars, gamma.scalars)
    return (0..<(count * c)).map { index -> Float in
      let (row, i) = (index / c, index % c)
      return (b[i] + (0..<c).reduce(Float(0)) { $0 + g[$1 * c + i] * v[row * c + $1] * v[row * c + $1] }).squareRoot()
    }
  }

  static func inputs(_ shape: [Int]) -> (x: Tensor, beta: Tensor, gamma: Tensor, upstream: Tensor) {
    let c = shape[1]
    return (randomTensor(shape, seed: 24), randomTensor([c], in: 0.5..<1.5, seed: 25), randomTensor([c, c], in: 0..<0.5, seed: 26),
            randomTensor(shape, seed: 27))
  }

  @Test(arguments: levels) func theForwardPassMatchesItsDefinition(level: SIMDLevel) {
    for shape in Self.shapes {
      let (rows, beta, gamma, _) = Self.inputs(shape)
      let norms = Self.expectedNorms(rows, beta: beta, gamma: gamma)
      for inverse in [false, true] {
        let (output, computed) = SIMDLevel.withKernels(at: level) { Tensor.divisiveNormalization(rows, beta: beta, gamma: gamma, inverse: inverse) }
        expectClose(computed.scalars, norms, rtol: 1e-5, atol: 0, "\(shape)")
        expectClose(output.scalars, zip(rows.scalars, norms).map { inverse ? $0 * $1 : $0 / $1 }, rtol: 1e-5, atol: 0, "\(shape), inverse \(inverse)")
      }
    }
  }

  @Test(arguments: levels) func theGradientsMatchTheirDefinitions(level: SIMDLevel) {
    for shape in Self.shapes {
      let (x, beta, gamma, upstream) = Self.inputs(shape)
      let (count, c) = (shape[0], shape[1])
      let n = Self.expectedNorms(x, beta: beta, gamma: gamma), (v, g, gm) = (x.scalars, upstream.scalars, gamma.scalars)
      let norms = Tensor(shape: shape, scalars: n)
      for inverse in [false, true] {
        // w, then each gradient written out in double precision.
        var w = [Double](repeating: 0, count: count * c)
        for index in 0..<(count * c) {
          let (gi, vi, ni) = (Double(g[index]), Double(v[index]), Double(n[index]))
          w[index] = inverse ? gi * vi / ni : -gi * vi / (ni * ni * ni)
        }
        var input = [Float](repeating: 0, count: count * c)
        var betaGradient = [Double](repeating: 0, count: c), gammaGradient = [Double](repeating: 0, count: c * c)
        for row in 0..<count {
          for k in 0..<c {
            let index = row * c + k
            var spread = 0.0
            for i in 0..<c { spread += w[row * c + i] * Double(gm[k * c + i]) }
            let direct = inverse ? Double(g[index]) * Double(n[index]) : Double(g[index]) / Double(n[index])
            input[index] = Float(direct + Double(v[index]) * spread)
            betaGradient[k] += 0.5 * w[index]
            for i in 0..<c { gammaGradient[k * c + i] += 0.5 * Double(v[index]) * Double(v[index]) * w[row * c + i] }
          }
        }
        let all = SIMDLevel.withKernels(at: level) {
          Tensor.divisiveNormalizationGradients(upstream, input: x, norms: norms, beta: beta, gamma: gamma, inverse: inverse,
                                                forInput: true, forBeta: true, forGamma: true)
        }
        let scale = Float(count).squareRoot()  // sums over rows carry their rounding
        expectClose(all.input!.scalars, input, rtol: 1e-4, atol: 1e-5, "\(shape), inverse \(inverse)")
        expectClose(all.beta!.scalars, betaGradient.map { Float($0) }, rtol: 1e-4, atol: 1e-5 * scale, "\(shape), inverse \(inverse)")
        expectClose(all.gamma!.scalars, gammaGradient.map { Float($0) }, rtol: 1e-4, atol: 1e-5 * scale, "\(shape), inverse \(inverse)")
        // Asked for one at a time, each is the same (the others skipped, not computed differently).
        let some = SIMDLevel.withKernels(at: level) {
          Tensor.divisiveNormalizationGradients(upstream, input: x, norms: norms, beta: beta, gamma: gamma, inverse: inverse,
                                                forInput: false, forBeta: false, forGamma: true)
        }
        #expect(some.input == nil && some.beta == nil)
        #expect(some.gamma!.scalars == all.gamma!.scalars)
      }
    }
  }

  @Test func twoThreadsGiveTheSameBitsEveryRunAndOneThreadsSumsToRounding() {
    let (x, beta, gamma, upstream) = Self.inputs([6000, 24])
    let norms = Tensor.divisiveNormalization(x, beta: beta, gamma: gamma, inverse: false).norms
    let run = {
      Parallel.withThreads(2) {
        Tensor.divisiveNormalizationGradients(upstream, input: x, norms: norms, beta: beta, gamma: gamma, inverse: false,
                                              forInput: true, forBeta: true, forGamma: true)
      }
    }
    let (first, second) = (run(), run())
    let same = first.input!.scalars == second.input!.scalars && first.beta!.scalars == second.beta!.scalars && first.gamma!.scalars == second.gamma!.scalars
    #expect(same)
    // And the split's sums match one thread's to rounding.
    let single = Parallel.withThreads(1) {
      Tensor.divisiveNormalizationGradients(upstream, input: x, norms: norms, beta: beta, gamma: gamma, inverse: false,
                                            forInput: true, forBeta: true, forGamma: true)
    }
    expectClose(first.gamma!.scalars, single.gamma!.scalars, rtol: 1e-4, atol: 1e-4)
    expectClose(first.input!.scalars, single.input!.scalars, rtol: 1e-5, atol: 1e-6)
  }
}
