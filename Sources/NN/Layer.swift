import Autodiff
import TensorCore

/// A differentiable function with trainable parameters: the unit models are built from.
///
/// A layer maps a batch (the first dimension counts examples) to a batch, and names each of its
/// parameters. Names are dotted paths ("encoder.0.weight"): the same names key the gradients, the
/// optimizer's state and the tensors of the model file, so naming is decided once, here.
public protocol Layer: AnyObject, CustomStringConvertible {
  /// Applies the layer to a batch.
  func callAsFunction(_ input: Variable) -> Variable
  /// This layer's parameters and its sublayers' (prefixed with the sublayer's name), in a fixed order.
  var namedParameters: [(name: String, parameter: Variable)] { get }
}

extension Layer {
  /// The total number of trainable scalars.
  public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.value.count } }

  /// The parameter with this dotted name, if any.
  public func parameter(named name: String) -> Variable? {
    namedParameters.first { $0.name == name }?.parameter
  }

  /// Applies the layer without recording a graph: for inference.
  public func inferring(from input: Tensor) -> Tensor {
    withoutGradients { self(Variable(input)).value }
  }
}

/// Prefixes each name with `prefix` and a dot.
func prefixed(_ prefix: String, _ parameters: [(name: String, parameter: Variable)]) -> [(name: String, parameter: Variable)] {
  parameters.map { ("\(prefix).\($0.name)", $0.parameter) }
}
