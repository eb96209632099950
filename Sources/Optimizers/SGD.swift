import CKernels
import NN
import TensorCore

/// Stochastic gradient descent with optional (Nesterov) momentum, in Keras's form.
///
/// Without momentum: `θ ← θ - lr·g`. With momentum μ: `b ← μb - lr·g`, `θ ← θ + b`
/// (Nesterov: `θ ← θ + μb - lr·g`). Defaults are Keras's: learning rate 0.01, momentum 0.
public final class SGD: Optimizer {
  public var learningRate: Float
  public let momentum: Float
  public let nesterov: Bool
  public let weightDecay: Float
  public private(set) var step = 0
  private var velocities: [String: Slot] = [:]

  public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
    precondition(learningRate >= 0, "learning rate must be non-negative")
    precondition(weightDecay >= 0, "weight decay must be non-negative")
    precondition(momentum >= 0, "momentum must be non-negative")
    self.learningRate = learningRate
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
  }

  public func update(_ model: some Module, along gradients: Gradients) {
    step += 1
    forEachParameter(of: model, along: gradients) { name, gradient, value in
      gradient.withUnsafeBufferPointer { g in
        func update(momentum: Float, _ b: UnsafeMutablePointer<Float>?) {
          updateInParallel(value.count) { r in
            aek_sgd_update(r.count, learningRate, momentum, nesterov ? 1 : 0, g.baseAddress! + r.lowerBound, b.map { $0 + r.lowerBound },
                           value.baseAddress! + r.lowerBound)
          }
        }
        guard momentum > 0 else { return update(momentum: 0, nil) }
        let slot = velocities[name] ?? Slot(like: gradient.shape)
        velocities[name] = slot
        slot.withBuffer { update(momentum: momentum, $0) }
      }
    }
  }

  public var stateTensors: [String: Tensor] {
    Dictionary(uniqueKeysWithValues: velocities.map { ("velocity.\($0.key)", $0.value.tensor) })
  }

  public func restore(step: Int, state: [String: Tensor]) throws {
    let grouped = try Slot.group(state, kinds: ["velocity"], optimizer: "sgd")
    guard grouped.isEmpty || momentum > 0 else { throw OptimizerStateError("sgd without momentum keeps no state") }
    (self.step, velocities) = (step, grouped.compactMapValues { $0["velocity"] })
  }

  public var configuration: OptimizerConfiguration {
    OptimizerConfiguration(name: .sgd, learningRate: learningRate, momentum: momentum, nesterov: nesterov,
                           weightDecay: weightDecay > 0 ? weightDecay : nil)
  }
}
