import CKernels
import NN
import TensorCore

/// RMSProp (Hinton, Coursera lecture 6e), in Keras's form.
///
/// `v ← ρv + (1 - ρ)g²`, `Δ = lr·g / √(v + ε)`; with momentum μ: `b ← μb + Δ`, `θ ← θ - b`;
/// without: `θ ← θ - Δ`. Defaults are Keras's: learning rate 1e-3, ρ 0.9, momentum 0, ε 1e-7.
public final class RMSProp: Optimizer {
  public var learningRate: Float
  public let rho: Float
  public let momentum: Float
  public let epsilon: Float
  public let weightDecay: Float
  public private(set) var step = 0
  private var velocities: [String: (v: Slot, momentum: Slot?)] = [:]

  public init(learningRate: Float = 1e-3, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7, weightDecay: Float = 0) {
    precondition(learningRate >= 0, "learning rate must be non-negative")
    precondition(weightDecay >= 0, "weight decay must be non-negative")
    precondition((0..<1).contains(rho), "rho must lie in [0, 1)")
    precondition(momentum >= 0, "momentum must be non-negative")
    self.learningRate = learningRate
    self.rho = rho
    self.momentum = momentum
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  public func update(_ model: some Module, along gradients: Gradients) {
    step += 1
    forEachParameter(of: model, along: gradients) { name, gradient, value in
      let slots = velocities[name] ?? (Slot(like: gradient.shape), momentum > 0 ? Slot(like: gradient.shape) : nil)
      velocities[name] = slots
      gradient.withUnsafeBufferPointer { g in
        slots.v.withBuffer { v in
          func update(momentum: Float, _ b: UnsafeMutablePointer<Float>?) {
            updateInParallel(value.count) { r in
              aek_rmsprop_update(r.count, learningRate, rho, momentum, epsilon, g.baseAddress! + r.lowerBound, v + r.lowerBound,
                                 b.map { $0 + r.lowerBound }, value.baseAddress! + r.lowerBound)
            }
          }
          if let momentumSlot = slots.momentum {
            momentumSlot.withBuffer { update(momentum: momentum, $0) }
          } else {
            update(momentum: 0, nil)
          }
        }
      }
    }
  }

  public var stateTensors: [String: Tensor] {
    var state: [String: Tensor] = [:]
    for (name, slots) in velocities {
      state["velocity.\(name)"] = slots.v.tensor
      if let momentum = slots.momentum { state["momentum.\(name)"] = momentum.tensor }
    }
    return state
  }

  public func restore(step: Int, state: [String: Tensor]) throws {
    var restored: [String: (v: Slot, momentum: Slot?)] = [:]
    for (name, slots) in try Slot.group(state, kinds: ["velocity", "momentum"], optimizer: "rmsprop") {
      guard let v = slots["velocity"], (slots["momentum"] != nil) == (momentum > 0) else {
        throw OptimizerStateError("rmsprop's state for \(name) needs its velocity\(momentum > 0 ? " and momentum" : " only")")
      }
      restored[name] = (v, slots["momentum"])
    }
    (self.step, velocities) = (step, restored)
  }

  public var configuration: OptimizerConfiguration {
    OptimizerConfiguration(name: .rmsprop, learningRate: learningRate, momentum: momentum, rho: rho, epsilon: epsilon,
                           weightDecay: weightDecay > 0 ? weightDecay : nil)
  }
}
