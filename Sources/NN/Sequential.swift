import Autodiff

/// Layers applied in order: `layers[n-1](…layers[1](layers[0](input)))`.
///
/// Parameters are named by the layer's index: "0.weight", "1.bias".
public final class Sequential: Layer {
  /// The layers, first applied first.
  public let layers: [any Layer]

  public init(_ layers: [any Layer]) { self.layers = layers }

  public func callAsFunction(_ input: Variable) -> Variable {
    layers.reduce(input) { $1($0) }
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    layers.enumerated().flatMap { prefixed(String($0.offset), $0.element.namedParameters) }
  }

  /// `Sequential(Dense(784 => 64, relu), Dense(64 => 784, sigmoid))`.
  public var description: String { "Sequential(\(layers.map(\.description).joined(separator: ", ")))" }
}
