@testable import Embeddings
import Foundation
import TensorCore
import Testing

/// `KL(P ‖ Q)` over all pairs, written out from the definition with dense P and Q.
private func denseKL(_ p: [Double], _ y: [Double]) -> Double {
  let n = y.count / 2
  var w = [Double](repeating: 0, count: n * n)
  for i in 0..<n { for j in 0..<n where i != j {
    w[i * n + j] = 1 / (1 + pow(y[2 * i] - y[2 * j], 2) + pow(y[2 * i + 1] - y[2 * j + 1], 2))
  } }
  let z = w.reduce(0, +)
  var kl = 0.0
  for i in 0..<n { for j in 0..<n where i != j && p[i * n + j] > 0 { kl += p[i * n + j] * log(p[i * n + j] / (w[i * n + j] / z)) } }
  return kl
}

/// A random symmetric P on `n` points summing to 1, with some zero entries, and a random map.
private func problem(_ n: Int) -> (p: [Double], y: [Double]) {
  var generator = SplitMix64(seed: 40)
  let draws = Tensor.randomUniform(shape: [n * n], in: 0..<1, using: &generator).scalars
  var p = [Double](repeating: 0, count: n * n)
  for i in 0..<n { for j in i + 1..<n where draws[i * n + j] > 0.3 {
    p[i * n + j] = Double(draws[i * n + j]); p[j * n + i] = p[i * n + j]
  } }
  let total = p.reduce(0, +)
  let y = Tensor.randomNormal(rows: n, columns: 2, seed: 41, firstRow: 0).scalars.map { Double($0) * 2 }
  return (p.map { $0 / total }, y)
}

@Test func exactGradientMatchesFiniteDifferencesOfTheKL() {
  let (p, y) = problem(9)
  let affinities = Affinities(dense: p, size: 9)
  let gradient = TSNE.exactGradient(affinities: affinities, positions: y)
  #expect(abs(TSNE.exactKLDivergence(affinities: affinities, positions: y) - denseKL(p, y)) < 1e-12)
  let h = 1e-6
  for i in y.indices {
    var (up, down) = (y, y)
    up[i] += h
    down[i] -= h
    let numeric = (denseKL(p, up) - denseKL(p, down)) / (2 * h)
    #expect(abs(gradient[i] - numeric) < 1e-7 + 1e-6 * abs(numeric), "coordinate \(i): \(gradient[i]) against \(numeric)")
  }
}

@Test func barnesHutGradientIsCloseToTheExactOne() {
  let (p, y) = problem(60)
  let affinities = Affinities(dense: p, size: 60)
  let exact = TSNE.exactGradient(affinities: affinities, positions: y)
  var approximate = [Double](repeating: 0, count: y.count)
  var workspace = TSNEWorkspace(count: 60)
  y.withUnsafeBufferPointer { positions in
    approximate.withUnsafeMutableBufferPointer { g in
      _ = TSNE.gradient(positions: positions.baseAddress!, affinities: affinities, exaggeration: 1, theta: 0.5,
                        workspace: &workspace, measuring: false, into: g.baseAddress!)
    }
  }
  let error = zip(approximate, exact).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
  let norm = exact.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
  // The gradient is the difference of attraction and repulsion, so its relative error is a few
  // times the repulsion's.
  #expect(error < 0.05 * norm)
}
