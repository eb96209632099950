import Autodiff
import TensorCore

/// Nearest-neighbour upsampling over sequences (Keras's `UpSampling1D`): each step repeated
/// `factor` times, `[batchSize, length, channels]` to `[batchSize, length·factor, channels]`.
public final class UpSampling1D: Layer {
  public let factor: Int

  public init(factor: Int) {
    precondition(factor > 0, "upsampling factor \(factor) must be positive")
    self.factor = factor
  }

  public func callAsFunction(_ input: Variable) -> Variable {
    let (n, length, channels) = (input.shape[0], input.shape[1], input.shape[2])
    return input.reshaped(to: [n, 1, length, channels]).upsampled2D(by: (1, factor)).reshaped(to: [n, length * factor, channels])
  }

  public var namedParameters: [(name: String, parameter: Variable)] { [] }

  /// `UpSampling1D(2)`.
  public var description: String { "UpSampling1D(\(factor))" }

  /// `up1d [SIZE]`: each step repeated SIZE (2) times; JSON type `up_sampling1d`.
  public struct Kind: LayerKind {
    public var size: Int

    public init(size: Int) { self.size = size }

    public static let typeName = "up_sampling1d", words = ["up1d", "upsampling1d"]

    public init(settings: LayerSettings) throws {
      let numbers = try settings.numbers(0...1, "up1d [SIZE]")
      try settings.refuse([.activation, .padding, .stride, .bias])
      self.init(size: numbers.first ?? 2)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard size > 0 else { throw LayerMisfit("the upsampling size must be positive, got \(size)") }
      let (length, channels) = try LayerMisfit.sequence(input, "UpSampling1D")
      return [length * size, channels]
    }

    public var sizes: [(name: String, value: Int)] { [("upsampling size", size)] }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator)
      -> any Layer
    {
      UpSampling1D(factor: size)
    }

    public var takesSequences: Bool { true }
    public var shortDescription: String { "up1d \(size)" }
    public var description: String { "UpSampling1D(\(size))" }

    private enum Keys: String, CodingKey { case size }

    public init(from decoder: any Decoder) throws { size = try decoder.container(keyedBy: Keys.self).decodePositive(.size) }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Keys.self)
      try container.encode(size, forKey: .size)
    }
  }
}

extension LayerSpec {
  /// `UpSampling1D(size)` over sequences, nearest neighbour.
  public static func upSampling1D(size: Int) -> LayerSpec { LayerSpec(UpSampling1D.Kind(size: size)) }
}
