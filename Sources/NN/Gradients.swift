import Autodiff
import TensorCore

/// The gradient of a loss with respect to each parameter of a model, keyed by parameter name.
public struct Gradients {
  /// Gradients by dotted parameter name ("encoder.0.weight").
  public var byName: [String: Tensor]

  public init(_ byName: [String: Tensor] = [:]) { self.byName = byName }

  public subscript(name: String) -> Tensor? { byName[name] }

  /// The global L2 norm: the square root of the sum of every gradient's squared elements.
  public var norm: Float { byName.values.reduce(Float(0)) { $0 + $1.sumOfSquares() }.squareRoot() }
}

/// Evaluates `body` on `model` and differentiates its scalar result with respect to every
/// parameter of the model.
///
/// ```swift
/// let (loss, gradients) = valueWithGradient(at: model) { model in
///   binaryCrossEntropy(predicted: model(batch), expected: batch.value)
/// }
/// optimizer.update(model, along: gradients)
/// ```
public func valueWithGradient<Model: Layer>(at model: Model, in body: (Model) -> Variable) -> (value: Float, gradients: Gradients) {
  let parameters = model.namedParameters
  parameters.forEach { $0.parameter.clearGradient() }
  let result = body(model)
  result.backward()
  var gradients = Gradients()
  for (name, parameter) in parameters {
    gradients.byName[name] = parameter.gradient ?? Tensor.zeros(shape: parameter.shape)
    parameter.clearGradient()
  }
  return (result.value.scalar, gradients)
}
