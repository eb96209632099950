import CKernels

extension Tensor {
  /// The matrix product `op(a) · op(b)` through BLAS, where `op` transposes an operand when its
  /// flag is set. The transpose is a flag passed to `sgemm`; no operand is copied.
  ///
  /// - Parameters:
  ///   - a: An `[m, k]` matrix, or `[k, m]` when `transposeA`.
  ///   - b: A `[k, n]` matrix, or `[n, k]` when `transposeB`.
  /// - Returns: The `[m, n]` product.
  public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul of shapes \(a.shape) and \(b.shape): both must be matrices")
    let m = transposeA ? a.shape[1] : a.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    var result = Tensor(shape: [m, n]) { _ in }
    matmul(a, b, transposeA: transposeA, transposeB: transposeB, accumulatingInto: &result, beta: 0)
    return result
  }

  /// `c = op(a) · op(b) + beta · c`, in place, through BLAS.
  ///
  /// With `beta: 1` the product adds to what `c` holds: a bias pre-filled into `c` costs no
  /// extra pass, and a gradient accumulates without a temporary.
  public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                            accumulatingInto c: inout Tensor, beta: Float) {
    precondition(a.rank == 2 && b.rank == 2, "matmul of shapes \(a.shape) and \(b.shape): both must be matrices")
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    precondition(k == k2, "matmul inner sizes differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    precondition(c.shape == [m, n], "matmul result shape \(c.shape), expected [\(m), \(n)]")
    BLAS.ensureLoaded()
    if m == 0 || n == 0 { return }
    let (lda, ldb) = (Int32(a.shape[1]), Int32(b.shape[1]))
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          if k == 0 {  // BLAS leaves C untouched when k is 0; scale it ourselves
            aek_affine(pc.count, beta, 0, pc.baseAddress, pc.baseAddress)
            return
          }
          // Split the larger of m and n across threads: each part is an independent product
          // (rows of op(A) and C, or columns of op(B) and C), run by single-threaded BLAS.
          let parts = BLAS.splitsProducts ? Parallel.parts(forWork: m * n * k, along: max(m, n)) : 1
          Parallel.forEachPart(parts) { part in
            if m >= n {
              let rows = Parallel.range(part, of: parts, count: m)
              let aOffset = transposeA ? rows.lowerBound : rows.lowerBound * Int(lda)
              aek_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(rows.count), Int32(n), Int32(k), 1, pa.baseAddress! + aOffset, lda,
                        pb.baseAddress, ldb, beta, pc.baseAddress! + rows.lowerBound * n, Int32(n))
            } else {
              let columns = Parallel.range(part, of: parts, count: n)
              let bOffset = transposeB ? columns.lowerBound * Int(ldb) : columns.lowerBound
              aek_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(columns.count), Int32(k), 1, pa.baseAddress, lda,
                        pb.baseAddress! + bOffset, ldb, beta, pc.baseAddress! + columns.lowerBound, Int32(n))
            }
          }
        }
      }
    }
  }

  /// The transpose of a matrix (a copy).
  public func transposed() -> Tensor {
    precondition(rank == 2, "transposed() of shape \(shape): needs a matrix")
    return Tensor(shape: [shape[1], shape[0]]) { out in
      withUnsafeBufferPointer { aek_transpose(shape[0], shape[1], $0.baseAddress, out.baseAddress) }
    }
  }
}
