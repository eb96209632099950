import Autodiff
import TensorCore

/// A 2-D convolution layer: `activation(conv(input, weight) + bias)` over NHWC batches.
///
/// `input` has shape `[batchSize, height, width, channels]`; the output has shape
/// `[batchSize, outputHeight, outputWidth, filters]`, sized by `geometry` (Keras's `same` and
/// `valid` padding). The weight is stored `[kernelHeight, kernelWidth, channels, filters]`, as
/// Keras stores it. New layers get Glorot-uniform weights (fan in `kh·kw·channels`, fan out
/// `kh·kw·filters`) and zero biases, as in Keras.
public final class Conv2D: Layer {
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
