import Autodiff
import NN
import TensorCore

/// Updates a model's parameters from the gradients of a loss.
///
/// Optimizer state (moments, velocities) is kept per parameter under the parameter's dotted name,
/// the same name the gradients and the model file use.
public protocol Optimizer: AnyObject {
  /// The step size.
  var learningRate: Float { get set }
  /// The number of updates made so far.
  var step: Int { get }
  /// Decoupled weight decay (Loshchilov and Hutter's AdamW, as Keras's `weight_decay` on every
  /// optimizer): before each update, `θ ← θ - θ·decay·lr`. 0 for none.
  var weightDecay: Float { get }
  /// Updates every parameter of `model` that has a gradient.
  func update(_ model: some Module, along gradients: Gradients)
  /// The settings that recreate this optimizer (without its state).
  var configuration: OptimizerConfiguration { get }
  /// The optimizer's state, each tensor named by its kind and its parameter ("m.encoder.0.weight",
  /// "v.…" for Adam; "velocity.…", "momentum.…"), for checkpoints.
  var stateTensors: [String: Tensor] { get }
  /// Puts back the state `stateTensors` gave after `step` updates, so the next update is the one
  /// an uninterrupted run would make.
  ///
  /// - Throws: `OptimizerStateError` naming a tensor of a kind this optimizer does not keep.
  func restore(step: Int, state: [String: Tensor]) throws
}

/// Saved optimizer state that does not belong to this optimizer.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}

extension Slot {
  /// Groups saved tensors by the parameter they belong to: `"m.encoder.0.weight"` is kind `m`
  /// of `encoder.0.weight`; a kind not among `kinds` is an error.
  static func group(_ state: [String: Tensor], kinds: [String], optimizer: String) throws -> [String: [String: Slot]] {
    var grouped: [String: [String: Slot]] = [:]
    for (key, tensor) in state {
      guard let dot = key.firstIndex(of: "."), kinds.contains(String(key[..<dot])) else {
        throw OptimizerStateError("\(key) is not state \(optimizer) keeps (\(kinds.map { "\($0).…" }.joined(separator: ", ")))")
      }
      grouped[String(key[key.index(after: dot)...]), default: [:]][String(key[..<dot])] = Slot(tensor)
    }
    return grouped
  }
}

extension Optimizer {
  /// Calls `body` for each parameter with a gradient, with the parameter's value, writable,
  /// after decaying it by `weightDecay` (Keras's order: `θ - θ·decay·lr`, then the update).
  func forEachParameter(of model: some Module, along gradients: Gradients,
                        _ body: (_ name: String, _ gradient: Tensor, _ value: UnsafeMutableBufferPointer<Float>) -> Void) {
    let (decay, rate) = (weightDecay, learningRate)
    for (name, parameter) in model.namedParameters {
      guard let gradient = gradients[name] else { continue }
      precondition(gradient.shape == parameter.shape, "gradient \(gradient.shape) for \(name) of shape \(parameter.shape)")
      parameter.updateValue { value in
        value.withUnsafeMutableBufferPointer { value in
          if decay > 0 {
            updateInParallel(value.count) { r in
              for i in r { value[i] = value[i] - value[i] * decay * rate }
            }
          }
          body(name, gradient, value)
        }
      }
    }
  }
}

/// Runs an update kernel over a parameter's `count` elements, split across threads by ranges
/// (multiples of 64 elements, so the same bits whatever the split): `kernel` offsets its
/// pointers by the range's start.
func updateInParallel(_ count: Int, _ kernel: (Range<Int>) -> Void) {
  Parallel.forEachChunk(count, minimumPerThread: 8192, kernel)
}

/// A tensor of optimizer state, updated in place by the kernels.
final class Slot {
  var tensor: Tensor
  init(like shape: [Int]) { tensor = Tensor.zeros(shape: shape) }
  init(_ tensor: Tensor) { self.tensor = tensor }

  /// The state's elements, writable (never shared, so never copied).
  func withBuffer<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
    tensor.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
  }
}
