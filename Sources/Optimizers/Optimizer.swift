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
  /// Updates every parameter of `model` that has a gradient.
  func update(_ model: some Module, along gradients: Gradients)
  /// The settings that recreate this optimizer (without its state).
  var configuration: OptimizerConfiguration { get }
}

extension Optimizer {
  /// Calls `body` for each parameter with a gradient, with the parameter's value, writable.
  func forEachParameter(of model: some Module, along gradients: Gradients,
                        _ body: (_ name: String, _ gradient: Tensor, _ value: UnsafeMutableBufferPointer<Float>) -> Void) {
    for (name, parameter) in model.namedParameters {
      guard let gradient = gradients[name] else { continue }
      precondition(gradient.shape == parameter.shape, "gradient \(gradient.shape) for \(name) of shape \(parameter.shape)")
      parameter.updateValue { value in value.withUnsafeMutableBufferPointer { body(name, gradient, $0) } }
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

  /// The state's elements, writable (never shared, so never copied).
  func withBuffer<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
    tensor.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
  }
}
