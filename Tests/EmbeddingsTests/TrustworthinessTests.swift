@testable import Embeddings
import Foundation
import TensorCore
import Testing

@Test func trustworthinessOfATinyExampleByHand() throws {
  // Points 0, 1, 3, 6, 10 on a line, mapped to 0, 6, 1, 10, 3; k = 2. Each point's 2 nearest in
  // the map, and their ranks in the original space (ties by index):
  //   0: {2, 4}, ranks 2, 4 → penalty 4 − 2 = 2
  //   1: {4, 3}, ranks 4, 3 → 2 + 1 = 3
  //   2: {0, 4} (original order 1, 0, 3 (tied with 0, after it), 4), ranks 2, 4 → 2
  //   3: {1, 4}, ranks 3, 2 → 1
  //   4: {2, 0} (0 and 1 tie in the map; 0 first), ranks 2, 4 → 2
  // Σ = 10, and T = 1 − 2 / (5 · 2 · (10 − 6 − 1)) · 10 = 1/3.
  let original = PointSet([0, 1, 3, 6, 10], rows: 5, columns: 1)
  let map = PointSet([0, 6, 1, 10, 3], rows: 5, columns: 1)
  #expect(abs(try trustworthiness(of: map, original: original, neighbors: 2) - 1.0 / 3) < 1e-12)
}

@Test func anEmbeddingEqualToTheDataIsTrustworthy() throws {
  let points = normalPoints(rows: 300, columns: 12, seed: 51)
  #expect(try trustworthiness(of: points, original: points, neighbors: 7) == 1)
  let pca = try PCA(fitting: points, components: 2)
  let t = try trustworthiness(of: pca.project(points), original: points, neighbors: 7)
  #expect(t < 1 && t > 0.5)
}

@Test func trustworthinessIsTheSameOnAnyThreadCount() throws {
  let points = normalPoints(rows: 400, columns: 6, seed: 52)
  let map = try PCA(fitting: points, components: 2).project(points)
  let one = try Parallel.withThreads(1) { try trustworthiness(of: map, original: points, neighbors: 5) }
  #expect(try Parallel.withThreads(2) { try trustworthiness(of: map, original: points, neighbors: 5) } == one)
}

@Test func trustworthinessRefusesNeighbourhoodsOfHalfThePoints() {
  let points = normalPoints(rows: 10, columns: 2, seed: 53)
  #expect(throws: EmbeddingError.self) { try trustworthiness(of: points, original: points, neighbors: 5) }
  #expect(throws: EmbeddingError.self) { try trustworthiness(of: points, original: points, neighbors: 0) }
}
