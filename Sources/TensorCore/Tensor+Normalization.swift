import CKernels

/// Generalized divisive normalization (GDN) and the element-wise parts of its gradient
/// (`Variable.divisivelyNormalized` puts them together).
extension Tensor {
  /// Rows `x` (`[rows, C]`) divided by their norms `n = √(β + x²·γ)`, or multiplied by them when
  /// `inverse`, given `squares` (x², which the gradient reuses too), `beta` `[C]` and `gamma`
  /// `[C, C]` (`j` down, `i` across); and the norms, which the gradient reuses. The norms' squares
  /// are one BLAS product added to `β` in each row; the rest is one pass (`aek_gdn_forward`).
  public static func divisiveNormalization(_ x: Tensor, squares: Tensor, beta: Tensor, gamma: Tensor, inverse: Bool)
    -> (output: Tensor, norms: Tensor)
  {
    precondition(x.rank == 2 && squares.shape == x.shape && beta.shape == [x.shape[1]] && gamma.shape == [x.shape[1], x.shape[1]],
                 "divisive normalization of \(x.shape) with beta \(beta.shape), gamma \(gamma.shape)")
    var norms = Tensor(shape: x.shape) { out in _ = fillRows(out.baseAddress!, rows: x.shape[0], with: beta) }
    matmul(squares, gamma, accumulatingInto: &norms, beta: 1)  // n²
    let output = Tensor(shape: x.shape) { out in
      x.withUnsafeBufferPointer { px in
        norms.withUnsafeMutableBufferPointer { pn in
          Parallel.forEachChunk(out.count) { r in
            aek_gdn_forward(r.count, inverse ? 1 : 0, px.baseAddress! + r.lowerBound, pn.baseAddress! + r.lowerBound, out.baseAddress! + r.lowerBound)
          }
        }
      }
    }
    return (output, norms)
  }

  /// The element-wise part of its gradient for `upstream` g: `direct = g / n` and
  /// `w = −g·x / n³` (when `inverse`: `g · n` and `g·x / n`), from which the input's gradient is
  /// `direct + x · (w·γᵀ)` and the parameters' are products of `w`.
  public static func divisiveNormalizationBackward(_ upstream: Tensor, input x: Tensor, norms: Tensor, inverse: Bool) -> (direct: Tensor, w: Tensor) {
    precondition(upstream.shape == x.shape && norms.shape == x.shape, "divisive normalization gradient of \(upstream.shape) for \(x.shape)")
    var w = Tensor(shape: x.shape) { _ in }
    let direct = Tensor(shape: x.shape) { out in
      x.withUnsafeBufferPointer { px in
        norms.withUnsafeBufferPointer { pn in
          upstream.withUnsafeBufferPointer { pg in
            w.withUnsafeMutableBufferPointer { pw in
              Parallel.forEachChunk(out.count) { r in
                aek_gdn_backward(r.count, inverse ? 1 : 0, px.baseAddress! + r.lowerBound, pn.baseAddress! + r.lowerBound, pg.baseAddress! + r.lowerBound,
                                 out.baseAddress! + r.lowerBound, pw.baseAddress! + r.lowerBound)
              }
            }
          }
        }
      }
    }
    return (direct, w)
  }

  /// `self += a · b`, element-wise, in place.
  public mutating func addProduct(_ a: Tensor, _ b: Tensor) {
    precondition(a.shape == shape && b.shape == shape, "adding the product of \(a.shape) and \(b.shape) to \(shape)")
    withUnsafeMutableBufferPointer { out in
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          Parallel.forEachChunk(out.count) { r in
            aek_multiply_add(r.count, pa.baseAddress! + r.lowerBound, pb.baseAddress! + r.lowerBound, out.baseAddress! + r.lowerBound)
          }
        }
      }
    }
  }
}
