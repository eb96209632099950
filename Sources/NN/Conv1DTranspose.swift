import Autodiff
import FileIO
import TensorCore

/// A transposed 1-D convolution layer over sequences (Keras's `Conv1DTranspose`), which upsamples
/// by its stride: `input` `[batchSize, length, channels]` to `[batchSize, length·stride (same),
/// filters]`. The weight is stored `[kernelSize, filters, channels]`, as Keras stores it; it runs
/// as a transposed 2-D convolution of one-row images. Glorot-uniform weights (Keras's fans from the
/// kernel's last two dimensions) and zero biases.
public final class Conv1DTranspose: ActivatedLayer {
  /// The kernel, `[kernelSize, filters, channels]`.
  public let weight: Variable
  /// The bias, `[filters]`, or nil.
  public let bias: Variable?
  public let activation: Activation
  /// The geometry of the convolution this layer transposes (a 1 × length image): its image is
  /// this layer's output.
  public let geometry: WindowGeometry

  public init(weight: Tensor, bias: Tensor? = nil, activation: Activation = .identity, geometry: WindowGeometry) {
    precondition(geometry.height == 1 && geometry.kernelHeight == 1 && weight.rank == 3
                   && Array(weight.shape[0..<2]) == [geometry.kernelWidth, geometry.channels],
                 "Conv1DTranspose weight \(weight.shape) for geometry \(geometry)")
    precondition(bias == nil || bias!.shape == [geometry.channels], "Conv1DTranspose bias \(bias!.shape) for weight \(weight.shape)")
    self.weight = Variable(weight, requiresGradient: true)
    self.bias = bias.map { Variable($0, requiresGradient: true) }
    self.activation = activation
    self.geometry = geometry
  }

  /// Creates a layer with Glorot-uniform weights and zero biases, taking `channels` input channels.
  public convenience init(channels: Int, geometry: WindowGeometry, activation: Activation = .identity, useBias: Bool = true,
                          using generator: inout some RandomNumberGenerator) {
    let (k, filters) = (geometry.kernelWidth, geometry.channels)
    let weight = Initializer.glorotUniform(shape: [k, filters, channels], fanIn: k * filters, fanOut: k * channels, using: &generator)
    self.init(weight: weight, bias: useBias ? Tensor.zeros(shape: [filters]) : nil, activation: activation, geometry: geometry)
  }

  /// The number of output channels.
  public var filters: Int { geometry.channels }

  public func callAsFunction(_ input: Variable) -> Variable {
    let n = input.shape[0], g = geometry, channels = weight.value.shape[2]
    precondition(input.shape == [n, g.outputWidth, channels], "Conv1DTranspose over \(g.outputWidth)×\(channels) got input of shape \(input.shape)")
    let image = input.reshaped(to: [n, 1, g.outputWidth, channels]), kernel = weight.reshaped(to: [1] + weight.value.shape)
    let output = activation == .relu
      ? image.transposedConvolved2D(with: kernel, bias: bias, geometry: g, rectified: true)
      : activation(image.transposedConvolved2D(with: kernel, bias: bias, geometry: g))
    return output.reshaped(to: [n, g.width, filters])
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// `Conv1DTranspose(16 => 32, 7, stride 2, relu)`.
  public var description: String {
    "Conv1DTranspose(\(weight.value.shape[2]) => \(filters), \(geometry.kernelWidth), stride \(geometry.strideWidth), \(activation))"
  }

  /// `convt1d FILTERS KERNEL [stride N] [same|valid] [ACTIVATION] [nobias]` on sequences,
  /// upsampling by its stride; JSON type `conv1d_transpose`.
  public struct Kind: ConvolutionKind {
    public var settings: ConvolutionSettings

    public static let typeName = "conv1d_transpose", words = ["convt1d", "conv1dtranspose"]

    public init(_ settings: ConvolutionSettings) { self.settings = settings }

    public init(from decoder: any Decoder) throws { settings = try ConvolutionSettings(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try settings.encode(to: encoder) }

    /// The geometry of the convolution it transposes, whose 1 × length image is this layer's output.
    func geometry(for input: [Int]) throws -> WindowGeometry {
      let (length, _) = try LayerMisfit.sequence(input, "Conv1DTranspose"), (k, s) = (settings.kernelSize, settings.stride)
      return try LayerMisfit.geometry {
        try WindowGeometry.transposed(height: 1, width: length, channels: settings.filters, kernel: (1, k), stride: (1, s), padding: settings.padding)
      }
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard settings.filters > 0 else { throw LayerMisfit("filters must be positive, got \(settings.filters)") }
      return [try geometry(for: input).width, settings.filters]
    }


    public func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] {
      Self.weightAndBias([settings.kernelSize, settings.filters, input.last ?? 0], bias: settings.useBias ? settings.filters : nil)
    }

    /// Counted over its input cells, each spreading a whole window.
    public func multiplyAddsPerExample(inputShape input: [Int]) -> Int {
      checkedProduct(input + [settings.kernelSize, settings.filters]) ?? Int.max
    }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator) throws
      -> any Layer
    {
      let geometry = try geometry(for: inputShape)
      if let parameters {
        return Conv1DTranspose(weight: parameters["weight"]!, bias: parameters["bias"], activation: settings.activation, geometry: geometry)
      }
      return Conv1DTranspose(channels: inputShape[1], geometry: geometry, activation: settings.activation, useBias: settings.useBias, using: &generator)
    }

    public var takesSequences: Bool { true }
    public var shortDescription: String {
      let s = settings
      return "convt1d \(s.filters) \(s.kernelSize)\(s.stride == 1 ? "" : " ×\(s.stride)")\(s.padding == .valid ? " valid" : "") \(s.activation)"
    }
    public var description: String {
      let s = settings
      return "Conv1DTranspose(\(s.filters), \(s.kernelSize)\(s.stride == 1 ? "" : ", stride \(s.stride)"), \(s.padding), \(s.activation)"
        + "\(s.useBias ? "" : ", no bias"))"
    }
  }
}

extension LayerSpec {
  /// `Conv1DTranspose(filters, kernelSize, stride, padding, activation)`: upsamples a sequence by its stride.
  public static func conv1DTranspose(filters: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .same, activation: Activation,
                                     useBias: Bool = true) -> LayerSpec {
    LayerSpec(Conv1DTranspose.Kind(ConvolutionSettings(filters: filters, kernelSize: kernelSize, stride: stride, padding: padding,
                                                       activation: activation, useBias: useBias)))
  }
}
