import TensorCore

/// Weight initializers, as in Keras.
public enum Initializer {
  /// Glorot (Xavier) uniform: `U(-limit, limit)` with `limit = √(6 / (fanIn + fanOut))`, Keras's
  /// default for `Dense` and `Conv2D` kernels (Glorot and Bengio, 2010).
  public static func glorotUniform(shape: [Int], fanIn: Int, fanOut: Int,
                                   using generator: inout some RandomNumberGenerator) -> Tensor {
    let limit = (6 / Float(fanIn + fanOut)).squareRoot()
    return Tensor.randomUniform(shape: shape, in: -limit..<limit, using: &generator)
  }
}
