/// The labels a `k`-nearest-neighbour vote gives `test`'s points, as scikit-learn's
/// `KNeighborsClassifier(n_neighbors=k)` (uniform weights, Euclidean distance): each test point
/// takes the most common label among its `k` nearest training points, a tie going to the smallest
/// label. Neighbours at equal distance are taken in training order.
///
/// The search is exact: blocks of test rows against tiles of training rows, the distances
/// `‖a‖² + ‖b‖² − 2 a·b` with the products by BLAS, threaded over the test rows; each row keeps a
/// sorted list of its `k` nearest so far, and no distance row is sorted.
///
/// - Throws: `EmbeddingError` where `k` is not between 1 and the number of training points.
public func kNearestNeighborPredictions(train: PointSet, trainLabels: [Int], test: PointSet, k: Int) throws -> [Int] {
  precondition(trainLabels.count == train.rows, "\(trainLabels.count) labels for \(train.rows) training points")
  precondition(train.columns == test.columns, "training points of \(train.columns) coordinates, test points of \(test.columns)")
  guard k >= 1 && k <= train.rows else {
    throw EmbeddingError("k nearest neighbours needs k between 1 and the number of training points (\(train.rows)), got \(k)")
  }
  let table = nearestNeighbors(of: test, among: train, k: k)
  var predictions = [Int](repeating: 0, count: test.rows)
  table.indices.withUnsafeBufferPointer { neighbors in
    trainLabels.withUnsafeBufferPointer { labels in
      predictions.withUnsafeMutableBufferPointer { out in
        let base = out.baseAddress!
        forEachRange(test.rows, minimumPerPart: 1024) { rows in
          for row in rows { base[row] = majorityLabel(neighbors.baseAddress! + row * k, count: k, labels: labels) }
        }
      }
    }
  }
  return predictions
}

/// The share of `test`'s points whose `k`-nearest-neighbour vote among `train`
/// (`kNearestNeighborPredictions`) equals their label: `(1/m) Σ_i [ŷ_i = y_i]`.
///
/// - Throws: `EmbeddingError` where `k` is not between 1 and the number of training points, or
///   there are no test points.
public func kNearestNeighborAccuracy(train: PointSet, trainLabels: [Int], test: PointSet, testLabels: [Int], k: Int) throws -> Double {
  precondition(testLabels.count == test.rows, "\(testLabels.count) labels for \(test.rows) test points")
  guard test.rows > 0 else { throw EmbeddingError("k nearest neighbour accuracy needs test points, got none") }
  let predictions = try kNearestNeighborPredictions(train: train, trainLabels: trainLabels, test: test, k: k)
  let correct = zip(predictions, testLabels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
  return Double(correct) / Double(test.rows)
}

/// The most common of the labels of the `count` training points at `neighbors`, the smallest
/// label among equally common ones. O(count²), with no allocation.
func majorityLabel(_ neighbors: UnsafePointer<Int32>, count: Int, labels: UnsafeBufferPointer<Int>) -> Int {
  var (best, bestVotes) = (Int.max, 0)
  for a in 0..<count {
    let label = labels[Int(neighbors[a])]
    var votes = 0
    for b in 0..<count where labels[Int(neighbors[b])] == label { votes += 1 }
    if votes > bestVotes || (votes == bestVotes && label < best) { (best, bestVotes) = (label, votes) }
  }
  return best
}
