import Autodiff
import FileIO
import Foundation
import TensorCore

/// A penalty on the code's activity, the encoder's output `h` for each example: what makes an
/// autoencoder sparse. Each is a term of the objective, per example (its sum over the code's
/// units, averaged over the batch), so its strength does not depend on the batch size.
///
/// - `l1(λ)`: `λ Σⱼ |hⱼ|`, the Keras blog's sparse autoencoder (`activity_regularizer=l1(λ)`,
///   which Keras 3 also averages over the batch: scripts/reference/keras_schedules.py).
/// - `l2(λ)`: `λ Σⱼ hⱼ²`.
/// - `kl(ρ, β)`: `β Σⱼ KL(ρ ‖ ρ̂ⱼ)`, Ng's sparsity penalty, where `ρ̂ⱼ` is unit `j`'s mean
///   activation over the batch and `KL(ρ ‖ ρ̂) = ρ log(ρ/ρ̂) + (1-ρ) log((1-ρ)/(1-ρ̂))`. It needs
///   codes in (0, 1) (a sigmoid code) and whole batches (`ρ̂` is a batch statistic).
public enum ActivityPenalty: Equatable, Sendable {
  case l1(Float)
  case l2(Float)
  case kl(target: Float, weight: Float)

  /// The spellings `init(parsing:)` reads.
  public static let spellings = ["l1:WEIGHT", "l2:WEIGHT", "kl:TARGET:WEIGHT"]

  /// Reads `l1:1e-5`, `l2:1e-4` or `kl:0.05:3` (`kl:0.05` has weight 1).
  ///
  /// - Throws: `RegularizationError` naming the text and what is wrong with it.
  public init(parsing text: String) throws {
    let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    func number(_ index: Int, _ what: String) throws -> Float {
      guard index < parts.count, let value = Float(parts[index]), value.isFinite else {
        throw RegularizationError("\(text): \(what) is missing or not a number (write \(Self.spellings.joined(separator: ", ")))")
      }
      return value
    }
    switch parts[0] {
    case "l1" where parts.count == 2: self = .l1(try number(1, "the weight"))
    case "l2" where parts.count == 2: self = .l2(try number(1, "the weight"))
    case "kl" where (2...3).contains(parts.count):
      self = .kl(target: try number(1, "the target activation"), weight: parts.count == 3 ? try number(2, "the weight") : 1)
    default:
      throw RegularizationError("\(text): not a sparsity penalty (write \(Self.spellings.joined(separator: ", ")), e.g. l1:1e-5 or kl:0.05:3)")
    }
    if let problem { throw RegularizationError("\(text): \(problem)") }
  }

  /// What is wrong with the penalty's numbers, or nil.
  public var problem: String? {
    switch self {
    case .l1(let weight), .l2(let weight):
      return weight >= 0 && weight.isFinite ? nil : "the weight \(weight) must be a non-negative number"
    case .kl(let target, let weight):
      guard target > 0 && target < 1 else { return "the target activation \(target) must lie in (0, 1)" }
      return weight >= 0 && weight.isFinite ? nil : "the weight \(weight) must be a non-negative number"
    }
  }

  /// The term's name in logs: `sparsity`.
  public static let termName = "sparsity"

  /// Whether the penalty is a statistic of the whole batch (so a step cannot be split into shards).
  public var needsWholeBatch: Bool { if case .kl = self { true } else { false } }

  /// The penalty on a batch (or a shard) of codes `[rows, units]`, as its share of a batch of
  /// `batchSize` examples.
  public func callAsFunction(_ code: Variable, batchSize: Int) -> Variable {
    let flat = code.shape.count == 2 ? code : code.reshaped(to: [code.shape[0], code.shape.dropFirst().reduce(1, *)])
    switch self {
    case .l1(let weight): return flat.abs().sum() * (weight / Float(batchSize))
    case .l2(let weight): return flat.squared().sum() * (weight / Float(batchSize))
    case .kl(let target, let weight):
      // ρ̂ⱼ, kept off 0 and 1 so the logarithms stay finite.
      let mean = (flat.sum(alongAxis: 0) / Float(flat.shape[0])).clamped(to: 1e-6...(1 - 1e-6))
      let kl = (mean.log() * -target - (1 - mean).log() * (1 - target)) + (target * Foundation.log(target) + (1 - target) * Foundation.log(1 - target))
      // Per batch: a shard's share is its fraction of the batch (whole batches have share 1).
      return kl.sum() * (weight * Float(flat.shape[0]) / Float(batchSize))
    }
  }
}

extension ActivityPenalty: TextCodable {
  /// `l1:1e-05`, `kl:0.05:3.0`: what `init(parsing:)` reads back.
  public var description: String {
    switch self {
    case .l1(let weight): "l1:\(weight)"
    case .l2(let weight): "l2:\(weight)"
    case .kl(let target, let weight): "kl:\(target):\(weight)"
    }
  }
}

/// A penalty on the weights (the kernels of dense and convolutional layers and of a latent head,
/// not the biases), as Keras's `kernel_regularizer`: `l2(λ)` adds `λ Σ w²`, `l1(λ)` adds `λ Σ |w|`,
/// once per batch (the term `weight_penalty`).
public enum WeightPenalty: Equatable, Sendable {
  case l1(Float)
  case l2(Float)

  /// Reads `l2:1e-4` or `l1:1e-5`.
  ///
  /// - Throws: `RegularizationError` naming the text.
  public init(parsing text: String) throws {
    let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let weight = Float(parts[1]), weight.isFinite else {
      throw RegularizationError("\(text): not a weight penalty (write l2:WEIGHT or l1:WEIGHT, e.g. l2:1e-4)")
    }
    switch parts[0] {
    case "l1": self = .l1(weight)
    case "l2": self = .l2(weight)
    default: throw RegularizationError("\(text): not a weight penalty (write l2:WEIGHT or l1:WEIGHT, e.g. l2:1e-4)")
    }
    if let problem { throw RegularizationError("\(text): \(problem)") }
  }

  public var weight: Float { switch self { case .l1(let w), .l2(let w): w } }

  /// What is wrong with the penalty, or nil.
  public var problem: String? { weight >= 0 && weight.isFinite ? nil : "the weight \(weight) must be a non-negative number" }

  /// The term's name in logs.
  public static let termName = "weight_penalty"

  /// The penalty on `model`'s kernels (parameters named `…weight`), times `share` (a shard's
  /// fraction of its batch, so the shards' terms add up to one penalty).
  public func callAsFunction(_ model: some Module, share: Float) -> Variable {
    let kernels = model.namedParameters.filter { $0.name.hasSuffix("weight") }.map(\.parameter)
    let sums = kernels.map { kernel -> Variable in
      switch self {
      case .l1: kernel.abs().sum()
      case .l2: kernel.squared().sum()
      }
    }
    guard let first = sums.first else { return Variable(Tensor(0)) }
    return sums.dropFirst().reduce(first, +) * (weight * share)
  }
}

extension WeightPenalty: TextCodable {
  public var description: String {
    switch self {
    case .l1(let weight): "l1:\(weight)"
    case .l2(let weight): "l2:\(weight)"
    }
  }
}

/// A regularizer that cannot be read or does not apply.
public struct RegularizationError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
