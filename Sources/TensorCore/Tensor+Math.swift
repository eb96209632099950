import CKernels

// Element-wise maps, one vectorized kernel pass each (CKernels), and the helpers the activation
// gradients use. The gradients themselves live beside their ops in Autodiff.

extension Tensor {
  /// A new tensor from one kernel pass over this one, split across threads when large.
  @inline(__always)
  func mapped(_ kernel: (Int, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void) -> Tensor {
    Tensor(shape: shape) { out in
      withUnsafeBufferPointer { x in
        Parallel.forEachChunk(count) { kernel($0.count, x.baseAddress! + $0.lowerBound, out.baseAddress! + $0.lowerBound) }
      }
    }
  }

  @inline(__always)
  func zipped(_ other: Tensor, _ kernel: (Int, UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void) -> Tensor {
    precondition(shape == other.shape, "element-wise operands of shapes \(shape) and \(other.shape)")
    return Tensor(shape: shape) { out in
      withUnsafeBufferPointer { a in
        other.withUnsafeBufferPointer { b in
          Parallel.forEachChunk(count) { r in
            kernel(r.count, a.baseAddress! + r.lowerBound, b.baseAddress! + r.lowerBound, out.baseAddress! + r.lowerBound)
          }
        }
      }
    }
  }

  /// `exp(x)`, element-wise. Results below about 1.2e-38 flush to zero.
  public func exp() -> Tensor { mapped { aek_exp($0, $1, $2) } }
  /// Natural logarithm, element-wise: `-inf` at 0, NaN below.
  public func log() -> Tensor { mapped { aek_log($0, $1, $2) } }
  /// Square root, element-wise: NaN below 0.
  public func squareRoot() -> Tensor { mapped { aek_sqrt($0, $1, $2) } }
  /// `|x|`, element-wise.
  public func abs() -> Tensor { mapped { aek_abs($0, $1, $2) } }
  /// `-1`, `0` or `1` by the sign of each element.
  public func sign() -> Tensor { mapped { aek_sign($0, $1, $2) } }
  /// `x * x`, element-wise.
  public func squared() -> Tensor { self * self }
  /// `max(x, 0)`, element-wise.
  public func relu() -> Tensor { mapped { aek_relu($0, $1, $2) } }
  /// `x` where positive, else `slope * x`.
  public func leakyRelu(slope: Float) -> Tensor { mapped { aek_leaky_relu($0, slope, $1, $2) } }
  /// The logistic function `1 / (1 + exp(-x))`, element-wise.
  public func sigmoid() -> Tensor { mapped { aek_sigmoid($0, $1, $2) } }
  /// Hyperbolic tangent, element-wise.
  public func tanh() -> Tensor { mapped { aek_tanh($0, $1, $2) } }
  /// `log(1 + exp(x))`, element-wise, computed without overflow.
  public func softplus() -> Tensor { mapped { aek_softplus($0, $1, $2) } }
  /// Each element limited to `range`.
  public func clamped(to range: ClosedRange<Float>) -> Tensor {
    mapped { aek_clamp($0, range.lowerBound, range.upperBound, $1, $2) }
  }
  /// Each element rounded to the nearest integer, halves to even (a codec's quantization).
  public func rounded() -> Tensor {
    Tensor(shape: shape) { out in withUnsafeBufferPointer { values in for i in values.indices { out[i] = values[i].rounded(.toNearestOrEven) } } }
  }
  /// The element-wise maximum of two tensors, broadcasting.
  public func maximum(_ other: Tensor) -> Tensor { applying(.maximum, other) }
  /// The element-wise minimum of two tensors, broadcasting.
  public func minimum(_ other: Tensor) -> Tensor { applying(.minimum, other) }

  /// Whether every element is finite (no NaN, no infinity).
  public var isFinite: Bool { withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) } }
}

/// Gradients of the activations, from the upstream gradient and the saved output (or input).
extension Tensor {
  /// `upstream` where `output > 0`, else 0.
  public static func reluBackward(_ upstream: Tensor, output: Tensor) -> Tensor {
    upstream.zipped(output) { aek_relu_backward($0, $1, $2, $3) }
  }
  /// `upstream` where `input > 0`, else `slope * upstream`.
  public static func leakyReluBackward(_ upstream: Tensor, input: Tensor, slope: Float) -> Tensor {
    upstream.zipped(input) { aek_leaky_relu_backward($0, slope, $1, $2, $3) }
  }
  /// `upstream * output * (1 - output)`.
  public static func sigmoidBackward(_ upstream: Tensor, output: Tensor) -> Tensor {
    upstream.zipped(output) { aek_sigmoid_backward($0, $1, $2, $3) }
  }
  /// `upstream * (1 - output²)`.
  public static func tanhBackward(_ upstream: Tensor, output: Tensor) -> Tensor {
    upstream.zipped(output) { aek_tanh_backward($0, $1, $2, $3) }
  }
  /// `upstream` where `input` lies in `range`, else 0.
  public static func clampBackward(_ upstream: Tensor, input: Tensor, range: ClosedRange<Float>) -> Tensor {
    upstream.zipped(input) { aek_clamp_backward($0, range.lowerBound, range.upperBound, $1, $2, $3) }
  }
}
