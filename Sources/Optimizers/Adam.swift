import CKernels
import Foundation
import NN
import TensorCore

/// Adam (Kingma and Ba, 2014, https://arxiv.org/abs/1412.6980), in Keras's form.
///
/// For step t with gradient g:
/// `m ← m + (g - m)(1 - β₁)`, `v ← v + (g² - v)(1 - β₂)`,
/// `α = lr·√(1 - β₂ᵗ) / (1 - β₁ᵗ)`, `θ ← θ - α·m / (√v + ε)`.
/// (PyTorch adds ε to the bias-corrected √v̂ instead; the two differ only through ε.)
/// Defaults are Keras's: learning rate 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-7. With `weightDecay` it is
/// AdamW (Loshchilov and Hutter, 2019), as Keras's `AdamW`: `θ ← θ - θ·decay·lr` before each update.
public final class Adam: Optimizer {
  public var learningRate: Float
  public let beta1: Float
  public let beta2: Float
  public let epsilon: Float
  public let weightDecay: Float
  public private(set) var step = 0
  private var moments: [String: (m: Slot, v: Slot)] = [:]

  public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7, weightDecay: Float = 0) {
    precondition(learningRate >= 0, "learning rate must be non-negative")
    precondition(weightDecay >= 0, "weight decay must be non-negative")
    precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "betas must lie in [0, 1)")
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  public func update(_ model: some Module, along gradients: Gradients) {
    step += 1
    let t = Double(step)
    let alpha = Float(Double(learningRate) * (1 - pow(Double(beta2), t)).squareRoot() / (1 - pow(Double(beta1), t)))
    forEachParameter(of: model, along: gradients) { name, gradient, value in
      let slots = moments[name] ?? (Slot(like: gradient.shape), Slot(like: gradient.shape))
      moments[name] = slots
      gradient.withUnsafeBufferPointer { g in
        slots.m.withBuffer { m in
          slots.v.withBuffer { v in
            updateInParallel(value.count) { r in
              aek_adam_update(r.count, alpha, beta1, beta2, epsilon, g.baseAddress! + r.lowerBound, m + r.lowerBound, v + r.lowerBound,
                              value.baseAddress! + r.lowerBound)
            }
          }
        }
      }
    }
  }

  public var stateTensors: [String: Tensor] {
    var state: [String: Tensor] = [:]
    for (name, slots) in moments { (state["m.\(name)"], state["v.\(name)"]) = (slots.m.tensor, slots.v.tensor) }
    return state
  }

  public func restore(step: Int, state: [String: Tensor]) throws {
    var restored: [String: (m: Slot, v: Slot)] = [:]
    for (name, slots) in try Slot.group(state, kinds: ["m", "v"], optimizer: "adam") {
      guard let m = slots["m"], let v = slots["v"], m.tensor.shape == v.tensor.shape else {
        throw OptimizerStateError("adam's state for \(name) needs m and v of one shape")
      }
      restored[name] = (m, v)
    }
    (self.step, moments) = (step, restored)
  }

  public var configuration: OptimizerConfiguration {
    OptimizerConfiguration(name: .adam, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                           weightDecay: weightDecay > 0 ? weightDecay : nil)
  }
}
