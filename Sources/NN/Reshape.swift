import Autodiff

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
