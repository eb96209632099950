import Autodiff
import TensorCore

/// Max pooling over sequences (Keras's `MaxPooling1D`): `[batchSize, length, channels]` to the
/// maximum of each window of `size` steps, channel by channel; runs as 2-D pooling of one-row images.
public final class MaxPool1D: Layer {
  /// Where the windows fall on one sequence, as a 1 × length image.
  public let geometry: WindowGeometry

  public init(geometry: WindowGeometry) {
    precondition(geometry.height == 1 && geometry.kernelHeight == 1, "MaxPool1D over a 1 × length geometry, got \(geometry)")
    self.geometry = geometry
  }

  public func callAsFunction(_ input: Variable) -> Variable {
    let n = input.shape[0], g = geometry
    return input.reshaped(to: [n, 1, g.width, g.channels]).maxPooled2D(geometry: g).reshaped(to: [n, g.outputWidth, g.channels])
  }

  public var namedParameters: [(name: String, parameter: Variable)] { [] }

  /// `MaxPool1D(2, stride 2)`.
  public var description: String { "MaxPool1D(\(geometry.kernelWidth), stride \(geometry.strideWidth))" }

  /// `pool1d [SIZE] [stride N] [same|valid]`: max pooling over SIZE steps (2), moved by the stride
  /// (the size unless given), `valid` unless given; JSON type `max_pool1d`.
  public struct Kind: LayerKind {
    public var size: Int
    /// The stride where it differs from the size.
    public var stride: Int?
    public var padding: Padding

    public init(size: Int, stride: Int? = nil, padding: Padding = .valid) {
      (self.size, self.stride, self.padding) = (size, stride == size ? nil : stride, padding)
    }

    public static let typeName = "max_pool1d", words = ["pool1d", "maxpool1d"]

    public init(settings: LayerSettings) throws {
      let numbers = try settings.numbers(0...1, "pool1d [SIZE]")
      try settings.refuse([.activation, .bias])
      self.init(size: numbers.first ?? 2, stride: settings.stride, padding: settings.padding ?? .valid)
    }

    /// The windows over one `input` sequence; `valid` windows must cover it.
    func geometry(for input: [Int]) throws -> WindowGeometry {
      let (length, channels) = try LayerMisfit.sequence(input, "MaxPool1D"), s = stride ?? size
      let g = try LayerMisfit.geometry {
        try WindowGeometry(height: 1, width: length, channels: channels, kernel: (1, size), stride: (1, s), padding: padding)
      }
      if padding == .valid, (length - size) % s != 0 {
        throw LayerMisfit("pooling \(size) steps with stride \(s) does not divide a length of \(length): without padding it would drop "
          + "the last steps (giving \(g.outputWidth)); pad with 'same' or change the length")
      }
      return g
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      let g = try geometry(for: input)
      return [g.outputWidth, g.channels]
    }

    public var sizes: [(name: String, value: Int)] { [("pool size", size), ("stride", stride ?? size)] }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator) throws
      -> any Layer
    {
      MaxPool1D(geometry: try geometry(for: inputShape))
    }

    public var takesSequences: Bool { true }
    public var shortDescription: String { "pool1d \(size)\(stride.map { " stride \($0)" } ?? "")\(padding == .same ? " same" : "")" }
    public var description: String { "MaxPool1D(\(size)\(stride.map { ", stride \($0)" } ?? ""), \(padding))" }

    public init(from decoder: any Decoder) throws {
      let keys = try PoolKeys(from: decoder)
      self.init(size: keys.size, stride: keys.stride, padding: keys.padding)
    }

    public func encode(to encoder: any Encoder) throws { try PoolKeys(size: size, stride: stride ?? size, padding: padding).encode(to: encoder) }
  }
}

extension LayerSpec {
  /// `MaxPooling1D(size)` over sequences, moved by `stride` (nil: the size, as Keras).
  public static func maxPool1D(size: Int, stride: Int? = nil, padding: Padding = .valid) -> LayerSpec {
    LayerSpec(MaxPool1D.Kind(size: size, stride: stride, padding: padding))
  }
}
