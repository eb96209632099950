import Foundation
import Testing

@testable import Codec

struct BjontegaardDeltaTests {
  let anchor: [BjontegaardDelta.Point] = [(0.5, 24), (1.0, 28.5), (2.0, 33), (4.0, 37.2), (8.0, 41)]

  @Test func aCurveWithAFixedFractionOfTheBitsSavesThatFraction() throws {
    let fewer = anchor.map { ($0.rate * 0.8, $0.quality) }
    #expect(abs(try #require(BjontegaardDelta.rate(of: fewer, against: anchor)) - -0.2) < 1e-9)
    #expect(abs(try #require(BjontegaardDelta.rate(of: anchor, against: fewer)) - 0.25) < 1e-9)
    #expect(abs(try #require(BjontegaardDelta.rate(of: anchor, against: anchor))) < 1e-12)
  }

  @Test func onlyTheCommonQualityRangeCounts() throws {
    // Both curves lie on one cubic of log rate in quality: over their common range they agree,
    // whatever each covers beyond it.
    func rate(_ q: Double) -> Double { pow(10, -3 + 0.1 * q - 1e-3 * q * q + 1e-5 * q * q * q) }
    let wide = [22.0, 27, 31, 36, 40, 44].map { (rate($0), $0) }, narrow = [30.0, 33, 35, 38].map { (rate($0), $0) }
    #expect(abs(try #require(BjontegaardDelta.rate(of: narrow, against: wide))) < 1e-9)
    #expect(BjontegaardDelta.rate(of: [(1, 50), (2, 60)], against: anchor) == nil)  // no overlap
    #expect(BjontegaardDelta.rate(of: [(1, 30)], against: anchor) == nil)  // one point
  }

  @Test func aWindowAveragesOverItsPartOfTheCommonRangeOnly() throws {
    // log₁₀ of the test's rate is the anchor's plus 0.01 (q − 30), both cubics (fitted exactly):
    // the mean difference over [low, high] is 0.01 ((low + high) / 2 − 30).
    func anchorLog(_ q: Double) -> Double { -3 + 0.1 * q - 1e-3 * q * q + 1e-5 * q * q * q }
    let qualities = [22.0, 27, 31, 36, 40, 44]
    let anchor = qualities.map { (pow(10, anchorLog($0)), $0) }, test = qualities.map { (pow(10, anchorLog($0) + 0.01 * ($0 - 30)), $0) }
    #expect(abs(try #require(BjontegaardDelta.rate(of: test, against: anchor)) - (pow(10, 0.03) - 1)) < 1e-9)
    #expect(abs(try #require(BjontegaardDelta.rate(of: test, against: anchor, within: 24...32)) - (pow(10, -0.02) - 1)) < 1e-9)
    // A window past the curves is cut to them (no extrapolation): 40...60 averages over 40 to 44.
    #expect(abs(try #require(BjontegaardDelta.rate(of: test, against: anchor, within: 40...60)) - (pow(10, 0.12) - 1)) < 1e-9)
    #expect(BjontegaardDelta.rate(of: test, against: anchor, within: 50...60) == nil)
  }

  @Test func polynomialFitsRecoverExactPolynomials() {
    let x = [20.0, 25, 30, 35, 40, 45]
    let y = x.map { 0.5 - 0.02 * $0 + 3e-4 * $0 * $0 - 1e-6 * $0 * $0 * $0 }
    let coefficients = BjontegaardDelta.fit(x, y, degree: 3)
    for (found, expected) in zip(coefficients, [0.5, -0.02, 3e-4, -1e-6]) { #expect(abs(found - expected) < 1e-9 * max(1, abs(expected) * 1e6)) }
  }
}
