import Autodiff
import TensorCore

/// Nearest-neighbour upsampling over NHWC batches: each cell repeated `factor` times down and across.
public final class UpSampling2D: Layer {
  public let factor: (height: Int, width: Int)

  public init(factor: (height: Int, width: Int)) {
    precondition(factor.height > 0 && factor.width > 0, "upsampling factor \(factor) must be positive")
    self.factor = factor
  }

  public func callAsFunction(_ input: Variable) -> Variable { input.upsampled2D(by: factor) }

  public var namedParameters: [(name: String, parameter: Variable)] { [] }

  /// `UpSampling2D(2×2)`.
  public var description: String { "UpSampling2D(\(factor.height)×\(factor.width))" }
}

extension UpSampling2D {
  /// `up [SIZE]`: nearest-neighbour upsampling by SIZE (2) down and across; JSON type `up_sampling2d`.
  public struct Kind: LayerKind {
    public var size: Int

    public init(size: Int) { self.size = size }

    public static let typeName = "up_sampling2d", words = ["up", "upsample", "upsampling", "upsampling2d"]

    public init(settings: LayerSettings) throws {
      let numbers = try settings.numbers(0...1, "up [SIZE]")
      try settings.refuse([.activation, .padding, .stride, .bias])
      self.init(size: numbers.first ?? 2)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard size > 0 else { throw LayerMisfit("the upsampling size must be positive, got \(size)") }
      let (height, width, channels) = try LayerMisfit.image(input, "UpSampling2D")
      return [height * size, width * size, channels]
    }

    public var sizes: [(name: String, value: Int)] { [("upsampling size", size)] }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator)
      -> any Layer
    {
      UpSampling2D(factor: (size, size))
    }

    public var takesImages: Bool { true }
    public var shortDescription: String { "up \(size)" }
    public var description: String { "UpSampling2D(\(size)×\(size))" }

    private enum Keys: String, CodingKey { case size }

    public init(from decoder: any Decoder) throws { size = try decoder.container(keyedBy: Keys.self).decodePositive(.size) }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Keys.self)
      try container.encode(size, forKey: .size)
    }
  }
}

extension LayerSpec {
  /// `UpSampling2D(size×size)`, nearest neighbour.
  public static func upSampling2D(size: Int) -> LayerSpec { LayerSpec(UpSampling2D.Kind(size: size)) }
}
