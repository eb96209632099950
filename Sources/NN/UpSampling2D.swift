import Autodiff
import TensorCore

/// Nearest-neighbour upsampling over NHWC batches: each cell repeated `factor` times down and across.
public final class UpSampling2D: Layer {
  public let factor: (height: Int, width: Int)

  public init(factor: (height: Int, width: Int)) {
    precondition(factor.height > 0 && factor.width > 0, "upsampling factor \(factor) must be positive")
    self.factor = factor
  }

  public func callAsFunction(_ input: Variable) -> Variable { input.upsampled2D(by: factor) }

  public var namedParameters: [(name: String, parameter: Variable)] { [] }

  /// `UpSampling2D(2×2)`.
  public var description: String { "UpSampling2D(\(factor.height)×\(factor.width))" }
}
