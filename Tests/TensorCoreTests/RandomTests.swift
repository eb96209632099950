import Foundation
import TensorCore
import Testing

@Suite struct RandomTests {
  @Test func sameSeedSameSequence() {
    var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42), c = SplitMix64(seed: 43)
    let x = (0..<5).map { _ in a.next() }
    #expect(x == (0..<5).map { _ in b.next() })
    #expect(x != (0..<5).map { _ in c.next() })
    // Reference value of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
    var zero = SplitMix64(seed: 0)
    #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
  }

  @Test func uniformStaysInRangeWithTheRightMean() {
    var g = SplitMix64(seed: 1)
    let t = Tensor.randomUniform(shape: [100_000], in: -2..<3, using: &g)
    #expect(t.scalars.allSatisfy { $0 >= -2 && $0 < 3 })
    #expect(abs(t.mean() - 0.5) < 0.02)
  }

  @Test func normalShapeIsKeptForOddCounts() {
    var g = SplitMix64(seed: 1)
    #expect(Tensor.randomNormal(shape: [3, 5], using: &g).shape == [3, 5])
  }

  @Test func perRowNormalsAreStandardAndIndependent() {
    // A variational model's noise: 2 columns per row, each row its own stream.
    let draws = Tensor.randomNormal(rows: 200_000, columns: 2, seed: 9, firstRow: 0).scalars
    let x = stride(from: 0, to: draws.count, by: 2).map { Double(draws[$0]) }, y = stride(from: 1, to: draws.count, by: 2).map { Double(draws[$0]) }
    func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
    for column in [x, y] {
      let m = mean(column), variance = mean(column.map { ($0 - m) * ($0 - m) })
      #expect(abs(m) < 0.01 && abs(variance - 1) < 0.015, "mean \(m), variance \(variance)")
      let tails = Double(column.filter { abs($0) > 2 }.count) / Double(column.count)
      #expect(abs(tails - 0.0455) < 0.003, "P(|z| > 2) = \(tails)")
      let kurtosis = mean(column.map { pow($0 - m, 4) }) / (variance * variance)
      #expect(abs(kurtosis - 3) < 0.06, "kurtosis \(kurtosis)")
    }
    let correlation = mean(zip(x, y).map { $0 * $1 })
    #expect(abs(correlation) < 0.01, "correlation \(correlation)")
    // Neighbouring rows' streams are independent too.
    #expect(abs(mean(zip(x, x.dropFirst()).map { $0 * $1 })) < 0.01)
  }
}
