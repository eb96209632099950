import Autodiff
import TensorCore

/// A transposed 2-D convolution layer (Keras's `Conv2DTranspose`, sometimes called a
/// deconvolution): `activation(convᵀ(input, weight) + bias)` over NHWC batches, which upsamples by
/// its stride.
///
/// The weight is stored `[kernelHeight, kernelWidth, filters, channels]`, as Keras stores it; the
/// output is `[batchSize, height, width, filters]` of `geometry` (from `WindowGeometry.transposed`).
/// New layers get Glorot-uniform weights and zero biases, as in Keras.
public final class Conv2DTranspose: Layer {
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
