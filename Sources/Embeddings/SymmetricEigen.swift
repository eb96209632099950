import CKernels

/// The eigen-decomposition `A = Σ_k λ_k v_k v_kᵀ` of a real symmetric matrix, largest eigenvalue
/// first: through LAPACK's `dsyevd` where the BLAS library has it (OpenBLAS, Accelerate), else by
/// the cyclic Jacobi method here.
struct SymmetricEigen {
  /// The eigenvalues `λ_k`, descending.
  var values: [Double]
  /// The unit eigenvectors, row `k` (of `size` values) belonging to `values[k]`.
  var vectors: [Double]
  /// The matrix side.
  let size: Int

  /// The decomposition of the `size` × `size` symmetric `matrix` (row-major).
  init(symmetric matrix: [Double], size: Int) {
    self = SymmetricEigen.lapack(matrix, size: size) ?? SymmetricEigen.jacobi(matrix, size: size)
  }

  private init(ascendingValues: [Double], columnVectors: [Double], size: Int) {
    self.size = size
    values = ascendingValues.reversed()
    vectors = [Double](repeating: 0, count: size * size)
    for k in 0..<size {  // eigenvector of ascending index size - 1 - k becomes row k
      let source = (size - 1 - k) * size
      for i in 0..<size { vectors[k * size + i] = columnVectors[source + i] }
    }
  }

  /// The decomposition by LAPACK's `dsyevd` (divide and conquer), or nil where the loaded BLAS
  /// library has none or it fails to converge.
  static func lapack(_ matrix: [Double], size: Int) -> SymmetricEigen? {
    guard size > 0 else { return SymmetricEigen(ascendingValues: [], columnVectors: [], size: 0) }
    var a = matrix  // symmetric: its row-major layout is its column-major one
    var w = [Double](repeating: 0, count: size)
    let status = a.withUnsafeMutableBufferPointer { pa in
      w.withUnsafeMutableBufferPointer { aek_dsyevd(Int32(size), pa.baseAddress, $0.baseAddress) }
    }
    guard status == 0 else { return nil }
    return SymmetricEigen(ascendingValues: w, columnVectors: a, size: size)
  }

  /// The decomposition by cyclic Jacobi rotations: each sweep zeroes every off-diagonal entry in
  /// turn with a plane rotation `A ← JᵀAJ` (accumulating `V ← VJ`), until the off-diagonal sum of
  /// squares is below `(1e-15 ‖A‖)²`; O(size³) a sweep, a handful of sweeps.
  static func jacobi(_ matrix: [Double], size n: Int) -> SymmetricEigen {
    precondition(matrix.count == n * n, "\(matrix.count) values for a \(n)x\(n) matrix")
    var a = matrix
    var v = [Double](repeating: 0, count: n * n)
    for i in 0..<n { v[i * n + i] = 1 }
    let scale = a.reduce(0) { $0 + $1 * $1 }
    a.withUnsafeMutableBufferPointer { a in
      v.withUnsafeMutableBufferPointer { v in
        for _ in 0..<100 {
          var off = 0.0
          for p in 0..<n { for q in 0..<n where q != p { off += a[p * n + q] * a[p * n + q] } }
          if off <= 1e-30 * scale || off == 0 { break }
          for p in 0..<n - 1 {
            for q in p + 1..<n {
              let apq = a[p * n + q]
              if apq == 0 { continue }
              let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
              let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
              let c = 1 / (t * t + 1).squareRoot(), s = t * c
              for k in 0..<n {  // A ← A J, then A ← Jᵀ A, then V ← V J
                let (akp, akq) = (a[k * n + p], a[k * n + q])
                a[k * n + p] = c * akp - s * akq
                a[k * n + q] = s * akp + c * akq
              }
              for k in 0..<n {
                let (apk, aqk) = (a[p * n + k], a[q * n + k])
                a[p * n + k] = c * apk - s * aqk
                a[q * n + k] = s * apk + c * aqk
              }
              for k in 0..<n {
                let (vkp, vkq) = (v[k * n + p], v[k * n + q])
                v[k * n + p] = c * vkp - s * vkq
                v[k * n + q] = s * vkp + c * vkq
              }
            }
          }
        }
      }
    }
    // Eigenvalue i is a[i][i], its vector column i of V; order them ascending, as LAPACK does.
    let order = (0..<n).sorted { (a[$0 * n + $0], $0) < (a[$1 * n + $1], $1) }
    var columns = [Double](repeating: 0, count: n * n)
    for (rank, i) in order.enumerated() {
      for k in 0..<n { columns[rank * n + k] = v[k * n + i] }
    }
    return SymmetricEigen(ascendingValues: order.map { a[$0 * n + $0] }, columnVectors: columns, size: n)
  }
}
