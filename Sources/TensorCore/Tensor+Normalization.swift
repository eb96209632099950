import CKernels

/// The element-wise parts of generalized divisive normalization (GDN), whose norms
/// `n = √(β + x²·γ)` come from one matrix product (`Variable.divisivelyNormalized`).
extension Tensor {
  /// `x / n`, or `x · n` when `inverse`, given `norms` holding n² (the shape of `x`), which it
  /// turns into the norms in place for the gradient to reuse.
  public static func divisiveNormalization(_ x: Tensor, norms: inout Tensor, inverse: Bool) -> Tensor {
    precondition(x.shape == norms.shape, "divisive normalization of \(x.shape) with norms \(norms.shape)")
    return Tensor(shape: x.shape) { out in
      x.withUnsafeBufferPointer { px in
        norms.withUnsafeMutableBufferPointer { pn in
          Parallel.forEachChunk(out.count) { r in
            aek_gdn_forward(r.count, inverse ? 1 : 0, px.baseAddress! + r.lowerBound, pn.baseAddress! + r.lowerBound, out.baseAddress! + r.lowerBound)
          }
        }
      }
    }
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
