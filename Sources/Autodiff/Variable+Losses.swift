import CKernels
import Foundation
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

extension Variable {
  /// `scale · Σ_r [log Σ_j exp(x[r, j]) − x[r, label_r]]`: the cross-entropy of the softmax over
  /// these logits' last axis against whole-number labels (one per row: `labels` has the logits'
  /// shape without its last axis), summed over the rows, times `scale` (Keras's
  /// `sparse_categorical_crossentropy` with `from_logits=True`, in nats).
  /// `∂/∂x[r, j] = g·scale·(softmax(x[r])_j − [j = label_r])`.
  ///
  /// - Precondition: every label is a whole number in `0 ..< x.shape.last`.
  public func softmaxCrossEntropySum(logitsAgainst labels: Tensor, scale: Float) -> Variable {
    let classes = shape.last ?? 0
    precondition(shape.count >= 2 && Array(shape.dropLast()) == labels.shape, "softmax cross-entropy of logits \(shape) against labels \(labels.shape)")
    let rows = labels.count
    let recording = GradientMode.isEnabled && requiresGradient
    var gradient = recording ? Tensor(shape: shape) { _ in } : Tensor(0)
    let total = value.withUnsafeBufferPointer { x in
      labels.withUnsafeBufferPointer { labels in
        gradient.withUnsafeMutableBufferPointer { g in
          let g = recording ? g.baseAddress : nil
          return Parallel.sum(rows) { range in
            var sum = 0.0
            for row in range {
              let logits = x.baseAddress! + row * classes
              let label = Int(labels[row])
              precondition(labels[row] >= 0 && label < classes && Float(label) == labels[row], "label \(labels[row]) of \(classes) classes")
              var largest = -Float.infinity
              for j in 0..<classes { largest = max(largest, logits[j]) }
              var exponentials = Float(0)
              for j in 0..<classes { exponentials += Foundation.exp(logits[j] - largest) }
              let logSum = largest + Foundation.log(exponentials)
              sum += Double(logSum - logits[label])
              if let g {
                let out = g + row * classes
                for j in 0..<classes { out[j] = scale * Foundation.exp(logits[j] - logSum) }
                out[label] -= scale
              }
            }
            return sum
          }
        }
      }
    }
    return Variable.record(Tensor(scale * Float(total)), operation: "softmaxCrossEntropy", inputs: [self]) { g in
      [g.scalar == 1 ? gradient : gradient * g.scalar]
    }
  }
}
