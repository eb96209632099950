@testable import Embeddings
import TensorCore
import Testing

/// The squared distance from point `i` of `a` to point `j` of `b`, by differences.
private func naiveSquaredDistance(_ a: PointSet, _ i: Int, _ b: PointSet, _ j: Int) -> Float {
  var sum: Float = 0
  for c in 0..<a.columns { sum += (a[i, c] - b[j, c]) * (a[i, c] - b[j, c]) }
  return sum
}

@Test func distanceBlocksMatchDifferences() {
  let points = normalPoints(rows: 150, columns: 7, seed: 3)
  var distances = [Float](repeating: -1, count: points.rows * points.rows)
  distances.withUnsafeMutableBufferPointer { out in
    let base = out.baseAddress!
    Parallel.withThreads(2) {
      forEachDistanceBlock(DistanceOperands(queries: points, references: nil)) { rows, block in
        for (offset, i) in rows.enumerated() {
          for j in 0..<points.rows { base[i * points.rows + j] = block[offset * points.rows + j] }
        }
      }
    }
  }
  for i in 0..<points.rows {
    for j in 0..<points.rows {
      let expected = naiveSquaredDistance(points, i, points, j)
      #expect(abs(distances[i * points.rows + j] - expected) <= 1e-4 * max(1, expected))
    }
  }
}

@Test func nearestNeighborsAreTheBruteForceOnesWithTiesByIndex() {
  // Integer points on a line, 0 to 36 over and over (mean 18, so centring is exact): many equal
  // distances, computed exactly.
  let references = PointSet((0..<2960).map { Float($0 % 37) }, rows: 2960, columns: 1)
  let queries = PointSet([5, 17.5, 40], rows: 3, columns: 1)
  let k = 9
  let table = Parallel.withThreads(2) { nearestNeighbors(of: queries, among: references, k: k) }
  for q in 0..<queries.rows {
    let expected = (0..<references.rows).sorted {
      (naiveSquaredDistance(queries, q, references, $0), $0) < (naiveSquaredDistance(queries, q, references, $1), $1)
    }.prefix(k)
    #expect(table.indices[q * k..<(q + 1) * k].map { Int($0) } == Array(expected))
  }
}

@Test func nearestNeighborsOfAPointSetLeaveEachPointOut() {
  let points = normalPoints(rows: 200, columns: 5, seed: 11)
  let table = nearestNeighbors(of: points, among: nil, k: 4)
  for i in 0..<points.rows {
    let expected = (0..<points.rows).filter { $0 != i }.sorted {
      naiveSquaredDistance(points, i, points, $0) < naiveSquaredDistance(points, i, points, $1)
    }.prefix(4)
    #expect(table.indices[i * 4..<(i + 1) * 4].map { Int($0) } == Array(expected))
    #expect(zip(table.squaredDistances[i * 4..<(i + 1) * 4], expected).allSatisfy { abs($0 - naiveSquaredDistance(points, i, points, $1)) < 1e-4 })
  }
}

@Test func rangesCoverTheCountOnceInOrder() {
  for threads in [1, 2, 3] {
    Parallel.withThreads(threads) {
      var seen = [Int](repeating: 0, count: 1000)
      seen.withUnsafeMutableBufferPointer { counts in
        let base = counts.baseAddress!
        forEachRange(1000, minimumPerPart: 10) { range in for i in range { base[i] += 1 } }
      }
      #expect(seen.allSatisfy { $0 == 1 })
    }
  }
}
