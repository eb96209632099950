import Autodiff
import FileIO
import TensorCore

/// A 1-D convolution layer over sequences: `activation(conv(input, weight) + bias)`, Keras's
/// channels-last `Conv1D`.
///
/// `input` is `[batchSize, length, channels]`; the output `[batchSize, outputLength, filters]`,
/// sized by `geometry` (a 2-D one over one-row images, `same` or `valid`). The weight is stored
/// `[kernelSize, channels, filters]`, as Keras stores it. It runs as a 2-D convolution of one-row
/// images, so the same kernels (direct or BLAS) compute it. New layers get Glorot-uniform weights
/// (fan in `k·channels`, fan out `k·filters`) and zero biases, as in Keras.
public final class Conv1D: ActivatedLayer {
  /// The kernel, `[kernelSize, channels, filters]`.
  public let weight: Variable
  /// The bias, `[filters]`, or nil.
  public let bias: Variable?
  public let activation: Activation
  /// Where the windows fall on one input sequence, as a 1 × length image.
  public let geometry: WindowGeometry

  public init(weight: Tensor, bias: Tensor? = nil, activation: Activation = .identity, geometry: WindowGeometry) {
    precondition(geometry.height == 1 && geometry.kernelHeight == 1 && weight.rank == 3
                   && Array(weight.shape[0..<2]) == [geometry.kernelWidth, geometry.channels], "Conv1D weight \(weight.shape) for geometry \(geometry)")
    precondition(bias == nil || bias!.shape == [weight.shape[2]], "Conv1D bias \(bias!.shape) for weight \(weight.shape)")
    self.weight = Variable(weight, requiresGradient: true)
    self.bias = bias.map { Variable($0, requiresGradient: true) }
    self.activation = activation
    self.geometry = geometry
  }

  /// Creates a layer with Glorot-uniform weights and zero biases.
  public convenience init(filters: Int, geometry: WindowGeometry, activation: Activation = .identity, useBias: Bool = true,
                          using generator: inout some RandomNumberGenerator) {
    let (k, c) = (geometry.kernelWidth, geometry.channels)
    let weight = Initializer.glorotUniform(shape: [k, c, filters], fanIn: k * c, fanOut: k * filters, using: &generator)
    self.init(weight: weight, bias: useBias ? Tensor.zeros(shape: [filters]) : nil, activation: activation, geometry: geometry)
  }

  /// The number of output channels.
  public var filters: Int { weight.value.shape[2] }

  public func callAsFunction(_ input: Variable) -> Variable {
    let n = input.shape[0], g = geometry
    precondition(input.shape == [n, g.width, g.channels], "Conv1D over \(g.width)×\(g.channels) got input of shape \(input.shape)")
    let image = input.reshaped(to: [n, 1, g.width, g.channels]), kernel = weight.reshaped(to: [1] + weight.value.shape)
    let output = activation == .relu
      ? image.convolved2D(with: kernel, bias: bias, geometry: g, rectified: true)
      : activation(image.convolved2D(with: kernel, bias: bias, geometry: g))
    return output.reshaped(to: [n, g.outputWidth, filters])
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// `Conv1D(1 => 32, 7, stride 2, relu)`.
  public var description: String {
    "Conv1D(\(geometry.channels) => \(filters), \(geometry.kernelWidth), stride \(geometry.strideWidth), \(activation))"
  }

  /// `conv1d FILTERS KERNEL [stride N] [same|valid] [ACTIVATION] [nobias]` on sequences; JSON type
  /// `conv1d`.
  public struct Kind: ConvolutionKind {
    public var settings: ConvolutionSettings

    public static let typeName = "conv1d", words = ["conv1d"]

    public init(_ settings: ConvolutionSettings) { self.settings = settings }

    public init(from decoder: any Decoder) throws { settings = try ConvolutionSettings(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try settings.encode(to: encoder) }

    /// The windows over one `input` sequence, as a 1 × length image.
    func geometry(for input: [Int]) throws -> WindowGeometry {
      let (length, channels) = try LayerMisfit.sequence(input, "Conv1D"), (k, s) = (settings.kernelSize, settings.stride)
      return try LayerMisfit.geometry {
        try WindowGeometry(height: 1, width: length, channels: channels, kernel: (1, k), stride: (1, s), padding: settings.padding)
      }
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard settings.filters > 0 else { throw LayerMisfit("filters must be positive, got \(settings.filters)") }
      return [try geometry(for: input).outputWidth, settings.filters]
    }


    public func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] {
      Self.weightAndBias([settings.kernelSize, input.last ?? 0, settings.filters], bias: settings.useBias ? settings.filters : nil)
    }

    public func multiplyAddsPerExample(inputShape input: [Int]) -> Int {
      checkedProduct([(try? geometry(for: input))?.outputWidth ?? 0, settings.kernelSize, input.last ?? 0, settings.filters]) ?? Int.max
    }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator) throws
      -> any Layer
    {
      let geometry = try geometry(for: inputShape)
      if let parameters { return Conv1D(weight: parameters["weight"]!, bias: parameters["bias"], activation: settings.activation, geometry: geometry) }
      return Conv1D(filters: settings.filters, geometry: geometry, activation: settings.activation, useBias: settings.useBias, using: &generator)
    }

    public var takesSequences: Bool { true }
    public var shortDescription: String {
      let s = settings
      return "conv1d \(s.filters) \(s.kernelSize)\(s.stride == 1 ? "" : " /\(s.stride)")\(s.padding == .valid ? " valid" : "") \(s.activation)"
    }
    public var description: String {
      let s = settings
      return "Conv1D(\(s.filters), \(s.kernelSize)\(s.stride == 1 ? "" : ", stride \(s.stride)"), \(s.padding), \(s.activation)\(s.useBias ? "" : ", no bias"))"
    }
  }
}

extension LayerSpec {
  /// `Conv1D(filters, kernelSize, stride, padding, activation)` over sequences.
  public static func conv1D(filters: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .same, activation: Activation,
                            useBias: Bool = true) -> LayerSpec {
    LayerSpec(Conv1D.Kind(ConvolutionSettings(filters: filters, kernelSize: kernelSize, stride: stride, padding: padding, activation: activation,
                                              useBias: useBias)))
  }
}
