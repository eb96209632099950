import CKernels

/// Generalized divisive normalization (GDN): the forward pass and the gradients
/// `Variable.divisivelyNormalized` records, each one pass over blocks of rows (`aek_gdn_forward_rows`,
/// `aek_gdn_backward_rows`) so a block's values, its products by `γ` and its results stay in cache.
extension Tensor {
  /// Rows `x` (`[rows, C]`) divided by their norms `n = √(β + x²·γ)`, or multiplied by them when
  /// `inverse`, for `beta` `[C]` and `gamma` `[C, C]` (`j` down, `i` across); and the norms, which
  /// the gradients reuse.
  public static func divisiveNormalization(_ x: Tensor, beta: Tensor, gamma: Tensor, inverse: Bool) -> (output: Tensor, norms: Tensor) {
    let (rows, channels) = checkedNormalizationShape(x, beta: beta, gamma: gamma)
    var norms = Tensor(shape: x.shape) { _ in }
    let output = Tensor(shape: x.shape) { out in
      x.withUnsafeBufferPointer { px in
        beta.withUnsafeBufferPointer { pb in
          gamma.withUnsafeBufferPointer { pc in
            norms.withUnsafeMutableBufferPointer { pn in
              forEachRowChunk(rows: rows, channels: channels) { _, range, scratch in
                let offset = range.lowerBound * channels
                aek_gdn_forward_rows(range.count, channels, inverse ? 1 : 0, px.baseAddress! + offset, pb.baseAddress!, pc.baseAddress!,
                                     pn.baseAddress! + offset, out.baseAddress! + offset, scratch)
              }
            }
          }
        }
      }
    }
    return (output, norms)
  }

  /// The gradients of `divisiveNormalization` for `upstream` g, each computed only when asked
  /// for: with `w = −g·x / n³` (when `inverse`, `g·x / n`), the input's `g / n + x · (w·γᵀ)`
  /// (`g · n + …`), β's `½ Σ_rows w` and γ's `½ (x²)ᵀ · w`.
  public static func divisiveNormalizationGradients(_ upstream: Tensor, input x: Tensor, norms: Tensor, beta: Tensor, gamma: Tensor, inverse: Bool,
                                                    forInput: Bool, forBeta: Bool, forGamma: Bool) -> (input: Tensor?, beta: Tensor?, gamma: Tensor?) {
    let (rows, channels) = checkedNormalizationShape(x, beta: beta, gamma: gamma)
    precondition(upstream.shape == x.shape && norms.shape == x.shape, "divisive normalization gradient of \(upstream.shape) for \(x.shape)")
    let chunks = rowChunks(rows: rows, channels: channels).count
    // β's and γ's gradients summed per chunk of rows, then the chunks added in order.
    var betaPartials: Tensor? = forBeta ? Tensor.zeros(shape: [chunks, channels]) : nil
    var gammaPartials: Tensor? = forGamma ? Tensor.zeros(shape: [chunks, channels * channels]) : nil
    var inputGradient = forInput ? Tensor(shape: x.shape) { _ in } : nil
    x.withUnsafeBufferPointer { px in
      norms.withUnsafeBufferPointer { pn in
        upstream.withUnsafeBufferPointer { pg in
          gamma.withUnsafeBufferPointer { pc in
            withOptionalMutablePointer(&inputGradient) { dx in
              withOptionalMutablePointer(&betaPartials) { db in
                withOptionalMutablePointer(&gammaPartials) { dg in
                  forEachRowChunk(rows: rows, channels: channels) { chunk, range, scratch in
                    let offset = range.lowerBound * channels
                    aek_gdn_backward_rows(range.count, channels, inverse ? 1 : 0, px.baseAddress! + offset, pn.baseAddress! + offset,
                                          pg.baseAddress! + offset, pc.baseAddress!, dx.map { $0 + offset }, db.map { $0 + chunk * channels },
                                          dg.map { $0 + chunk * channels * channels }, scratch)
                  }
                }
              }
            }
          }
        }
      }
    }
    return (inputGradient, betaPartials.map { $0.sum(alongAxis: 0).reshaped(to: [channels]) },
            gammaPartials.map { $0.sum(alongAxis: 0).reshaped(to: [channels, channels]) })
  }

  private static func checkedNormalizationShape(_ x: Tensor, beta: Tensor, gamma: Tensor) -> (rows: Int, channels: Int) {
    precondition(x.rank == 2 && x.shape[1] > 0 && beta.shape == [x.shape[1]] && gamma.shape == [x.shape[1], x.shape[1]],
                 "divisive normalization of \(x.shape) with beta \(beta.shape), gamma \(gamma.shape)")
    return (x.shape[0], x.shape[1])
  }

  /// Runs `body` on chunks of whole rows (one per thread where large enough, the same chunks
  /// for the same thread count), each with its own scratch for the GDN kernels.
  private static func forEachRowChunk(rows: Int, channels: Int, _ body: (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
    BLAS.ensureLoaded()  // the kernels call BLAS themselves
    let scratchCount = aek_gdn_scratch_floats(channels)
    let ranges = rowChunks(rows: rows, channels: channels)
    Parallel.forEachPart(ranges.count) { part in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: scratchCount) { scratch in body(part, ranges[part], scratch.baseAddress!) }
    }
  }

  /// The element chunks of `Parallel.chunks`, cut at row boundaries (at least one, maybe empty).
  private static func rowChunks(rows: Int, channels: Int) -> [Range<Int>] {
    let ranges = Parallel.chunks(rows * channels).map {
      ($0.lowerBound + channels - 1) / channels..<($0.upperBound + channels - 1) / channels
    }.filter { !$0.isEmpty }
    return ranges.isEmpty ? [0..<rows] : ranges
  }
}
