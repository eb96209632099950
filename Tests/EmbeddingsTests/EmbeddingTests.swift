@testable import Embeddings
import TensorCore
import Testing

@Test func pointSetHoldsRowsOfColumns() {
  let points = PointSet([1, 2, 3, 4, 5, 6], rows: 3, columns: 2)
  #expect(points.rows == 3 && points.columns == 2 && points.values[4] == 5)
  #expect(points[2, 0] == 5 && Array(points.point(1)) == [3, 4])
  #expect(PointSet(rows: [[1, 2], [3, 4], [5, 6]]) == points)
}

@Test func meanAndSubtractionCentrePoints() {
  let points = PointSet(rows: [[1, 10], [3, 20], [5, 60]])
  #expect(points.mean() == [3, 30])
  #expect(points.subtracting(points.mean()) == PointSet(rows: [[-2, -20], [0, -10], [2, 30]]))
}

@Test func errorsReadTheirMessage() {
  #expect("\(EmbeddingError("k is 3"))" == "k is 3")
}

// MARK: - Data shared by the tests of this module

/// `clusters` Gaussian blobs of `perCluster` points in `dimensions` dimensions, centres drawn
/// from `seed` with spread `separation` and points around them from `noiseSeed` (default
/// `seed + 1`) with standard deviation 1; labels are the blob numbers.
func blobs(clusters: Int, perCluster: Int, dimensions: Int, separation: Float = 10, seed: UInt64 = 7,
           noiseSeed: UInt64? = nil) -> (PointSet, [Int]) {
  let centres = Tensor.randomNormal(rows: clusters, columns: dimensions, seed: seed, firstRow: 0).scalars.map { $0 * separation }
  let noise = Tensor.randomNormal(rows: clusters * perCluster, columns: dimensions, seed: noiseSeed ?? seed &+ 1, firstRow: 0).scalars
  var values = [Float](), labels = [Int]()
  for point in 0..<clusters * perCluster {
    let cluster = point % clusters
    labels.append(cluster)
    for d in 0..<dimensions { values.append(centres[cluster * dimensions + d] + noise[point * dimensions + d]) }
  }
  return (PointSet(values, rows: clusters * perCluster, columns: dimensions), labels)
}

/// `rows` × `columns` standard normal points.
func normalPoints(rows: Int, columns: Int, seed: UInt64) -> PointSet {
  PointSet(Tensor.randomNormal(rows: rows, columns: columns, seed: seed, firstRow: 0).scalars, rows: rows, columns: columns)
}
