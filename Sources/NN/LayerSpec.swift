import Autodiff
import TensorCore

/// One layer of an `Architecture`: its kind and settings, without parameters.
///
/// Stored in model files as JSON objects with a `"type"` key, as Keras's layer configs:
/// `{"type": "dense", "units": 64, "activation": "relu", "use_bias": true}`.
public enum LayerSpec: Equatable, Sendable {
  /// `Dense(units, activation)` on flat input of shape `[features]`.
  case dense(units: Int, activation: Activation, useBias: Bool = true)

  /// Why a layer cannot take a shape.
  struct Misfit: Error, CustomStringConvertible {
    let description: String
  }

  /// The shape this layer outputs for one example of `input` shape.
  func outputShape(for input: [Int]) throws -> [Int] {
    switch self {
    case .dense(let units, _, _):
      guard units > 0 else { throw Misfit(description: "units must be positive, got \(units)") }
      guard input.count == 1 else {
        throw Misfit(description: "Dense needs flat input of shape [features]; flatten it first")
      }
      return [units]
    }
  }

  /// The number of trainable scalars for `input` shape.
  func parameterCount(inputShape input: [Int]) -> Int {
    switch self {
    case .dense(let units, _, let useBias): input.reduce(1, *) * units + (useBias ? units : 0)
    }
  }

  /// Multiply-adds of the layer's forward matrix product for one example.
  func multiplyAddsPerExample(inputShape input: [Int]) -> Int {
    switch self {
    case .dense(let units, _, _): input.reduce(1, *) * units
    }
  }

  /// A new layer for `inputShape` (already validated), with Keras's initialization.
  func makeLayer(inputShape: [Int], using generator: inout some RandomNumberGenerator) -> any Layer {
    switch self {
    case .dense(let units, let activation, let useBias):
      Dense(inputSize: inputShape[0], outputSize: units, activation: activation, useBias: useBias, using: &generator)
    }
  }

  /// `64 relu`, for one-line architecture descriptions.
  var shortDescription: String {
    switch self {
    case .dense(let units, let activation, _): "\(units) \(activation)"
    }
  }
}

extension LayerSpec: CustomStringConvertible {
  /// `Dense(64, relu)`.
  public var description: String {
    switch self {
    case .dense(let units, let activation, let useBias): "Dense(\(units), \(activation)\(useBias ? "" : ", no bias"))"
    }
  }
}

extension LayerSpec: Codable {
  private enum Keys: String, CodingKey {
    case type, units, activation, useBias = "use_bias"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: Keys.self)
    let type = try container.decode(String.self, forKey: .type)
    switch type {
    case "dense":
      self = .dense(units: try container.decode(Int.self, forKey: .units),
                    activation: try container.decode(Activation.self, forKey: .activation),
                    useBias: try container.decodeIfPresent(Bool.self, forKey: .useBias) ?? true)
    default:
      throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown layer type \"\(type)\"")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Keys.self)
    switch self {
    case .dense(let units, let activation, let useBias):
      try container.encode("dense", forKey: .type)
      try container.encode(units, forKey: .units)
      try container.encode(activation, forKey: .activation)
      try container.encode(useBias, forKey: .useBias)
    }
  }
}
