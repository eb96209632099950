import FileIO
import Foundation

/// How the learning rate changes over a run, each in Keras's definition. Step `t` counts updates
/// from 0 (Keras's `optimizer.iterations` before the update), and `lr₀` is the optimizer's rate.
public enum LearningRateSchedule: Equatable, Sendable {
  /// Keras's `CosineDecay(lr₀, decay_steps, alpha)`: `lr₀·((1 - α)·½(1 + cos(π·min(t, T)/T)) + α)`
  /// with `T` the steps of `epochs` epochs (nil: of the whole run).
  case cosine(epochs: Int?, alpha: Float)
  /// Keras's `ExponentialDecay(lr₀, decay_steps, factor, staircase=True)` with `decay_steps` the
  /// steps of `every` epochs: `lr₀·factor^⌊t / decay_steps⌋`.
  case step(every: Int, factor: Float)
  /// Keras's `ReduceLROnPlateau(monitor="val_loss", factor, patience, min_delta, cooldown, min_lr)`:
  /// after `patience` epochs without the validation loss falling below its best by `minimumDelta`,
  /// the rate is multiplied by `factor` (not below `minimum`), then `cooldown` epochs pass before
  /// waiting starts again. Keras's defaults: 0.1, 10, 1e-4, 0, 0.
  case plateau(factor: Float, patience: Int, minimumDelta: Float, cooldown: Int, minimum: Float)

  /// The spellings `init(parsing:)` reads.
  public static let spellings = ["cosine[:ALPHA[:EPOCHS]]", "step[:EVERY[:FACTOR]]", "plateau[:FACTOR[:PATIENCE[:MIN_LR]]]"]

  /// Reads `cosine`, `cosine:0.01`, `cosine:0:30`, `step` (every 10 epochs by 0.5), `step:5:0.1`,
  /// `plateau` (Keras's defaults), `plateau:0.5:3` or `plateau:0.5:3:1e-5`.
  ///
  /// - Throws: `ScheduleError` naming the text and what is wrong.
  public init(parsing text: String) throws {
    let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    func value<T: LosslessStringConvertible>(_ index: Int, _ fallback: T, _ what: String) throws -> T {
      guard index < parts.count else { return fallback }
      guard let parsed = T(parts[index]) else { throw ScheduleError("\(text): \(what) \"\(parts[index])\" is not a number") }
      return parsed
    }
    let usage = "write \(Self.spellings.joined(separator: ", ")), e.g. plateau:0.5:5"
    switch parts[0] {
    case "cosine" where parts.count <= 3:
      let epochs: Int? = parts.count == 3 ? try value(2, 0, "the decay epochs") : nil
      self = .cosine(epochs: epochs, alpha: try value(1, Float(0), "alpha"))
    case "step" where parts.count <= 3:
      self = .step(every: try value(1, 10, "the epochs between steps"), factor: try value(2, Float(0.5), "the factor"))
    case "plateau" where parts.count <= 4:
      self = .plateau(factor: try value(1, Float(0.1), "the factor"), patience: try value(2, 10, "the patience"), minimumDelta: 1e-4,
                      cooldown: 0, minimum: try value(3, Float(0), "the minimum rate"))
    default:
      throw ScheduleError("\(text): not a learning-rate schedule (\(usage))")
    }
    if let problem { throw ScheduleError("\(text): \(problem)") }
  }

  /// What is wrong with the schedule's numbers, or nil.
  public var problem: String? {
    switch self {
    case .cosine(let epochs, let alpha):
      if let epochs, epochs < 1 { return "the decay epochs \(epochs) must be positive" }
      return (0...1).contains(alpha) ? nil : "alpha \(alpha) must lie in [0, 1]"
    case .step(let every, let factor):
      guard every >= 1 else { return "the epochs between steps \(every) must be positive" }
      return factor > 0 && factor <= 1 ? nil : "the factor \(factor) must lie in (0, 1]"
    case .plateau(let factor, let patience, let minimumDelta, let cooldown, let minimum):
      guard factor > 0 && factor < 1 else { return "the factor \(factor) must lie in (0, 1)" }
      guard patience >= 0, cooldown >= 0 else { return "the patience \(patience) must be non-negative" }
      guard minimumDelta >= 0 && minimumDelta.isFinite else { return "the minimum delta \(minimumDelta) must be non-negative" }
      return minimum >= 0 && minimum.isFinite ? nil : "the minimum rate \(minimum) must be non-negative"
    }
  }
}

extension LearningRateSchedule: TextCodable {
  /// `cosine:0.0`, `step:10:0.5`, `plateau:0.1:10:0.0`: what `init(parsing:)` reads back.
  public var description: String {
    switch self {
    case .cosine(let epochs, let alpha): "cosine:\(alpha)" + (epochs.map { ":\($0)" } ?? "")
    case .step(let every, let factor): "step:\(every):\(factor)"
    case .plateau(let factor, let patience, _, _, let minimum): "plateau:\(factor):\(patience):\(minimum)"
    }
  }
}

/// A schedule as it runs: the rate for each step, and for `plateau`, its state between epochs.
public struct LearningRateScheduler: Equatable, Sendable, Codable {
  public let schedule: LearningRateSchedule
  /// The optimizer's rate at the start, `lr₀`.
  public let initialRate: Float
  /// The steps of one epoch and of the whole run.
  public let stepsPerEpoch: Int, totalSteps: Int
  /// `plateau`'s current rate, best loss, epochs waited and cooldown left.
  public private(set) var currentRate: Float
  var best: Float?, wait = 0, cooldownLeft = 0

  public init(_ schedule: LearningRateSchedule, initialRate: Float, stepsPerEpoch: Int, epochs: Int) {
    self.schedule = schedule
    self.initialRate = initialRate
    self.stepsPerEpoch = max(stepsPerEpoch, 1)
    totalSteps = max(stepsPerEpoch * epochs, 1)
    currentRate = initialRate
  }

  /// The rate of update `step` (from 0).
  public func rate(atStep step: Int) -> Float {
    switch schedule {
    case .cosine(let epochs, let alpha):
      let decaySteps = Double(epochs.map { $0 * stepsPerEpoch } ?? totalSteps)
      let fraction = min(Double(step), decaySteps) / decaySteps
      let cosine = 0.5 * (1 + Foundation.cos(Double.pi * fraction))
      return initialRate * Float((1 - Double(alpha)) * cosine + Double(alpha))
    case .step(let every, let factor):
      return initialRate * Float(Foundation.pow(Double(factor), Double(step / (every * stepsPerEpoch))))
    case .plateau:
      return currentRate
    }
  }

  /// After an epoch whose monitored loss (the validation loss, or the training loss without
  /// validation data) was `loss`: `plateau` counts, and may lower the rate for the next epoch.
  /// Returns whether it lowered the rate.
  @discardableResult
  public mutating func epochEnded(loss: Float) -> Bool {
    guard case .plateau(let factor, let patience, let minimumDelta, let cooldown, let minimum) = schedule else { return false }
    if cooldownLeft > 0 {
      cooldownLeft -= 1
      wait = 0
    }
    if loss < (best ?? .infinity) - minimumDelta {
      best = loss
      wait = 0
    } else if cooldownLeft == 0 {
      wait += 1
      if wait >= patience, currentRate > minimum {
        currentRate = max(currentRate * factor, minimum)
        cooldownLeft = cooldown
        wait = 0
        return true
      }
    }
    return false
  }
}

/// A schedule that cannot be read.
public struct ScheduleError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
