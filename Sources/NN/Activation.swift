import Autodiff

/// An element-wise activation function, named as in Keras.
public enum Activation: Sendable, Equatable, Hashable {
  /// `x`.
  case identity
  /// `max(x, 0)`.
  case relu
  /// `1 / (1 + exp(-x))`; binary cross-entropy on its output is computed from its input.
  case sigmoid
  /// `tanh(x)`.
  case tanh
  /// `x` where positive, else `slope·x` (Keras's `leaky_relu` default slope is 0.2).
  case leakyRelu(slope: Float)

  /// Applies the activation.
  public func callAsFunction(_ x: Variable) -> Variable {
    switch self {
    case .identity: x
    case .relu: x.relu()
    case .sigmoid: x.sigmoid()
    case .tanh: x.tanh()
    case .leakyRelu(let slope): x.leakyRelu(slope: slope)
    }
  }

  /// Every name `init(name:)` accepts.
  public static let names = ["identity", "linear", "relu", "sigmoid", "tanh", "leaky_relu", "leaky_relu:SLOPE"]
}

extension Activation: LosslessStringConvertible, Codable {
  /// Parses "relu", "sigmoid", "tanh", "identity" (or Keras's "linear"), "leaky_relu" (slope 0.2)
  /// or "leaky_relu:0.1".
  public init?(_ name: String) {
    switch name.lowercased() {
    case "identity", "linear", "none": self = .identity
    case "relu": self = .relu
    case "sigmoid": self = .sigmoid
    case "tanh": self = .tanh
    case "leaky_relu", "leakyrelu": self = .leakyRelu(slope: 0.2)
    default:
      let parts = name.lowercased().split(separator: ":", maxSplits: 1)
      guard parts.count == 2, ["leaky_relu", "leakyrelu"].contains(parts[0]), let slope = Float(parts[1]), slope.isFinite
      else { return nil }
      self = .leakyRelu(slope: slope)
    }
  }

  /// The name `init(_:)` parses back: "relu", "leaky_relu:0.2".
  public var description: String {
    switch self {
    case .identity: "identity"
    case .relu: "relu"
    case .sigmoid: "sigmoid"
    case .tanh: "tanh"
    case .leakyRelu(let slope): "leaky_relu:\(slope)"
    }
  }

  public init(from decoder: any Decoder) throws {
    let name = try decoder.singleValueContainer().decode(String.self)
    guard let activation = Activation(name) else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown activation \"\(name)\""))
    }
    self = activation
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
