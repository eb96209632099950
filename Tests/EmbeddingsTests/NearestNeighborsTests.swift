@testable import Embeddings
import Foundation
import TensorCore
import Testing

@Test func nearestNeighbourVotesOnAHandBuiltPlane() throws {
  // Class 0 near the origin, class 1 near (10, 0), class 2 near (0, 10).
  let train = PointSet(rows: [[0, 0], [1, 0], [0, 1], [10, 0], [11, 0], [10, 1], [0, 10], [1, 10], [0, 11]])
  let trainLabels = [0, 0, 0, 1, 1, 1, 2, 2, 2]
  let test = PointSet(rows: [[0.5, 0.5], [9, 0.5], [0.5, 9], [5.8, 0]])
  // (5.8, 0): its 3 nearest are (10, 0), (10, 1) and (1, 0), at 4.2, 4.32 and 4.8: two votes for 1.
  #expect(try kNearestNeighborPredictions(train: train, trainLabels: trainLabels, test: test, k: 3) == [0, 1, 2, 1])
  #expect(try kNearestNeighborAccuracy(train: train, trainLabels: trainLabels, test: test, testLabels: [0, 1, 2, 0], k: 3) == 0.75)
  // k = 1: its nearest is (10, 0).
  #expect(try kNearestNeighborPredictions(train: train, trainLabels: trainLabels, test: test, k: 1) == [0, 1, 2, 1])
}

@Test func aTiedVoteGoesToTheSmallestLabel() throws {
  // The test point's 2 nearest carry labels 7 and 3, one vote each: scikit-learn answers 3.
  let train = PointSet(rows: [[1, 0], [-2, 0], [5, 5]])
  #expect(try kNearestNeighborPredictions(train: train, trainLabels: [7, 3, 3], test: PointSet(rows: [[0, 0]]), k: 2) == [3])
  #expect(try kNearestNeighborPredictions(train: train, trainLabels: [7, 9, 3], test: PointSet(rows: [[0, 0]]), k: 2) == [7])
}

@Test func oneNearestNeighbourOfTheTrainingSetIsItself() throws {
  let (points, labels) = blobs(clusters: 5, perCluster: 60, dimensions: 8, separation: 1)
  #expect(try kNearestNeighborAccuracy(train: points, trainLabels: labels, test: points, testLabels: labels, k: 1) == 1)
}

@Test func kBeyondTheTrainingSetIsRefused() {
  let points = normalPoints(rows: 5, columns: 2, seed: 61)
  #expect(throws: EmbeddingError.self) {
    try kNearestNeighborAccuracy(train: points, trainLabels: [0, 1, 0, 1, 0], test: points, testLabels: [0, 1, 0, 1, 0], k: 6)
  }
}

/// 60,000 training and 10,000 test points of 64 coordinates; run with
/// AUTOENCODERKIT_EMBEDDINGS_BENCHMARK=1 in a release build.
@Test(.enabled(if: benchmarking)) func nearestNeighbourAccuracyBenchmark() throws {
  let (train, trainLabels) = blobs(clusters: 10, perCluster: 6000, dimensions: 64, separation: 0.5, seed: 1)
  let (test, testLabels) = blobs(clusters: 10, perCluster: 1000, dimensions: 64, separation: 0.5, seed: 1, noiseSeed: 99)
  let start = Date()
  let accuracy = try kNearestNeighborAccuracy(train: train, trainLabels: trainLabels, test: test, testLabels: testLabels, k: 5)
  print("5-NN accuracy of 10,000 against 60,000 × 64 on \(Parallel.threads) threads: \(Date().timeIntervalSince(start)) s, accuracy \(accuracy)")
}
