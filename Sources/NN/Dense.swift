import Autodiff
import FileIO
import TensorCore

/// A fully connected layer: `activation(input · weight + bias)`.
///
/// `input` has shape `[batchSize, inputSize]`; the output has shape `[batchSize, outputSize]`.
/// The weight is stored `[inputSize, outputSize]`, Keras's kernel layout (PyTorch's `Linear`
/// stores the transpose). New layers get Glorot-uniform weights and zero biases, as in Keras.
/// The matrix product and bias run as one BLAS call (`Variable.linear`).
public final class Dense: ActivatedLayer {
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

  /// `activation(input · weight + bias)` for `input` of shape `[batchSize, inputSize]`, or for
  /// sequences `[batchSize, steps, inputSize]` at every step (as Keras's `Dense` on a 3-D input,
  /// its `TimeDistributed(Dense)`): one product over all steps.
  public func callAsFunction(_ input: Variable) -> Variable {
    precondition((input.shape.count == 2 || input.shape.count == 3) && input.shape.last == inputSize,
                 "Dense(\(inputSize) => \(outputSize)) got input of shape \(input.shape)")
    guard input.shape.count == 3 else { return activation(input.linear(weight: weight, bias: bias)) }
    let (n, steps) = (input.shape[0], input.shape[1])
    return activation(input.reshaped(to: [n * steps, inputSize]).linear(weight: weight, bias: bias)).reshaped(to: [n, steps, outputSize])
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// `Dense(784 => 64, relu)`.
  public var description: String { "Dense(\(inputSize) => \(outputSize), \(activation))" }
}

extension Dense {
  /// `dense UNITS [ACTIVATION] [nobias]` on flat input `[features]`, or at every step of sequences
  /// `[steps, features]`; JSON type `dense`.
  public struct Kind: LayerKind {
    public var units: Int
    public var activation: Activation
    public var useBias: Bool

    public init(units: Int, activation: Activation, useBias: Bool = true) {
      (self.units, self.activation, self.useBias) = (units, activation, useBias)
    }

    public static let typeName = "dense", words = ["dense"]

    public init(settings: LayerSettings) throws {
      let numbers = try settings.numbers(1...1, "dense UNITS [ACTIVATION]")
      try settings.refuse([.padding, .stride])
      self.init(units: numbers[0], activation: settings.activation ?? .identity, useBias: settings.useBias)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard units > 0 else { throw LayerMisfit("units must be positive, got \(units)") }
      // Sequences [steps, features] take it at every step, as Keras's Dense on sequences.
      guard input.count <= 2 else { throw LayerMisfit("Dense needs flat input of shape [features] (or sequences [steps, features]); flatten it first") }
      return input.count == 2 ? [input[0], units] : [units]
    }

    public var sizes: [(name: String, value: Int)] { [("units", units)] }

    public func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] {
      Self.weightAndBias([input.last ?? 0, units], bias: useBias ? units : nil)
    }

    public func multiplyAddsPerExample(inputShape input: [Int]) -> Int { checkedProduct(input + [units]) ?? Int.max }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator)
      -> any Layer
    {
      if let parameters { return Dense(weight: parameters["weight"]!, bias: parameters["bias"], activation: activation) }
      return Dense(inputSize: inputShape.last!, outputSize: units, activation: activation, useBias: useBias, using: &generator)
    }

    public var outputActivation: Activation? { activation }
    public var isCausal: Bool { true }
    public var shortDescription: String { "\(units) \(activation)" }
    public var description: String { "Dense(\(units), \(activation)\(useBias ? "" : ", no bias"))" }

    private enum Keys: String, CodingKey { case units, activation, useBias = "use_bias" }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Keys.self)
      self.init(units: try container.decodePositive(.units), activation: try container.decodeIfPresent(Activation.self, forKey: .activation) ?? .identity,
                useBias: try container.decodeIfPresent(Bool.self, forKey: .useBias) ?? true)
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Keys.self)
      try container.encode(units, forKey: .units)
      try container.encode(activation, forKey: .activation)
      try container.encode(useBias, forKey: .useBias)
    }
  }
}

extension LayerSpec {
  /// `Dense(units, activation)` on flat input of shape `[features]`.
  public static func dense(units: Int, activation: Activation, useBias: Bool = true) -> LayerSpec {
    LayerSpec(Dense.Kind(units: units, activation: activation, useBias: useBias))
  }
}

extension Dense: SteppingLayer {
  public func stepSizes(inputWidth: Int) -> (output: Int, state: Int, scratch: Int) { (outputSize, 0, 0) }

  /// `activation(input · weight + bias)` for each stream, in exact arithmetic (leaky relu has no
  /// exact form: `TokenPredictor` refuses it first).
  public func step(streams: Int, input: UnsafePointer<Float>, inputWidth: Int, state: UnsafeMutablePointer<Float>,
                   scratch: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
    weight.value.withUnsafeBufferPointer { w in
      func run(_ bias: UnsafePointer<Float>?) {
        ExactArithmetic.affine(rows: streams, inputs: inputSize, outputs: outputSize, x: input, xStride: inputWidth, weight: w.baseAddress!,
                               bias: bias, y: output, yStride: outputSize)
      }
      if let bias { bias.value.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
    }
    ExactArithmetic.activate(activation.exact ?? .identity, count: streams * outputSize, output)
  }
}
