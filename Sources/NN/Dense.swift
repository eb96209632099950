import Autodiff
import TensorCore

/// A fully connected layer: `activation(input · weight + bias)`.
///
/// `input` has shape `[batchSize, inputSize]`; the output has shape `[batchSize, outputSize]`.
/// The weight is stored `[inputSize, outputSize]`, Keras's kernel layout (PyTorch's `Linear`
/// stores the transpose). New layers get Glorot-uniform weights and zero biases, as in Keras.
/// The matrix product and bias run as one BLAS call (`Variable.linear`).
public final class Dense: Layer {
  /// The weight matrix, shape `[inputSize, outputSize]`.
  public let weight: Variable
  /// The bias vector, shape `[outputSize]`, or `nil` for no bias.
  public let bias: Variable?
  /// The element-wise activation.
  public let activation: Activation

  /// Creates a layer from explicit parameters.
  ///
  /// - Parameters:
  ///   - weight: `[inputSize, outputSize]`.
  ///   - bias: `[outputSize]`, or `nil`.
  public init(weight: Tensor, bias: Tensor? = nil, activation: Activation = .identity) {
    precondition(weight.rank == 2, "Dense weight must be a matrix, got \(weight.shape)")
    precondition(bias == nil || bias!.shape == [weight.shape[1]], "Dense bias \(bias!.shape) for weight \(weight.shape)")
    self.weight = Variable(weight, requiresGradient: true)
    self.bias = bias.map { Variable($0, requiresGradient: true) }
    self.activation = activation
  }

  /// Creates a layer with Glorot-uniform weights and zero biases.
  public convenience init(inputSize: Int, outputSize: Int, activation: Activation = .identity, useBias: Bool = true,
                          using generator: inout some RandomNumberGenerator) {
    let weight = Initializer.glorotUniform(shape: [inputSize, outputSize], fanIn: inputSize, fanOut: outputSize, using: &generator)
    self.init(weight: weight, bias: useBias ? Tensor.zeros(shape: [outputSize]) : nil, activation: activation)
  }

  /// The number of input features.
  public var inputSize: Int { weight.value.shape[0] }
  /// The number of output features.
  public var outputSize: Int { weight.value.shape[1] }

  /// `activation(input · weight + bias)` for `input` of shape `[batchSize, inputSize]`.
  public func callAsFunction(_ input: Variable) -> Variable {
    precondition(input.shape.count == 2 && input.shape[1] == inputSize,
                 "Dense(\(inputSize) => \(outputSize)) got input of shape \(input.shape)")
    return activation(input.linear(weight: weight, bias: bias))
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// `Dense(784 => 64, relu)`.
  public var description: String { "Dense(\(inputSize) => \(outputSize), \(activation))" }
}
