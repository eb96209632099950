import CKernels
import TensorCore

extension Variable {
  /// `scale · Σ [max(x, 0) - x·t + log(1 + exp(-|x|))]`: binary cross-entropy summed over the
  /// elements of these logits `x` against `targets` t in [0, 1], times `scale`.
  /// `∂/∂x = g·scale·(sigmoid(x) - t)`.
  ///
  /// NOTE: its own rule, not composed from sigmoid and log, because `log(sigmoid(x))` rounds to
  /// `log(0)` for x below about -17 and its gradient then vanishes or turns NaN.
  public func binaryCrossEntropySum(logitsAgainst targets: Tensor, scale: Float) -> Variable {
    precondition(shape == targets.shape, "cross-entropy of logits \(shape) against targets \(targets.shape)")
    guard GradientMode.isEnabled, requiresGradient else {
      let total = value.withUnsafeBufferPointer { x in
        targets.withUnsafeBufferPointer { t in
          Parallel.sum(x.count) { r in aek_bce_logits(r.count, x.baseAddress! + r.lowerBound, t.baseAddress! + r.lowerBound) }
        }
      }
      return Variable(Tensor(scale * Float(total)))
    }
    // Training: the value and the gradient in one pass (one exp and one log per element).
    var gradient = Tensor(shape: shape) { _ in }
    let total = value.withUnsafeBufferPointer { x in
      targets.withUnsafeBufferPointer { t in
        gradient.withUnsafeMutableBufferPointer { g in
          Parallel.sum(x.count) { r in
            aek_bce_logits_fused(r.count, scale, x.baseAddress! + r.lowerBound, t.baseAddress! + r.lowerBound, g.baseAddress! + r.lowerBound)
          }
        }
      }
    }
    return Variable.record(Tensor(scale * Float(total)), operation: "binaryCrossEntropy", inputs: [self]) { g in
      [g.scalar == 1 ? gradient : gradient * g.scalar]
    }
  }
}
