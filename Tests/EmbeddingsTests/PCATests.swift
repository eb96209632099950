@testable import Embeddings
import TensorCore
import TestSupport
import Testing

/// Points `μ + a u₁ + b u₂ + c u₃` for every sign of `a = ±3, b = ±2, c = ±1` (a full factorial,
/// so the coefficients are exactly uncorrelated) along the orthonormal axes
/// `u₁ = (2, 3, 6)/7, u₂ = (6, 2, −3)/7, u₃ = (−3, 6, −2)/7`, each with a clear largest coordinate.
private let axes: [[Float]] = [[2, 3, 6], [6, 2, -3], [-3, 6, -2]].map { $0.map { $0 / 7 } }
private let knownPoints: PointSet = {
  var rows = [[Float]]()
  for a: Float in [3, -3] {
    for b: Float in [2, -2] {
      for c: Float in [1, -1] {
        rows.append((0..<3).map { [5, -2, 10][$0] + a * axes[0][$0] + b * axes[1][$0] + c * axes[2][$0] })
      }
    }
  }
  return PointSet(rows: rows)
}()

@Test func pcaFindsKnownAxes() throws {
  let pca = try PCA(fitting: knownPoints, components: 3)
  expectClose(pca.mean, [5, -2, 10], atol: 1e-5)
  for k in 0..<3 { expectClose(Array(pca.components.point(k)), axes[k], atol: 1e-5) }  // signs: largest coordinate positive
  let variances = [9.0, 4, 1].map { $0 * 8 / 7 }  // n − 1 = 7
  for k in 0..<3 {
    #expect(abs(pca.explainedVariance[k] - variances[k]) < 1e-4)
    #expect(abs(pca.explainedVarianceRatio[k] - [9.0, 4, 1][k] / 14) < 1e-6)
  }
  let projected = pca.project(knownPoints)
  expectClose(Array(projected.point(0)), [3, 2, 1], atol: 1e-5)
  expectClose(Array(projected.point(7)), [-3, -2, -1], atol: 1e-5)
}

@Test func pcaAgreesWithPowerIteration() throws {
  // Correlated data: standard normals times a fixed mixing matrix.
  let (n, d) = (500, 6)
  let base = normalPoints(rows: n, columns: d, seed: 5)
  let mixing = Tensor.randomNormal(rows: d, columns: d, seed: 6, firstRow: 0).scalars
  var values = [Float](repeating: 0, count: n * d)
  for i in 0..<n { for j in 0..<d { for l in 0..<d { values[i * d + j] += base[i, l] * mixing[l * d + j] * Float(l + 1) } } }
  let points = PointSet(values, rows: n, columns: d)
  let pca = try PCA(fitting: points, components: 3)

  // Naive covariance in double, then power iteration with deflation.
  let mean = points.mean()
  var covariance = [Double](repeating: 0, count: d * d)
  for i in 0..<n { for a in 0..<d { for b in 0..<d {
    covariance[a * d + b] += (Double(points[i, a]) - mean[a]) * (Double(points[i, b]) - mean[b]) / Double(n - 1)
  } } }
  for k in 0..<3 {
    var v = [Double](repeating: 1, count: d)
    var lambda = 0.0
    for _ in 0..<2000 {
      var w = [Double](repeating: 0, count: d)
      for a in 0..<d { for b in 0..<d { w[a] += covariance[a * d + b] * v[b] } }
      lambda = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
      v = w.map { $0 / lambda }
    }
    for a in 0..<d { for b in 0..<d { covariance[a * d + b] -= lambda * v[a] * v[b] } }
    let alignment = (0..<d).reduce(0.0) { $0 + v[$1] * Double(pca.components[k, $1]) }
    #expect(abs(abs(alignment) - 1) < 1e-5, "component \(k)")
    #expect(abs(pca.explainedVariance[k] - lambda) < 1e-4 * lambda, "variance \(k)")
  }
}

@Test func pcaSignsAreFixedByTheLargestCoordinate() throws {
  let points = normalPoints(rows: 300, columns: 5, seed: 8)
  let negated = PointSet(points.values.map { -$0 }, rows: 300, columns: 5)
  let (pca, pcaOfNegated) = (try PCA(fitting: points, components: 4), try PCA(fitting: negated, components: 4))
  expectClose(pca.components.values, pcaOfNegated.components.values, atol: 1e-5)
  for k in 0..<4 {
    let row = Array(pca.components.point(k))
    let largest = row.indices.max { abs(row[$0]) < abs(row[$1]) }!
    #expect(row[largest] > 0)
    #expect(abs(row.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
  }
}

@Test func pcaIsTheSameOnAnyThreadCount() throws {
  let points = normalPoints(rows: 9000, columns: 20, seed: 9)  // three covariance blocks
  let one = try Parallel.withThreads(1) { try PCA(fitting: points, components: 5) }
  let two = try Parallel.withThreads(2) { try PCA(fitting: points, components: 5) }
  #expect(one.components == two.components && one.explainedVariance == two.explainedVariance)
  #expect(Parallel.withThreads(1) { one.project(points) } == Parallel.withThreads(2) { one.project(points) })
}

@Test func pcaRefusesTooManyComponentsOrTooFewPoints() {
  #expect(throws: EmbeddingError.self) { try PCA(fitting: knownPoints, components: 4) }
  #expect(throws: EmbeddingError.self) { try PCA(fitting: PointSet([1, 2], rows: 1, columns: 2), components: 1) }
}
