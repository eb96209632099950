@testable import Embeddings
import Foundation
import TensorCore
import Testing

/// The share of points whose nearest other point in `map` has their label.
func nearestNeighborPurity(_ map: PointSet, labels: [Int]) -> Double {
  let table = nearestNeighbors(of: map, among: nil, k: 1)
  let agreeing = (0..<map.rows).filter { labels[Int(table.indices[$0])] == labels[$0] }.count
  return Double(agreeing) / Double(map.rows)
}

/// Whether the benchmarks (run them in a release build) are asked for.
let benchmarking = ProcessInfo.processInfo.environment["AUTOENCODERKIT_EMBEDDINGS_BENCHMARK"] != nil

@Suite(.serialized) struct TSNETests {
  @Test func separatedBlobsStaySeparated() throws {
    let (points, labels) = blobs(clusters: 3, perCluster: 50, dimensions: 10)
    var reports = [(Int, Double)]()
    let result = try TSNE(iterations: 500).embed(points) { reports.append(($0, $1)) }
    #expect(result.embedding.rows == 150 && result.embedding.columns == 2)
    #expect(nearestNeighborPurity(result.embedding, labels: labels) == 1.0)
    #expect(reports.map(\.0) == Array(stride(from: 50, through: 500, by: 50)))
    #expect(reports.allSatisfy { $0.1.isFinite && $0.1 > 0 })
    #expect(result.klDivergence > 0 && result.klDivergence < reports[0].1, "the divergence falls")
    // Every cluster's points are nearer their own centroid than any other cluster's.
    var centroids = [[Double]](repeating: [0, 0], count: 3)
    for i in 0..<150 { for c in 0..<2 { centroids[labels[i]][c] += Double(result.embedding[i, c]) / 50 } }
    for i in 0..<150 {
      let distances = centroids.map { pow(Double(result.embedding[i, 0]) - $0[0], 2) + pow(Double(result.embedding[i, 1]) - $0[1], 2) }
      #expect(distances.indices.min { distances[$0] < distances[$1] } == labels[i])
    }
  }

  @Test func runsAreTheSameBitsAndThreadCountsAgree() throws {
    let (points, _) = blobs(clusters: 4, perCluster: 40, dimensions: 6, seed: 3)
    for initialization in [TSNE.Initialization.pca, .random] {
      let tsne = TSNE(perplexity: 10, iterations: 120, exaggerationIterations: 60, seed: 5, initialization: initialization)
      let first = try Parallel.withThreads(2) { try tsne.embed(points) }
      let second = try Parallel.withThreads(2) { try tsne.embed(points) }
      let single = try Parallel.withThreads(1) { try tsne.embed(points) }
      #expect(first.embedding == second.embedding && first.klDivergence == second.klDivergence)
      #expect(first.embedding == single.embedding)
    }
  }

  @Test func exactRepulsionAtThetaZeroAlsoSeparatesBlobs() throws {
    let (points, labels) = blobs(clusters: 3, perCluster: 20, dimensions: 5, seed: 4)
    let result = try TSNE(perplexity: 8, iterations: 300, theta: 0, initialization: .random).embed(points)
    #expect(nearestNeighborPurity(result.embedding, labels: labels) == 1.0)
  }

  @Test func identicalPointsGiveAFiniteMap() throws {
    let points = PointSet([Float](repeating: 2, count: 30), rows: 10, columns: 3)
    for initialization in [TSNE.Initialization.pca, .random] {
      let result = try TSNE(perplexity: 3, iterations: 60, exaggerationIterations: 30, initialization: initialization).embed(points)
      #expect(result.embedding.values.allSatisfy(\.isFinite) && result.klDivergence.isFinite)
    }
  }

  @Test func optionsOutOfRangeAreRefused() {
    let points = normalPoints(rows: 20, columns: 3, seed: 1)
    #expect(throws: EmbeddingError.self) { try TSNE(perplexity: 20).embed(points) }
    #expect(throws: EmbeddingError.self) { try TSNE(perplexity: 5, theta: 2).embed(points) }
    #expect(throws: EmbeddingError.self) { try TSNE(perplexity: 5, learningRate: .fixed(0)).embed(points) }
    #expect(throws: EmbeddingError.self) { try TSNE(perplexity: 5).embed(PointSet([Float](repeating: 0, count: 20), rows: 20, columns: 1)) }
  }

  @Test func autoLearningRateIsScikitLearns() {
    #expect(TSNE().effectiveLearningRate(points: 10_000) == 10_000.0 / 12 / 4)
    #expect(TSNE().effectiveLearningRate(points: 100) == 50)
  }

  /// 10,000 clustered 64-D points; run with AUTOENCODERKIT_EMBEDDINGS_BENCHMARK=1 in a release build.
  @Test(.enabled(if: benchmarking)) func tenThousandPointsBenchmark() throws {
    let (points, labels) = blobs(clusters: 10, perCluster: 1000, dimensions: 64, separation: 3)
    let start = Date()
    let result = try TSNE().embed(points) { iteration, kl in print("t-SNE iteration \(iteration): KL \(kl)") }
    print("t-SNE of 10,000 × 64 on \(Parallel.threads) threads: \(Date().timeIntervalSince(start)) s, KL \(result.klDivergence), 1-NN purity \(nearestNeighborPurity(result.embedding, labels: labels))")
  }
}
