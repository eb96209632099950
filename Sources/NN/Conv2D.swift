import Autodiff
import FileIO
import TensorCore

/// A 2-D convolution layer: `activation(conv(input, weight) + bias)` over NHWC batches.
///
/// `input` has shape `[batchSize, height, width, channels]`; the output has shape
/// `[batchSize, outputHeight, outputWidth, filters]`, sized by `geometry` (Keras's `same` and
/// `valid` padding). The weight is stored `[kernelHeight, kernelWidth, channels, filters]`, as
/// Keras stores it. New layers get Glorot-uniform weights (fan in `kh·kw·channels`, fan out
/// `kh·kw·filters`) and zero biases, as in Keras.
public final class Conv2D: ActivatedLayer {
  /// The kernel, `[kernelHeight, kernelWidth, channels, filters]`.
  public let weight: Variable
  /// The bias, `[filters]`, or nil.
  public let bias: Variable?
  public let activation: Activation
  /// Where the windows fall on one input image.
  public let geometry: WindowGeometry

  /// Creates a layer from explicit parameters, for input images of `geometry`.
  public init(weight: Tensor, bias: Tensor? = nil, activation: Activation = .identity, geometry: WindowGeometry) {
    precondition(weight.rank == 4 && Array(weight.shape[0..<3]) == [geometry.kernelHeight, geometry.kernelWidth, geometry.channels],
                 "Conv2D weight \(weight.shape) for geometry \(geometry)")
    precondition(bias == nil || bias!.shape == [weight.shape[3]], "Conv2D bias \(bias!.shape) for weight \(weight.shape)")
    self.weight = Variable(weight, requiresGradient: true)
    self.bias = bias.map { Variable($0, requiresGradient: true) }
    self.activation = activation
    self.geometry = geometry
  }

  /// Creates a layer with Glorot-uniform weights and zero biases.
  public convenience init(filters: Int, geometry: WindowGeometry, activation: Activation = .identity, useBias: Bool = true,
                          using generator: inout some RandomNumberGenerator) {
    let window = geometry.kernelHeight * geometry.kernelWidth
    let weight = Initializer.glorotUniform(shape: [geometry.kernelHeight, geometry.kernelWidth, geometry.channels, filters],
                                           fanIn: window * geometry.channels, fanOut: window * filters, using: &generator)
    self.init(weight: weight, bias: useBias ? Tensor.zeros(shape: [filters]) : nil, activation: activation, geometry: geometry)
  }

  /// The number of output channels.
  public var filters: Int { weight.value.shape[3] }

  public func callAsFunction(_ input: Variable) -> Variable {
    // relu is fused into the convolution: applied block by block while the output is in cache.
    activation == .relu
      ? input.convolved2D(with: weight, bias: bias, geometry: geometry, rectified: true)
      : activation(input.convolved2D(with: weight, bias: bias, geometry: geometry))
  }

  /// The layer applied to `input` upsampled by `factor` (nearest neighbour), in one operation: an
  /// `UpSampling2D` layer and this one, as `Sequential` runs them.
  public func callAsFunction(_ input: Variable, upsampledBy factor: (height: Int, width: Int)) -> Variable {
    activation == .relu
      ? input.upsampledConvolved2D(by: factor, with: weight, bias: bias, geometry: geometry, rectified: true)
      : activation(input.upsampledConvolved2D(by: factor, with: weight, bias: bias, geometry: geometry))
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// `Conv2D(1 => 16, 3×3, stride 1, same, relu)`.
  public var description: String {
    let g = geometry
    return "Conv2D(\(g.channels) => \(filters), \(g.kernelHeight)×\(g.kernelWidth), stride \(g.strideHeight), \(activation))"
  }
}

/// What a convolution layer and a transposed one are set by, read and stored the same way:
/// `FILTERS KERNEL [stride N] [same|valid] [ACTIVATION] [nobias]` in spec strings (padding `same`
/// unless given), Keras's keys in model files (padding `valid` unless given, as Keras).
public struct ConvolutionSettings: Codable, Equatable, Sendable {
  public var filters: Int, kernelSize: Int, stride: Int, padding: Padding, activation: Activation, useBias: Bool

  public init(filters: Int, kernelSize: Int, stride: Int, padding: Padding, activation: Activation, useBias: Bool) {
    (self.filters, self.kernelSize, self.stride, self.padding, self.activation, self.useBias) = (filters, kernelSize, stride, padding, activation, useBias)
  }

  init(settings: LayerSettings) throws {
    let numbers = try settings.numbers(2...2, "\(settings.name) FILTERS KERNEL, e.g. \(settings.name) 16 3")
    self.init(filters: numbers[0], kernelSize: numbers[1], stride: settings.stride ?? 1, padding: settings.padding ?? .same,
              activation: settings.activation ?? .identity, useBias: settings.useBias)
  }

