import CKernels
import Dispatch

/// Times the element-wise kernels and the matrix products of one training step of the seed
/// model (batch 256, 784 → 64 → 784) at each SIMD level this CPU runs, to show where a step's
/// time goes and what AVX2/AVX-512 code generation buys over baseline x86-64.
public struct KernelBenchmark {
  public var rows = 256, columns = 784, hidden = 64
  /// Repetitions per measurement (the best of 5 rounds is kept).
  public var repetitions = 200

  public init() {}

  /// One kernel's time at each level.
  public struct Row: Codable, Sendable {
    public var kernel: String
    /// Microseconds per call, by SIMD level name.
    public var microseconds: [String: Double]
  }

  public func run() throws -> [Row] {
    try BLAS.load()
    var generator = SplitMix64(seed: 1)
    let n = rows * columns
    let x = Tensor.randomUniform(shape: [rows, columns], in: -4..<4, using: &generator)
    let t = Tensor.randomUniform(shape: [rows, columns], in: 0..<1, using: &generator)
    let w = Tensor.randomUniform(shape: [columns, hidden], in: -0.1..<0.1, using: &generator)
    let h = Tensor.randomUniform(shape: [rows, hidden], in: 0..<1, using: &generator)
    var out = Tensor.zeros(shape: [rows, columns])
    var hiddenOut = Tensor.zeros(shape: [rows, hidden])
    var weightOut = Tensor.zeros(shape: [columns, hidden])
    var moments = Tensor.zeros(shape: [3, columns * hidden])
    let bytes = (0..<(60_000 * 784)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let indices = (0..<Int64(rows)).map { $0 * 97 % 60_000 }
    let weights = columns * hidden
    /// Calls `kernel` with pointers to x, t and a writable output, valid for the call only.
    func onBatch(_ kernel: @escaping (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> () -> Void {
      {
        x.withUnsafeBufferPointer { px in
          t.withUnsafeBufferPointer { pt in out.withUnsafeMutableBufferPointer { kernel(px.baseAddress!, pt.baseAddress!, $0.baseAddress!) } }
        }
      }
    }
    let kernels: [(String, () -> Void)] = [
      ("gather batch (bytes → floats)", onBatch { _, _, o in bytes.withUnsafeBufferPointer { aek_gather_rows_u8(rows, columns, indices, $0.baseAddress, 255, o) } }),
      ("sigmoid", onBatch { x, _, o in aek_sigmoid(n, x, o) }),
      ("relu", onBatch { x, _, o in aek_relu(n, x, o) }),
      ("exp", onBatch { x, _, o in aek_exp(n, x, o) }),
      ("bce on logits (value)", onBatch { x, t, _ in _ = aek_bce_logits(n, x, t) }),
      ("bce on logits (gradient)", onBatch { x, t, o in aek_bce_logits_backward(n, 1, x, t, o) }),
      ("bce on logits (value + gradient)", onBatch { x, t, o in _ = aek_bce_logits_fused(n, 1, x, t, o) }),
      ("bias row add", onBatch { x, t, o in aek_binary_row(AEK_ADD, rows, columns, x, t, o) }),
      ("column sums (bias gradient)", onBatch { x, _, o in aek_sum_axis(1, rows, columns, x, o) }),
      ("adam update (50,176 weights)", {
        t.withUnsafeBufferPointer { g in
          moments.withUnsafeMutableBufferPointer { m in
            aek_adam_update(weights, 1e-3, 0.9, 0.999, 1e-7, g.baseAddress, m.baseAddress, m.baseAddress! + weights, m.baseAddress! + 2 * weights)
          }
        }
      }),
      ("sgemm 256x784 · 784x64", { Tensor.matmul(x, w, accumulatingInto: &hiddenOut, beta: 0) }),
      ("sgemm 784x256ᵀ · 256x64", { Tensor.matmul(x, h, transposeA: true, accumulatingInto: &weightOut, beta: 0) }),
    ]
    let levels = SIMDLevel.allCases.filter { $0.rawValue <= SIMDLevel.supported.rawValue }
    return kernels.map { name, body in
      var times: [String: Double] = [:]
      for level in levels {
        times[level.name] = SIMDLevel.withKernels(at: level) {
          (0..<5).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<repetitions { body() }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(repetitions) / 1000
          }.min()!
        }
      }
      return Row(kernel: name, microseconds: times)
    }
  }
}
