import Autodiff
import TensorCore

/// Max pooling over NHWC batches: the maximum of each window, channel by channel.
public final class MaxPool2D: Layer {
  /// Where the windows fall on one input image.
  public let geometry: WindowGeometry

  public init(geometry: WindowGeometry) { self.geometry = geometry }

  public func callAsFunction(_ input: Variable) -> Variable { input.maxPooled2D(geometry: geometry) }

  public var namedParameters: [(name: String, parameter: Variable)] { [] }

  /// `MaxPool2D(2×2, stride 2)`.
  public var description: String { "MaxPool2D(\(geometry.kernelHeight)×\(geometry.kernelWidth), stride \(geometry.strideHeight))" }
}

extension MaxPool2D {
  /// `pool [SIZE] [stride N] [same|valid]`: max pooling over SIZE×SIZE windows (SIZE 2), moved by
  /// the stride (the size unless given, as Keras), `valid` unless given; JSON type `max_pool2d`.
  public struct Kind: LayerKind {
    public var size: Int
    /// The stride where it differs from the size.
    public var stride: Int?
    public var padding: Padding

    public init(size: Int, stride: Int? = nil, padding: Padding = .valid) {
      (self.size, self.stride, self.padding) = (size, stride == size ? nil : stride, padding)
    }

    public static let typeName = "max_pool2d", words = ["pool", "maxpool", "max_pool", "maxpool2d"]

    public init(settings: LayerSettings) throws {
      let numbers = try settings.numbers(0...1, "pool [SIZE]")
      try settings.refuse([.activation, .bias])
      self.init(size: numbers.first ?? 2, stride: settings.stride, padding: settings.padding ?? .valid)
    }

    /// The windows over one `input` image; `valid` windows must cover it.
    func geometry(for input: [Int]) throws -> WindowGeometry {
      let (h, w, c) = try LayerMisfit.image(input, "MaxPool2D"), s = stride ?? size
      let g = try LayerMisfit.geometry { try WindowGeometry(height: h, width: w, channels: c, kernel: (size, size), stride: (s, s), padding: padding) }
      if padding == .valid, (h - size) % s != 0 || (w - size) % s != 0 {
        let same = try LayerMisfit.geometry { try WindowGeometry(height: h, width: w, channels: c, kernel: (size, size), stride: (s, s), padding: .same) }
        throw LayerMisfit("pooling \(size)×\(size) with stride \(s) does not divide \(h)×\(w): without padding it would drop "
          + "the last rows or columns (giving \(g.outputHeight)×\(g.outputWidth)); pad with 'same' (giving \(same.outputHeight)×\(same.outputWidth)) "
          + "or change the input size")
      }
      return g
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      let g = try geometry(for: input)
      return [g.outputHeight, g.outputWidth, g.channels]
    }

    public var sizes: [(name: String, value: Int)] { [("pool size", size), ("stride", stride ?? size)] }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator) throws
      -> any Layer
    {
      MaxPool2D(geometry: try geometry(for: inputShape))
    }

    public var takesImages: Bool { true }
    public var shortDescription: String { "pool \(size)\(stride.map { " stride \($0)" } ?? "")\(padding == .same ? " same" : "")" }
    public var description: String { "MaxPool2D(\(size)×\(size)\(stride.map { ", stride \($0)" } ?? ""), \(padding))" }

    public init(from decoder: any Decoder) throws {
      let keys = try PoolKeys(from: decoder)
      self.init(size: keys.size, stride: keys.stride, padding: keys.padding)
    }

    public func encode(to encoder: any Encoder) throws { try PoolKeys(size: size, stride: stride ?? size, padding: padding).encode(to: encoder) }
  }
}

/// A pooling layer's settings under Keras's keys, as model files store them for the 2-D and 1-D
/// kinds: `pool_size`, `strides` (the size when absent), `padding` (`valid` when absent).
struct PoolKeys: Codable {
  var size: Int, stride: Int, padding: Padding

  init(size: Int, stride: Int, padding: Padding) { (self.size, self.stride, self.padding) = (size, stride, padding) }

  private enum Keys: String, CodingKey { case poolSize = "pool_size", strides, padding }

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: Keys.self)
    size = try container.decodePositive(.poolSize)
    stride = try container.contains(.strides) ? container.decodePositive(.strides) : size
    padding = try container.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Keys.self)
    try container.encode(size, forKey: .poolSize)
    try container.encode(stride, forKey: .strides)
    try container.encode(padding, forKey: .padding)
  }
}

extension LayerSpec {
  /// `MaxPooling2D(size×size)`, moved by `stride` (nil: the size, as Keras).
  public static func maxPool2D(size: Int, stride: Int? = nil, padding: Padding = .valid) -> LayerSpec {
    LayerSpec(MaxPool2D.Kind(size: size, stride: stride, padding: padding))
  }
}
