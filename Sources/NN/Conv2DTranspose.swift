import Autodiff
import FileIO
import TensorCore

/// A transposed 2-D convolution layer (Keras's `Conv2DTranspose`, sometimes called a
/// deconvolution): `activation(convᵀ(input, weight) + bias)` over NHWC batches, which upsamples by
/// its stride.
///
/// The weight is stored `[kernelHeight, kernelWidth, filters, channels]`, as Keras stores it; the
/// output is `[batchSize, height, width, filters]` of `geometry` (from `WindowGeometry.transposed`).
/// New layers get Glorot-uniform weights and zero biases, as in Keras.
public final class Conv2DTranspose: ActivatedLayer {
  /// The kernel, `[kernelHeight, kernelWidth, filters, channels]`.
  public let weight: Variable
  /// The bias, `[filters]`, or nil.
  public let bias: Variable?
  public let activation: Activation
  /// The geometry of the convolution this layer transposes: its image is this layer's output.
  public let geometry: WindowGeometry

  public init(weight: Tensor, bias: Tensor? = nil, activation: Activation = .identity, geometry: WindowGeometry) {
    precondition(weight.rank == 4 && Array(weight.shape[0..<3]) == [geometry.kernelHeight, geometry.kernelWidth, geometry.channels],
                 "Conv2DTranspose weight \(weight.shape) for geometry \(geometry)")
    precondition(bias == nil || bias!.shape == [geometry.channels], "Conv2DTranspose bias \(bias!.shape) for weight \(weight.shape)")
    self.weight = Variable(weight, requiresGradient: true)
    self.bias = bias.map { Variable($0, requiresGradient: true) }
    self.activation = activation
    self.geometry = geometry
  }

  /// Creates a layer with Glorot-uniform weights and zero biases, taking `channels` input channels.
  public convenience init(channels: Int, geometry: WindowGeometry, activation: Activation = .identity, useBias: Bool = true,
                          using generator: inout some RandomNumberGenerator) {
    let window = geometry.kernelHeight * geometry.kernelWidth
    // Keras computes fans from the kernel's last two dimensions: in = window·filters, out = window·channels.
    let weight = Initializer.glorotUniform(shape: [geometry.kernelHeight, geometry.kernelWidth, geometry.channels, channels],
                                           fanIn: window * geometry.channels, fanOut: window * channels, using: &generator)
    self.init(weight: weight, bias: useBias ? Tensor.zeros(shape: [geometry.channels]) : nil, activation: activation, geometry: geometry)
  }

  /// The number of output channels.
  public var filters: Int { geometry.channels }

  public func callAsFunction(_ input: Variable) -> Variable {
    // relu is fused into the convolution: applied block by block while the output is in cache.
    activation == .relu
      ? input.transposedConvolved2D(with: weight, bias: bias, geometry: geometry, rectified: true)
      : activation(input.transposedConvolved2D(with: weight, bias: bias, geometry: geometry))
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// `Conv2DTranspose(32 => 32, 3×3, stride 2, relu)`.
  public var description: String {
    let g = geometry
    return "Conv2DTranspose(\(weight.value.shape[3]) => \(filters), \(g.kernelHeight)×\(g.kernelWidth), stride \(g.strideHeight), \(activation))"
  }
}

extension Conv2DTranspose {
  /// `convt FILTERS KERNEL [stride N] [same|valid] [ACTIVATION] [nobias]` on images, upsampling by
  /// its stride; JSON type `conv2d_transpose`.
  public struct Kind: ConvolutionKind {
    public var settings: ConvolutionSettings

    public static let typeName = "conv2d_transpose", words = ["convt", "conv2dtranspose", "conv-transpose", "deconv"]

    public init(_ settings: ConvolutionSettings) { self.settings = settings }

    public init(from decoder: any Decoder) throws { settings = try ConvolutionSettings(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try settings.encode(to: encoder) }

    /// The geometry of the convolution it transposes, whose image is this layer's output.
    func geometry(for input: [Int]) throws -> WindowGeometry {
      let (h, w, _) = try LayerMisfit.image(input, "Conv2DTranspose"), (k, s) = (settings.kernelSize, settings.stride)
      return try LayerMisfit.geometry {
        try WindowGeometry.transposed(height: h, width: w, channels: settings.filters, kernel: (k, k), stride: (s, s), padding: settings.padding)
      }
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard settings.filters > 0 else { throw LayerMisfit("filters must be positive, got \(settings.filters)") }
      let g = try geometry(for: input)
      return [g.height, g.width, settings.filters]
    }


    public func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] {
      let s = settings
      return Self.weightAndBias([s.kernelSize, s.kernelSize, s.filters, input.last ?? 0], bias: s.useBias ? s.filters : nil)
    }

    /// Counted over its input cells, each spreading a whole window.
    public func multiplyAddsPerExample(inputShape input: [Int]) -> Int {
      checkedProduct(input + [settings.kernelSize, settings.kernelSize, settings.filters]) ?? Int.max
    }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator) throws
      -> any Layer
    {
      let geometry = try geometry(for: inputShape)
      if let parameters {
        return Conv2DTranspose(weight: parameters["weight"]!, bias: parameters["bias"], activation: settings.activation, geometry: geometry)
      }
      return Conv2DTranspose(channels: inputShape[2], geometry: geometry, activation: settings.activation, useBias: settings.useBias, using: &generator)
    }

    public var takesImages: Bool { true }
    public var shortDescription: String { settings.shortDescription("convT", strideMark: "×") }
    public var description: String { settings.description("Conv2DTranspose") }
  }
}

extension LayerSpec {
  /// `Conv2DTranspose(filters, kernelSize×kernelSize, stride, padding, activation)`: upsamples by its stride.
  public static func conv2DTranspose(filters: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .same, activation: Activation,
                                     useBias: Bool = true) -> LayerSpec {
    LayerSpec(Conv2DTranspose.Kind(ConvolutionSettings(filters: filters, kernelSize: kernelSize, stride: stride, padding: padding,
                                                       activation: activation, useBias: useBias)))
  }
}
