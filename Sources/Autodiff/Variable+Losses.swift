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
    precondition(value.shape == targets.shape, "cross-entropy of logits \(value.shape) against targets \(targets.shape)")
    let total = value.withUnsafeBufferPointer { x in
      targets.withUnsafeBufferPointer { t in aek_bce_logits(x.count, x.baseAddress, t.baseAddress) }
    }
    return Variable.record(Tensor(scale * Float(total)), operation: "binaryCrossEntropy", inputs: [self]) { g in
      let factor = g.scalar * scale
      return [Tensor(shape: self.value.shape) { out in
        self.value.withUnsafeBufferPointer { x in
          targets.withUnsafeBufferPointer { t in
            aek_bce_logits_backward(out.count, factor, x.baseAddress, t.baseAddress, out.baseAddress)
          }
        }
      }]
    }
  }
}