  var sizes: [(name: String, value: Int)] { [("filters", filters), ("kernel size", kernelSize), ("stride", stride)] }

  /// `16 3×3 /2 valid relu` after the kind's short name; `×2` for a transposed one's stride.
  func shortDescription(_ name: String, strideMark: String) -> String {
    "\(name) \(filters) \(kernelSize)×\(kernelSize)\(stride == 1 ? "" : " \(strideMark)\(stride)")\(padding == .valid ? " valid" : "") \(activation)"
  }

  func description(_ name: String) -> String {
    "\(name)(\(filters), \(kernelSize)×\(kernelSize)\(stride == 1 ? "" : ", stride \(stride)"), \(padding), \(activation)\(useBias ? "" : ", no bias"))"
  }

  private enum Keys: String, CodingKey { case filters, kernelSize = "kernel_size", strides, padding, activation, useBias = "use_bias" }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: Keys.self)
    self.init(filters: try container.decodePositive(.filters), kernelSize: try container.decodePositive(.kernelSize),
              stride: try container.contains(.strides) ? container.decodePositive(.strides) : 1,
              padding: try container.decodeIfPresent(Padding.self, forKey: .padding) ?? .valid,
              activation: try container.decodeIfPresent(Activation.self, forKey: .activation) ?? .identity,
              useBias: try container.decodeIfPresent(Bool.self, forKey: .useBias) ?? true)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Keys.self)
    try container.encode(filters, forKey: .filters)
    try container.encode(kernelSize, forKey: .kernelSize)
    try container.encode(stride, forKey: .strides)
    try container.encode(padding, forKey: .padding)
    try container.encode(activation, forKey: .activation)
    try container.encode(useBias, forKey: .useBias)
  }
}

/// A kind set by `ConvolutionSettings` (the 2-D and 1-D convolutions and their transposes): its
/// spec reading, sizes and activation come from them.
public protocol ConvolutionKind: LayerKind {
  var settings: ConvolutionSettings { get }
  init(_ settings: ConvolutionSettings)
}

extension ConvolutionKind {
  public init(settings: LayerSettings) throws {
    try settings.expectNoOtherWords()
    self.init(try ConvolutionSettings(settings: settings))
  }

  public var sizes: [(name: String, value: Int)] { settings.sizes }
  public var outputActivation: Activation? { settings.activation }
}

extension Conv2D {
  /// `conv FILTERS KERNEL [stride N] [same|valid] [ACTIVATION] [nobias]` on images; JSON type `conv2d`.
  public struct Kind: ConvolutionKind {
    public var settings: ConvolutionSettings

    public static let typeName = "conv2d", words = ["conv", "conv2d"]

    public init(_ settings: ConvolutionSettings) { self.settings = settings }

    public init(from decoder: any Decoder) throws { settings = try ConvolutionSettings(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try settings.encode(to: encoder) }

    /// The windows over one `input` image.
    func geometry(for input: [Int]) throws -> WindowGeometry {
      let (h, w, c) = try LayerMisfit.image(input, "Conv2D"), (k, s) = (settings.kernelSize, settings.stride)
      return try LayerMisfit.geometry { try WindowGeometry(height: h, width: w, channels: c, kernel: (k, k), stride: (s, s), padding: settings.padding) }
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard settings.filters > 0 else { throw LayerMisfit("filters must be positive, got \(settings.filters)") }
      let g = try geometry(for: input)
      return [g.outputHeight, g.outputWidth, settings.filters]
    }


    public func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] {
      let s = settings
      return Self.weightAndBias([s.kernelSize, s.kernelSize, input.last ?? 0, s.filters], bias: s.useBias ? s.filters : nil)
    }

    public func multiplyAddsPerExample(inputShape input: [Int]) -> Int {
      let s = settings
      return checkedProduct([(try? geometry(for: input))?.positions ?? 0, s.kernelSize, s.kernelSize, input.last ?? 0, s.filters]) ?? Int.max
    }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator) throws
      -> any Layer
    {
      let geometry = try geometry(for: inputShape)
      if let parameters { return Conv2D(weight: parameters["weight"]!, bias: parameters["bias"], activation: settings.activation, geometry: geometry) }
      return Conv2D(filters: settings.filters, geometry: geometry, activation: settings.activation, useBias: settings.useBias, using: &generator)
    }

    public var takesImages: Bool { true }
    public var shortDescription: String { settings.shortDescription("conv", strideMark: "/") }
    public var description: String { settings.description("Conv2D") }
  }
}

extension LayerSpec {
  /// `Conv2D(filters, kernelSize×kernelSize, stride, padding, activation)`.
  public static func conv2D(filters: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .same, activation: Activation,
                            useBias: Bool = true) -> LayerSpec {
    LayerSpec(Conv2D.Kind(ConvolutionSettings(filters: filters, kernelSize: kernelSize, stride: stride, padding: padding, activation: activation,
                                              useBias: useBias)))
  }
}
