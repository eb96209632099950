import Autodiff
import TensorCore

/// Inverted dropout (Srivastava et al., 2014), as Keras's `Dropout(rate)`: in training, each
/// value is zeroed with probability `rate` and the rest are scaled by `1 / (1 - rate)`, so the
/// expected output is the input; at inference it passes its input through.
///
/// It acts only while a training step computes its objective (`BatchContext.training` is set on
/// the step's thread). Example `i` of a batch draws its mask from stream `firstExample + i` of the
/// batch's seed mixed with the layer's `salt` (its place in the model), so the masks, like every
/// other draw, do not depend on how the batch is split across threads.
public final class Dropout: Layer {
  /// The fraction of values dropped, in [0, 1).
  public let rate: Float
  /// Mixed into the batch's seed so two dropout layers draw different masks.
  public let salt: UInt64

  public init(rate: Float, salt: UInt64 = 0) {
    precondition(rate >= 0 && rate < 1, "a dropout rate must lie in [0, 1), got \(rate)")
    self.rate = rate
    self.salt = salt
  }

  public func callAsFunction(_ input: Variable) -> Variable {
    guard rate > 0, let context = BatchContext.training else { return input }
    return input * mask(rows: input.shape[0], size: input.shape.dropFirst().reduce(1, *), context: context).reshaped(to: input.shape)
  }

  /// The mask for `rows` examples of `size` values: 0 or `1 / (1 - rate)`.
  func mask(rows: Int, size: Int, context: BatchContext) -> Tensor {
    let kept = 1 / (1 - rate), seed = context.seed ^ 0xD809_0C7 ^ (salt &* 0x9E37_79B9_7F4A_7C15)
    return Tensor(shape: [rows, size]) { out in
      for row in 0..<rows {
        var generator = SplitMix64(seed: seed, stream: context.firstExample + row)
        let y = out.baseAddress! + row * size
        for i in 0..<size { y[i] = generator.nextUnitFloat() < rate ? 0 : kept }
      }
    }
  }

  public var namedParameters: [(name: String, parameter: Variable)] { [] }

  /// `Dropout(0.2)`.
  public var description: String { "Dropout(\(rate))" }
}

extension Dropout {
  /// `dropout RATE`, RATE in [0, 1): inverted dropout in training, nothing at inference; any
  /// shape. JSON type `dropout`.
  public struct Kind: LayerKind {
    public var rate: Float

    public init(rate: Float) { self.rate = rate }

    public static let typeName = "dropout", words = ["dropout"]

    public init(settings: LayerSettings) throws {
      guard settings.words.count == 1, let rate = Float(settings.words[0]), rate >= 0 && rate < 1 else {
        throw SpecError("expected dropout RATE, a fraction in [0, 1), e.g. dropout 0.2")
      }
      self.init(rate: rate)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard rate >= 0 && rate < 1 else { throw LayerMisfit("the dropout rate \(rate) must lie in [0, 1)") }
      return input
    }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator)
      -> any Layer
    {
      Dropout(rate: rate, salt: salt)
    }

    public var isDropout: Bool { true }
    public var isCausal: Bool { true }
    public var shortDescription: String { "dropout \(rate)" }
    public var description: String { "Dropout(\(rate))" }

    private enum Keys: String, CodingKey { case rate }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Keys.self)
      let rate = try container.decode(Float.self, forKey: .rate)
      guard rate >= 0 && rate < 1 else {
        throw DecodingError.dataCorruptedError(forKey: .rate, in: container, debugDescription: "must lie in [0, 1), got \(rate)")
      }
      self.rate = rate
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Keys.self)
      try container.encode(rate, forKey: .rate)
    }
  }
}

extension LayerSpec {
  /// `Dropout(rate)`: in training, zeroes each value with probability `rate` (and scales the rest
  /// by `1 / (1 - rate)`); at inference, passes its input through. Any shape.
  public static func dropout(rate: Float) -> LayerSpec { LayerSpec(Dropout.Kind(rate: rate)) }
}

extension Dropout: SteppingLayer {
  public func stepSizes(inputWidth: Int) -> (output: Int, state: Int, scratch: Int) { (inputWidth, 0, 0) }

  /// The input as it is (dropout draws in training only).
  public func step(streams: Int, input: UnsafePointer<Float>, inputWidth: Int, state: UnsafeMutablePointer<Float>,
                   scratch: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
    output.update(from: input, count: streams * inputWidth)
  }
}
