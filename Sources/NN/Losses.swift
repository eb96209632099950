import Autodiff
import TensorCore

/// How a loss combines the per-element terms of a batch.
public enum LossReduction: String, Codable, Sendable, CaseIterable {
  /// The mean over every element of the batch (Keras's default): per pixel.
  case mean
  /// The sum over each example's elements, averaged over the examples: per image. This is the
  /// reconstruction term of a VAE's evidence lower bound, and it does not scale with batch size.
  case sum

  /// What one unit of the reduced loss counts: "pixel" or "image".
  public var per: String { self == .mean ? "pixel" : "image" }

  /// The divisor that turns a sum over these examples (`shape`, examples first) into this
  /// reduction over a batch of `batchSize` examples (nil: the examples in `shape`). Given a shard
  /// of a batch, the reduced sum is the shard's share of the batch's loss: the shares add up.
  func divisor(for shape: [Int], batchSize: Int?) -> Float {
    let examples = batchSize ?? shape.first ?? 1
    return Float(self == .mean ? examples * shape.dropFirst().reduce(1, *) : examples)
  }
}

/// Binary cross-entropy, Keras's definition: `-[t·log(p) + (1 - t)·log(1 - p)]` per element.
///
/// When `predicted` is the output of `sigmoid()`, the loss is computed from its logits x as
/// `max(x, 0) - x·t + log(1 + exp(-|x|))`, which is exact where `log(p)` would round to
/// `log(0)` (Keras does the same). Otherwise `p` is clipped to `[1e-7, 1 - 1e-7]`, as Keras does.
///
/// - Parameters:
///   - predicted: Probabilities, or the output of `sigmoid()`.
///   - expected: Targets in `[0, 1]`, the same shape.
///   - batchSize: When `predicted` is a shard of a larger batch, that batch's example count: the
///     result is then this shard's share of the batch's loss (the shards' shares add up to it).
/// - Returns: A scalar in nats per pixel (`.mean`) or per image (`.sum`).
public func binaryCrossEntropy(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean,
                               batchSize: Int? = nil) -> Variable {
  precondition(predicted.shape == expected.shape, "binary cross-entropy of \(predicted.shape) against \(expected.shape)")
  let scale = 1 / reduction.divisor(for: expected.shape, batchSize: batchSize)
  if let logits = predicted.logits {
    return logits.binaryCrossEntropySum(logitsAgainst: expected, scale: scale)
  }
  let epsilon: Float = 1e-7
  let p = predicted.clamped(to: epsilon...(1 - epsilon))
  let terms = expected * p.log() + (1 - expected) * (1 - p).log()
  return terms.sum() * -scale
}

/// Mean squared error: `(predicted - expected)²` per element (`batchSize` as for binary
/// cross-entropy).
public func meanSquaredError(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean,
                             batchSize: Int? = nil) -> Variable {
  precondition(predicted.shape == expected.shape, "squared error of \(predicted.shape) against \(expected.shape)")
  return (predicted - expected).squared().sum() / reduction.divisor(for: expected.shape, batchSize: batchSize)
}

/// Mean absolute error: `|predicted - expected|` per element (`batchSize` as for binary
/// cross-entropy).
public func meanAbsoluteError(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean,
                              batchSize: Int? = nil) -> Variable {
  precondition(predicted.shape == expected.shape, "absolute error of \(predicted.shape) against \(expected.shape)")
  return (predicted - expected).abs().sum() / reduction.divisor(for: expected.shape, batchSize: batchSize)
}

/// A reconstruction loss, by name.
public enum Loss: String, Codable, Sendable, CaseIterable {
  case binaryCrossEntropy = "bce"
  case meanSquaredError = "mse"
  case meanAbsoluteError = "mae"
  /// Softmax cross-entropy of logits against token ids: a token model's (`Architecture.vocabulary`).
  case categoricalCrossEntropy = "cce"

  /// The loss of `predicted` against `expected`; given the `batchSize` of a batch that
  /// `predicted` is a shard of, this shard's share of the batch's loss.
  public func callAsFunction(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean,
                             batchSize: Int? = nil) -> Variable {
    switch self {
    case .binaryCrossEntropy:
      NN.binaryCrossEntropy(predicted: predicted, expected: expected, reduction: reduction, batchSize: batchSize)
    case .meanSquaredError:
      NN.meanSquaredError(predicted: predicted, expected: expected, reduction: reduction, batchSize: batchSize)
    case .meanAbsoluteError:
      NN.meanAbsoluteError(predicted: predicted, expected: expected, reduction: reduction, batchSize: batchSize)
    case .categoricalCrossEntropy:
      predicted.softmaxCrossEntropySum(logitsAgainst: expected, scale: 1 / reduction.divisor(for: expected.shape, batchSize: batchSize))
    }
  }

  /// The full name: "binary cross-entropy".
  public var name: String {
    switch self {
    case .binaryCrossEntropy: "binary cross-entropy"
    case .meanSquaredError: "mean squared error"
    case .meanAbsoluteError: "mean absolute error"
    case .categoricalCrossEntropy: "categorical cross-entropy"
    }
  }

  /// The unit of the reduced loss, for pixel intensities in [0, 1]: "nats/pixel", "intensity²/image".
  ///
  /// - Parameter scaled: Whether the values are a table's scaled columns rather than pixel
  ///   intensities: the unit is then per value or per example, in scaled units.
  public func unit(_ reduction: LossReduction, scaled: Bool) -> String {
    guard scaled else { return unit(reduction) }
    let per = reduction == .mean ? "value" : "example"
    switch self {
    case .binaryCrossEntropy: return "nats/\(per)"
    case .meanSquaredError: return "scaled units²/\(per)"
    case .meanAbsoluteError: return "scaled units/\(per)"
    case .categoricalCrossEntropy: return unit(reduction)
    }
  }

  public func unit(_ reduction: LossReduction) -> String {
    switch self {
    case .binaryCrossEntropy: "nats/\(reduction.per)"
    case .meanSquaredError: "intensity²/\(reduction.per)"
    case .meanAbsoluteError: "intensity/\(reduction.per)"
    case .categoricalCrossEntropy: reduction == .mean ? "nats/token" : "nats/sequence"
    }
  }
}
