import Autodiff
import TensorCore

/// Inverted dropout (Srivastava et al., 2014), as Keras's `Dropout(rate)`: in training, each
/// value is zeroed with probability `rate` and the rest are scaled by `1 / (1 - rate)`, so the
/// expected output is the input; at inference it passes its input through.
///
/// It acts only while a training step computes its objective (`BatchContext.training` is set on
/// the step's thread). Example `i` of a batch draws its mask from stream `firstExample + i` of the
/// batch's seed mixed with the layer's `salt` (its place in the model), so the masks, like every
/// other draw, do not depend on how the batch is split across threads.
public final class Dropout: Layer {
  /// The fraction of values dropped, in [0, 1).
  public let rate: Float
  /// Mixed into the batch's seed so two dropout layers draw different masks.
  public let salt: UInt64

  public init(rate: Float, salt: UInt64 = 0) {
    precondition(rate >= 0 && rate < 1, "a dropout rate must lie in [0, 1), got \(rate)")
    self.rate = rate
    self.salt = salt
  }

  public func callAsFunction(_ input: Variable) -> Variable {
    guard rate > 0, let context = BatchContext.training else { return input }
    return input * mask(rows: input.shape[0], size: input.shape.dropFirst().reduce(1, *), context: context).reshaped(to: input.shape)
  }

  /// The mask for `rows` examples of `size` values: 0 or `1 / (1 - rate)`.
  func mask(rows: Int, size: Int, context: BatchContext) -> Tensor {
    let kept = 1 / (1 - rate), seed = context.seed ^ 0xD809_0C7 ^ (salt &* 0x9E37_79B9_7F4A_7C15)
    return Tensor(shape: [rows, size]) { out in
      for row in 0..<rows {
        var generator = SplitMix64(seed: seed, stream: context.firstExample + row)
        let y = out.baseAddress! + row * size
        for i in 0..<size { y[i] = generator.nextUnitFloat() < rate ? 0 : kept }
      }
    }
  }

  public var namedParameters: [(name: String, parameter: Variable)] { [] }

  /// `Dropout(0.2)`.
  public var description: String { "Dropout(\(rate))" }
}
