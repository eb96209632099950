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

  /// The divisor that turns a sum over the batch into this reduction.
  func divisor(for shape: [Int]) -> Float {
    let count = shape.reduce(1, *)
    return Float(self == .mean ? count : (shape.first ?? 1))
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
/// - Returns: A scalar in nats per pixel (`.mean`) or per image (`.sum`).
public func binaryCrossEntropy(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean) -> Variable {
  precondition(predicted.shape == expected.shape, "binary cross-entropy of \(predicted.shape) against \(expected.shape)")
  let scale = 1 / reduction.divisor(for: expected.shape)
  if let logits = predicted.logits {
    return logits.binaryCrossEntropySum(logitsAgainst: expected, scale: scale)
  }
  let epsilon: Float = 1e-7
  let p = predicted.clamped(to: epsilon...(1 - epsilon))
  let terms = expected * p.log() + (1 - expected) * (1 - p).log()
  return terms.sum() * -scale
}

/// Mean squared error: `(predicted - expected)²` per element.
public func meanSquaredError(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean) -> Variable {
  precondition(predicted.shape == expected.shape, "squared error of \(predicted.shape) against \(expected.shape)")
  return (predicted - expected).squared().sum() / reduction.divisor(for: expected.shape)
}

/// Mean absolute error: `|predicted - expected|` per element.
public func meanAbsoluteError(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean) -> Variable {
  precondition(predicted.shape == expected.shape, "absolute error of \(predicted.shape) against \(expected.shape)")
  return (predicted - expected).abs().sum() / reduction.divisor(for: expected.shape)
}

/// A reconstruction loss, by name.
public enum Loss: String, Codable, Sendable, CaseIterable {
  case binaryCrossEntropy = "bce"
  case meanSquaredError = "mse"
  case meanAbsoluteError = "mae"

  /// The loss of `predicted` against `expected`.
  public func callAsFunction(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean) -> Variable {
    switch self {
    case .binaryCrossEntropy: NN.binaryCrossEntropy(predicted: predicted, expected: expected, reduction: reduction)
    case .meanSquaredError: NN.meanSquaredError(predicted: predicted, expected: expected, reduction: reduction)
    case .meanAbsoluteError: NN.meanAbsoluteError(predicted: predicted, expected: expected, reduction: reduction)
    }
  }

  /// The full name: "binary cross-entropy".
  public var name: String {
    switch self {
    case .binaryCrossEntropy: "binary cross-entropy"
    case .meanSquaredError: "mean squared error"
    case .meanAbsoluteError: "mean absolute error"
    }
  }

  /// The unit of the reduced loss, for pixel intensities in [0, 1]: "nats/pixel", "intensity²/image".
  public func unit(_ reduction: LossReduction) -> String {
    switch self {
    case .binaryCrossEntropy: "nats/\(reduction.per)"
    case .meanSquaredError: "intensity²/\(reduction.per)"
    case .meanAbsoluteError: "intensity/\(reduction.per)"
    }
  }
}
