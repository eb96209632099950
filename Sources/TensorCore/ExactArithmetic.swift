import CKernels

/// Arithmetic that gives the same bits on every machine (the C kernels of exact.c): a fixed order
/// of single-precision operations, each rounded on its own, and an exponential of its own. An
/// entropy coder driven by a model's predictions needs it: the decoder must compute exactly the
/// probabilities the encoder did, whatever SIMD level, thread count or processor each runs on.
/// Slower than the training kernels (no fused multiply-add, no BLAS); used one step at a time.
public enum ExactArithmetic {
  /// The activations it applies.
  public enum Activation: Int32, Sendable {
    case identity = 0, relu = 1, sigmoid = 2, tanh = 3
  }

  /// `y[r] = bias + x[r] · weight` for `rows` rows: `weight` `[inputs, outputs]`, row `r` of `x`
  /// at `x + r·xStride` and of `y` at `y + r·yStride`; each sum in input order from 0, the bias
  /// added last.
  @inline(__always)
  public static func affine(rows: Int, inputs: Int, outputs: Int, x: UnsafePointer<Float>, xStride: Int, weight: UnsafePointer<Float>,
                            bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, yStride: Int) {
    aek_exact_affine(rows, inputs, outputs, x, xStride, weight, bias, y, yStride)
  }

  /// `values = activation(values)` for `count` values.
  @inline(__always)
  public static func activate(_ activation: Activation, count: Int, _ values: UnsafeMutablePointer<Float>) {
    aek_exact_activate(activation.rawValue, count, values)
  }

  /// Keras's GRU step for `rows` streams (`inputParts` = x·W + input bias and `recurrentParts` =
  /// h·U + recurrent bias, each `[rows, 3·units]`); `hidden` `[rows, units]` is updated in place.
  @inline(__always)
  public static func gruStep(rows: Int, units: Int, inputParts: UnsafePointer<Float>, recurrentParts: UnsafePointer<Float>,
                             hidden: UnsafeMutablePointer<Float>) {
    aek_exact_gru_step(rows, units, inputParts, recurrentParts, hidden)
  }

  /// Keras's LSTM step for `rows` streams (`gates` = x·W + h·U + b, `[rows, 4·units]`); `cell` and
  /// `hidden` `[rows, units]` are updated in place.
  @inline(__always)
  public static func lstmStep(rows: Int, units: Int, gates: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
                              hidden: UnsafeMutablePointer<Float>) {
    aek_exact_lstm_step(rows, units, gates, cell, hidden)
  }

  /// The softmax of `count` logits as frequencies for an entropy coder, each at least 1, summing
  /// to `total`; false when a logit is NaN or infinite.
  @inline(__always)
  public static func frequencies(logits: UnsafePointer<Float>, count: Int, total: UInt32, into frequencies: UnsafeMutablePointer<UInt32>) -> Bool {
    aek_exact_frequencies(count, logits, total, frequencies) == 0
  }

  public static func exp(_ x: Float) -> Float { aek_exact_exp(x) }
  public static func sigmoid(_ x: Float) -> Float { aek_exact_sigmoid(x) }
  public static func tanh(_ x: Float) -> Float { aek_exact_tanh(x) }
}
