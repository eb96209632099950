import Autodiff
import TensorCore

/// Something trainable: its parameters, by dotted name.
///
/// Names are dotted paths ("encoder.0.weight"): the same names key the gradients, the optimizer's
/// state and the tensors of the model file, so naming is decided once, here. A model with more
/// than one input or output (a variational autoencoder's latent head, which gives a mean and a
/// log-variance) is a `Module`; a function of one batch to one batch is a `Layer`.
public protocol Module: AnyObject, CustomStringConvertible {
  /// This module's parameters and its parts' (prefixed with the part's name), in a fixed order.
  var namedParameters: [(name: String, parameter: Variable)] { get }
}

/// A differentiable function with trainable parameters from one batch (the first dimension
/// counts examples) to one batch: the unit models are built from.
public protocol Layer: Module {
  /// Applies the layer to a batch.
  func callAsFunction(_ input: Variable) -> Variable
}

/// A layer whose output is an element-wise activation of what it computes (dense and convolution
/// layers), which diagnostics that look inside a model read (the relu units that never fire).
public protocol ActivatedLayer: Layer {
  var activation: Activation { get }
}

extension Module {
  /// The total number of trainable scalars.
  public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.value.count } }

  /// The parameter with this dotted name, if any.
  public func parameter(named name: String) -> Variable? {
    namedParameters.first { $0.name == name }?.parameter
  }
}

extension Layer {
  /// Applies the layer without recording a graph: for inference.
  public func inferring(from input: Tensor) -> Tensor {
    withoutGradients { self(Variable(input)).value }
  }
}

/// Prefixes each name with `prefix` and a dot.
func prefixed(_ prefix: String, _ parameters: [(name: String, parameter: Variable)]) -> [(name: String, parameter: Variable)] {
  parameters.map { ("\(prefix).\($0.name)", $0.parameter) }
}
