import Autodiff
import TensorCore

/// Each example `[features]` repeated over `steps` steps, `[steps, features]` (Keras's
/// `RepeatVector`: the code of an LSTM autoencoder handed to every step of its decoder).
public final class RepeatVector: Layer {
  public let steps: Int

  public init(steps: Int) {
    precondition(steps > 0, "RepeatVector over \(steps) steps")
    self.steps = steps
  }

  public func callAsFunction(_ input: Variable) -> Variable { input.repeated(steps: steps) }

  public var namedParameters: [(name: String, parameter: Variable)] { [] }

  /// `RepeatVector(24)`.
  public var description: String { "RepeatVector(\(steps))" }

  /// `repeat STEPS`: flat input `[features]` to `[STEPS, features]`; JSON type `repeat_vector` (Keras's `n`).
  public struct Kind: LayerKind {
    public var steps: Int

    public init(steps: Int) { self.steps = steps }

    public static let typeName = "repeat_vector", words = ["repeat"]

    public init(settings: LayerSettings) throws {
      let numbers = try settings.numbers(1...1, "repeat STEPS, e.g. repeat 24")
      try settings.refuse([.padding, .stride, .activation, .bias])
      self.init(steps: numbers[0])
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard steps > 0 else { throw LayerMisfit("steps must be positive, got \(steps)") }
      guard input.count == 1 else { throw LayerMisfit("RepeatVector needs flat input of shape [features]") }
      return [steps, input[0]]
    }

    public var sizes: [(name: String, value: Int)] { [("steps", steps)] }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator)
      -> any Layer
    {
      RepeatVector(steps: steps)
    }

    public var shortDescription: String { "repeat \(steps)" }
    public var description: String { "RepeatVector(\(steps))" }

    private enum Keys: String, CodingKey { case n }

    public init(from decoder: any Decoder) throws { steps = try decoder.container(keyedBy: Keys.self).decodePositive(.n) }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Keys.self)
      try container.encode(steps, forKey: .n)
    }
  }
}

extension LayerSpec {
  /// `RepeatVector(steps)`: flat input repeated over `steps` steps.
  public static func repeatVector(steps: Int) -> LayerSpec { LayerSpec(RepeatVector.Kind(steps: steps)) }
}
