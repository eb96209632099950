import CKernels
import TensorCore

/// Principal component analysis: the directions of greatest variance of a point set.
///
/// With the points centred, `X_c = X − 1 μᵀ`, the covariance is `S = X_cᵀ X_c / (n − 1)` and the
/// components are its leading unit eigenvectors `v_1 … v_k` (`S v_i = λ_i v_i`, `λ_1 ≥ λ_2 ≥ …`).
/// A point projects to `(x − μ) · v_i` on each. The products `X_cᵀ X_c` go through BLAS in
/// blocks of rows whose float results are summed in double, and the eigenvectors come from
/// LAPACK's `dsyevd` (where the BLAS library lacks it, a cyclic Jacobi solver here).
public struct PCA: Sendable {
  /// The mean point `μ` the data is centred on.
  public let mean: [Float]
  /// The `k` components as rows (`k` × `d`), unit length, most variance first; each one's sign
  /// is fixed so that its largest-magnitude coordinate (the first of equal ones) is positive.
  public let components: PointSet
  /// The variance along each component, `λ_i` (with the `n − 1` denominator).
  public let explainedVariance: [Double]
  /// The share of the total variance along each component, `λ_i / tr S`.
  public let explainedVarianceRatio: [Double]
  /// The total variance `tr S = Σ_j var(x_j)` over all `d` coordinates.
  public let totalVariance: Double

  /// Rows of a block whose covariance product is one BLAS call.
  static let blockRows = 4096

  /// Fits the first `count` principal components of `points`.
  ///
  /// - Throws: `EmbeddingError` where there are fewer than two points, or `count` is not between
  ///   1 and the number of coordinates.
  public init(fitting points: PointSet, components count: Int) throws {
    let (n, d) = (points.rows, points.columns)
    guard n >= 2 else { throw EmbeddingError("PCA needs at least 2 points, got \(n)") }
    guard count >= 1 && count <= d else {
      throw EmbeddingError("PCA components must be between 1 and the number of coordinates (\(d)), got \(count)")
    }
    let mean = points.mean().map { Float($0) }
    let covariance = PCA.covariance(of: points, mean: mean)
    let eigen = SymmetricEigen(symmetric: covariance, size: d)
    var rows = [Float](repeating: 0, count: count * d)
    for k in 0..<count {
      let vector = eigen.vectors[k * d..<(k + 1) * d]
      var largest = vector.startIndex
      for i in vector.indices where abs(vector[i]) > abs(vector[largest]) { largest = i }
      let sign: Double = vector[largest] < 0 ? -1 : 1
      for i in 0..<d { rows[k * d + i] = Float(sign * vector[vector.startIndex + i]) }
    }
    let total = (0..<d).reduce(0.0) { $0 + covariance[$1 * d + $1] }
    self.mean = mean
    components = PointSet(rows, rows: count, columns: d)
    explainedVariance = eigen.values.prefix(count).map { max(0, $0) }
    explainedVarianceRatio = explainedVariance.map { total > 0 ? $0 / total : 0 }
    totalVariance = total
  }

  /// `X_cᵀ X_c / (n − 1)` for `X_c` the points less `mean`, row-major `d` × `d`: blocks of
  /// `blockRows` rows are centred and multiplied by BLAS, a wave of one block per thread at a
  /// time, and the float products added into double in block order (so the result does not
  /// depend on the thread count).
  static func covariance(of points: PointSet, mean: [Float]) -> [Double] {
    ensureBLAS()
    let (n, d) = (points.rows, points.columns)
    let blocks = (n + blockRows - 1) / blockRows
    let wave = max(1, min(Parallel.threads, blocks))
    var sums = [Double](repeating: 0, count: d * d)
    var partials = [Float](repeating: 0, count: wave * d * d)
    var scratch = [Float](repeating: 0, count: wave * blockRows * d)
    points.values.withUnsafeBufferPointer { x in
      partials.withUnsafeMutableBufferPointer { partialBuffer in
        scratch.withUnsafeMutableBufferPointer { scratchBuffer in
          let (partial, centred) = (partialBuffer.baseAddress!, scratchBuffer.baseAddress!)
          for first in stride(from: 0, to: blocks, by: wave) {
            let waveBlocks = min(wave, blocks - first)
            forEachRange(waveBlocks) { slots in
              for slot in slots {
                let rows = (first + slot) * blockRows..<min(n, (first + slot + 1) * blockRows)
                let buffer = centred + slot * blockRows * d
                for (r, row) in rows.enumerated() {
                  for j in 0..<d { buffer[r * d + j] = x[row * d + j] - mean[j] }
                }
                aek_sgemm(1, 0, Int32(d), Int32(d), Int32(rows.count), 1, buffer, Int32(d), buffer, Int32(d), 0,
                          partial + slot * d * d, Int32(d))
              }
            }
            for slot in 0..<waveBlocks {
              for i in 0..<d * d { sums[i] += Double(partial[slot * d * d + i]) }
            }
          }
        }
      }
    }
    let scale = 1 / Double(n - 1)
    for i in 0..<d {  // symmetric by construction; average the halves against rounding
      for j in i..<d {
        let value = (sums[i * d + j] + sums[j * d + i]) * 0.5 * scale
        sums[i * d + j] = value
        sums[j * d + i] = value
      }
    }
    return sums
  }

  /// The coordinates of `points` on the components, `(x − μ) · v_i` for each point: an
  /// `n` × `k` point set, computed by BLAS in row blocks across threads.
  public func project(_ points: PointSet) -> PointSet {
    let (n, d, k) = (points.rows, components.columns, components.rows)
    precondition(points.columns == d, "projecting \(points.columns)-coordinate points on \(d)-coordinate components")
    ensureBLAS()
    var out = [Float](repeating: 0, count: n * k)
    let blockRows = 1024
    let blocks = (n + blockRows - 1) / blockRows
    points.values.withUnsafeBufferPointer { x in
      components.values.withUnsafeBufferPointer { c in
        out.withUnsafeMutableBufferPointer { o in
          let outBase = o.baseAddress!
          forEachRange(blocks) { blockRange in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * d)
            defer { buffer.deallocate() }
            for block in blockRange {
              let rows = block * blockRows..<min(n, (block + 1) * blockRows)
              for (r, row) in rows.enumerated() {
                for j in 0..<d { buffer[r * d + j] = x[row * d + j] - mean[j] }
              }
              aek_sgemm(0, 1, Int32(rows.count), Int32(k), Int32(d), 1, buffer, Int32(d), c.baseAddress, Int32(d), 0,
                        outBase + rows.lowerBound * k, Int32(k))
            }
          }
        }
      }
    }
    return PointSet(out, rows: n, columns: k)
  }
}
