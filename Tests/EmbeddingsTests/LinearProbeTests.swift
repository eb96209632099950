@testable import Embeddings
import Foundation
import TensorCore
import Testing

@Test func separableClassesAreAllRight() throws {
  let (two, twoLabels) = blobs(clusters: 2, perCluster: 40, dimensions: 3, seed: 71)
  let probe = try LinearProbe(training: two, labels: twoLabels)
  #expect(probe.accuracy(on: two, labels: twoLabels) == 1)
  let (three, threeLabels) = blobs(clusters: 3, perCluster: 40, dimensions: 5, seed: 72)
  let labels = threeLabels.map { [4, -1, 9][$0] }  // any labels
  let threeProbe = try LinearProbe(training: three, labels: labels)
  #expect(threeProbe.classes == [-1, 4, 9])
  #expect(threeProbe.accuracy(on: three, labels: labels) == 1)
  #expect(zip(threeProbe.objectiveHistory, threeProbe.objectiveHistory.dropFirst()).allSatisfy { $0 > $1 })
}

/// A small softmax problem: overlapping blobs, standardized.
private func smallObjective(penalty: Double = 1) -> SoftmaxObjective {
  let (points, labels) = blobs(clusters: 3, perCluster: 30, dimensions: 4, separation: 1, seed: 73)
  let mean = points.mean().map { Float($0) }
  return SoftmaxObjective(features: LinearProbe.standardize(points, mean: mean, deviation: [1, 1, 1, 1]),
                          classes: labels.map { Int32($0) }, columns: 4, classCount: 3, penalty: penalty)
}

@Test func objectiveGradientMatchesFiniteDifferences() {
  let objective = smallObjective(penalty: 0.7)
  let parameters = Tensor.randomNormal(rows: 1, columns: objective.parameterCount, seed: 74, firstRow: 0).scalars.map { Double($0) * 0.5 }
  var gradient = [Double](repeating: 0, count: parameters.count)
  _ = objective.value(at: parameters, gradient: &gradient)
  var scratch = gradient
  let h = 1e-3
  for i in parameters.indices {
    var (up, down) = (parameters, parameters)
    up[i] += h
    down[i] -= h
    let numeric = (objective.value(at: up, gradient: &scratch) - objective.value(at: down, gradient: &scratch)) / (2 * h)
    #expect(abs(gradient[i] - numeric) < 1e-4 + 1e-3 * abs(numeric), "parameter \(i): \(gradient[i]) against \(numeric)")
  }
}

@Test func lbfgsFindsTheMinimumGradientDescentFinds() {
  let objective = smallObjective()
  var solver = LBFGS()
  solver.gradientTolerance = 1e-7
  let outcome = solver.minimize(from: [Double](repeating: 0, count: objective.parameterCount)) { objective.value(at: $0, gradient: &$1) }
  #expect(zip(outcome.values, outcome.values.dropFirst()).allSatisfy { $0 > $1 }, "the loss falls at every iteration")
  // Plain gradient descent with a fixed step, many iterations.
  var x = [Double](repeating: 0, count: objective.parameterCount)
  var gradient = x
  var value = 0.0
  for _ in 0..<20_000 {
    value = objective.value(at: x, gradient: &gradient)
    for i in x.indices { x[i] -= 0.5 * gradient[i] }
  }
  #expect(abs(outcome.values.last! - value) < 1e-4)
  #expect(outcome.values.last! <= value + 1e-6)
}

@Test func probeIsDeterministicAndRefusesOneClass() throws {
  let (points, labels) = blobs(clusters: 4, perCluster: 30, dimensions: 6, separation: 1, seed: 75)
  let one = try Parallel.withThreads(1) { try LinearProbe(training: points, labels: labels) }
  let two = try Parallel.withThreads(2) { try LinearProbe(training: points, labels: labels) }
  #expect(one.weights == two.weights && one.biases == two.biases)
  #expect(throws: EmbeddingError.self) { try LinearProbe(training: points, labels: [Int](repeating: 2, count: 120)) }
}
