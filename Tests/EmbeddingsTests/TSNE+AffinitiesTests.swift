@testable import Embeddings
import Foundation
import TensorCore
import Testing

@Test func calibrationHitsTheEntropyOfThePerplexity() {
  let points = normalPoints(rows: 300, columns: 8, seed: 31)
  for perplexity in [5.0, 30] {
    let k = Int(3 * perplexity) + 1
    let table = nearestNeighbors(of: points, among: nil, k: k)
    let p = TSNE.conditionalAffinities(squaredDistances: table.squaredDistances, k: k, perplexity: perplexity)
    for i in 0..<points.rows {
      let row = p[i * k..<(i + 1) * k]
      let entropy = row.reduce(0.0) { $1 > 0 ? $0 - $1 * log($1) : $0 }
      #expect(abs(entropy - log(perplexity)) < 1e-3, "point \(i) at perplexity \(perplexity)")
      #expect(abs(row.reduce(0, +) - 1) < 1e-12)
    }
  }
}

@Test func calibrationIsUnchangedByFarAwayData() {
  // Distances of 1e4 and more: exp(−β d) would underflow without the shift by the nearest.
  let distances: [Float] = [10_000, 10_001, 10_004, 10_009, 10_016, 10_025]
  var p = [Double](repeating: 0, count: 6)
  distances.withUnsafeBufferPointer { d in p.withUnsafeMutableBufferPointer { TSNE.calibrate(d.baseAddress!, count: 6, perplexity: 3, into: $0.baseAddress!) } }
  let entropy = p.reduce(0.0) { $0 - $1 * log($1) }
  #expect(abs(entropy - log(3)) < 1e-3)
}

@Test func symmetrizedAffinitiesAreSymmetricAndSumToOne() {
  // Three points, each with 1 neighbour: 0 → 1, 1 → 2, 2 → 1 (conditional p = 1).
  let affinities = Affinities(symmetrizing: [1, 1, 1], neighbors: [1, 2, 1], k: 1)
  var dense = [Double](repeating: 0, count: 9)
  for i in 0..<3 { for e in affinities.rowStart[i]..<affinities.rowStart[i + 1] { dense[i * 3 + Int(affinities.columns[e])] += affinities.values[e] } }
  // P = (P_c + P_cᵀ) / 6: P01 = 1/6, P12 = 2/6.
  let (sixth, third): (Double, Double) = (1.0 / 6, 2.0 / 6)
  let expected: [Double] = [0, sixth, 0, sixth, 0, third, 0, third, 0]
  #expect(dense == expected)
  #expect(affinities.rowStart == [0, 1, 3, 4])  // an entry in both P_c and P_cᵀ is stored once

  let points = normalPoints(rows: 120, columns: 4, seed: 32)
  let p = TSNE.affinities(of: points, perplexity: 10)
  var full = [Double](repeating: 0, count: 120 * 120)
  for i in 0..<120 { for e in p.rowStart[i]..<p.rowStart[i + 1] { full[i * 120 + Int(p.columns[e])] += p.values[e] } }
  #expect(abs(full.reduce(0, +) - 1) < 1e-12)
  for i in 0..<120 { for j in 0..<120 { #expect(abs(full[i * 120 + j] - full[j * 120 + i]) < 1e-15) } }
}
