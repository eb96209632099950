import Autodiff
import FileIO
import TensorCore

/// Gives each example a new shape with the same number of values (`Flatten` is a reshape to one
/// dimension). Copies nothing: NHWC values are already in row-major order.
public final class Reshape: Layer {
  /// The shape of one example afterwards.
  public let exampleShape: [Int]

  public init(to exampleShape: [Int]) { self.exampleShape = exampleShape }

  public func callAsFunction(_ input: Variable) -> Variable {
    let examples = input.shape.first ?? 0
    precondition(input.shape.dropFirst().reduce(1, *) == exampleShape.reduce(1, *),
                 "Reshape to \(exampleShape) got input of shape \(input.shape)")
    return input.reshaped(to: [examples] + exampleShape)
  }

  public var namedParameters: [(name: String, parameter: Variable)] { [] }

  /// `Reshape(7×7×32)`.
  public var description: String { "Reshape(\(exampleShape.map(String.init).joined(separator: "×")))" }
}

extension Reshape {
  /// `reshape HxWxC` (or `reshape N`): each example to that shape, with as many values; JSON type
  /// `reshape` with Keras's `target_shape`.
  public struct Kind: LayerKind {
    public var targetShape: [Int]

    public init(targetShape: [Int]) { self.targetShape = targetShape }

    public static let typeName = "reshape", words = ["reshape"]

    public init(settings: LayerSettings) throws {
      try settings.expectNoOtherWords()
      let target: [Int]? = switch settings.items.first {
      case .sizes(let sizes) where settings.items.count == 1: sizes
      case .number(let number) where settings.items.count == 1 && number > 0: [number]
      default: nil
      }
      guard let target else { throw SpecError("expected reshape HxWxC, e.g. reshape 7x7x32") }
      try settings.refuse([.activation, .padding, .stride])
      self.init(targetShape: target)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard !targetShape.isEmpty, targetShape.allSatisfy({ $0 > 0 }) else { throw LayerMisfit("the target shape \(targetShape) must have positive sizes") }
      guard checkedProduct(targetShape) == input.reduce(1, *) else {
        throw LayerMisfit("\(input.reduce(1, *)) values cannot take the shape \(targetShape) "
          + "(\(checkedProduct(targetShape).map(groupedDigits) ?? "too many") values)")
      }
      return targetShape
    }

    public var sizes: [(name: String, value: Int)] { targetShape.map { ("target size", $0) } }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator) throws
      -> any Layer
    {
      Reshape(to: try outputShape(for: inputShape))
    }

    public var shortDescription: String { targetShape.map(String.init).joined(separator: "x") }
    public var description: String { "Reshape(\(targetShape.map(String.init).joined(separator: "×")))" }

    private enum Keys: String, CodingKey { case targetShape = "target_shape" }

    public init(from decoder: any Decoder) throws { targetShape = try decoder.container(keyedBy: Keys.self).decode([Int].self, forKey: .targetShape) }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Keys.self)
      try container.encode(targetShape, forKey: .targetShape)
    }
  }

  /// `flatten`: each example to `[values]`; JSON type `flatten`.
  public struct FlattenKind: LayerKind {
    public init() {}

    public static let typeName = "flatten", words = ["flatten"]

    public init(settings: LayerSettings) throws {
      _ = try settings.numbers(0...0, "flatten with no settings")
      try settings.refuse([.activation, .padding, .stride])
    }

    public func outputShape(for input: [Int]) throws -> [Int] { [input.reduce(1, *)] }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator)
      -> any Layer
    {
      Reshape(to: [inputShape.reduce(1, *)])
    }

    public var shortDescription: String { "flatten" }
    public var description: String { "Flatten" }

    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {}
  }
}

extension LayerSpec {
  /// Flattens each example to `[values]`.
  public static var flatten: LayerSpec { LayerSpec(Reshape.FlattenKind()) }
  /// Gives each example the shape `shape`.
  public static func reshape(_ shape: [Int]) -> LayerSpec { LayerSpec(Reshape.Kind(targetShape: shape)) }
}
