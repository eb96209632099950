/// How well an embedding keeps neighbourhoods (Venna and Kaski 2001), as scikit-learn's
/// `sklearn.manifold.trustworthiness(X, X_embedded, n_neighbors=k)` with Euclidean distances:
///
///     T(k) = 1 − 2 / (n k (2n − 3k − 1)) · Σ_i Σ_{j ∈ U_k(i)} (r(i, j) − k)
///
/// where `U_k(i)` are the points among `i`'s `k` nearest in the embedding but not among its `k`
/// nearest in the original space, and `r(i, j)` is `j`'s rank (from 1) among `i`'s neighbours in
/// the original space. 1 means no point gained a false neighbour; the penalty grows with how far
/// the intruders really are.
///
/// Equal distances rank by index, as a stable sort would (in both spaces). The cost is O(n²)
/// time and O(n) memory: each block of rows of original distances comes from BLAS, and the rank
/// of each of a point's `k` embedded neighbours is the number of points strictly closer (or as
/// close with a smaller index) counted over the row, which is never sorted.
///
/// - Parameters:
///   - embedding: The embedded points (a map), one row per point of `points`.
///   - points: The original points.
///   - k: The neighbourhood size; at least 1 and less than `n / 2`.
/// - Throws: `EmbeddingError` where `k` is out of range for the number of points.
public func trustworthiness(of embedding: PointSet, original points: PointSet, neighbors k: Int = 5) throws -> Double {
  precondition(embedding.rows == points.rows, "an embedding of \(embedding.rows) points for \(points.rows) points")
  let n = points.rows
  guard k >= 1 && 2 * k < n else {
    throw EmbeddingError("trustworthiness needs between 1 and fewer than half the points (\(n)) as neighbours, got \(k)")
  }
  var embedded = [Int32](repeating: 0, count: n * k)
  var embeddedDistances = [Float](repeating: 0, count: n * k)
  embedded.withUnsafeMutableBufferPointer { indexBuffer in
    embeddedDistances.withUnsafeMutableBufferPointer { distanceBuffer in
      let (indices, distances) = (indexBuffer.baseAddress!, distanceBuffer.baseAddress!)
      forEachDistanceBlock(DistanceOperands(queries: embedding, references: nil)) { rows, block in
        for (offset, i) in rows.enumerated() {
          var list = NeighborList(indices: indices + i * k, distances: distances + i * k, k: k, filled: 0)
          for j in 0..<n where j != i { list.insert(Int32(j), distance: block[offset * n + j]) }
        }
      }
    }
  }
  var penalties = [Int](repeating: 0, count: n)
  embedded.withUnsafeBufferPointer { neighbors in
    penalties.withUnsafeMutableBufferPointer { penaltyBuffer in
      let penalty = penaltyBuffer.baseAddress!
      forEachDistanceBlock(DistanceOperands(queries: points, references: nil)) { rows, block in
        var thresholds = [Float](repeating: 0, count: k)
        var closer = [Int](repeating: 0, count: k)
        for (offset, i) in rows.enumerated() {
          let row = block.baseAddress! + offset * n
          for c in 0..<k {
            thresholds[c] = row[Int(neighbors[i * k + c])]
            closer[c] = 0
          }
          for l in 0..<n where l != i {
            let distance = row[l]
            for c in 0..<k where distance < thresholds[c] || (distance == thresholds[c] && l < Int(neighbors[i * k + c])) {
              closer[c] += 1
            }
          }
          var sum = 0
          for c in 0..<k where closer[c] + 1 > k { sum += closer[c] + 1 - k }  // rank r = closer + 1
          penalty[i] = sum
        }
      }
    }
  }
  let total = Double(penalties.reduce(0, +))
  return 1 - total * 2 / (Double(n) * Double(k) * (2 * Double(n) - 3 * Double(k) - 1))
}
