import Autodiff

/// Layers applied in order: `layers[n-1](…layers[1](layers[0](input)))`.
///
/// Parameters are named by the layer's index: "0.weight", "1.bias". An `UpSampling2D` followed by
/// a `Conv2D` runs as one operation (`Conv2D.callAsFunction(_:upsampledBy:)`): the same values up to
/// float rounding, without writing the upsampled batch out.
public final class Sequential: Layer {
  /// The layers, first applied first.
  public let layers: [any Layer]

  public init(_ layers: [any Layer]) { self.layers = layers }

  public func callAsFunction(_ input: Variable) -> Variable { apply(input, observing: nil) }

  /// The layers applied as `callAsFunction(_:)` applies them (so the same bits), `body` seeing each
  /// layer's index and output; for diagnostics that look inside a model. Of a fused pair, the
  /// upsampling's output is computed for `body` alone.
  public func callAsFunction(_ input: Variable, observing body: (_ index: Int, _ output: Variable) -> Void) -> Variable {
    withoutActuallyEscaping(body) { apply(input, observing: $0) }
  }

  private func apply(_ input: Variable, observing body: ((_ index: Int, _ output: Variable) -> Void)?) -> Variable {
    var output = input, index = layers.startIndex
    while index < layers.endIndex {
      if let upsampling = layers[index] as? UpSampling2D, index + 1 < layers.endIndex, let convolution = layers[index + 1] as? Conv2D {
        body?(index, output.upsampled2D(by: upsampling.factor))
        output = convolution(output, upsampledBy: upsampling.factor)
        body?(index + 1, output)
        index += 2
      } else {
        output = layers[index](output)
        body?(index, output)
        index += 1
      }
    }
    return output
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    layers.enumerated().flatMap { prefixed(String($0.offset), $0.element.namedParameters) }
  }

  /// `Sequential(Dense(784 => 64, relu), Dense(64 => 784, sigmoid))`.
  public var description: String { "Sequential(\(layers.map(\.description).joined(separator: ", ")))" }
}
