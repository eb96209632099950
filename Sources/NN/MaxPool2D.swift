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
