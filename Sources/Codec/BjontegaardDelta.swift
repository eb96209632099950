import Foundation

/// The Bjøntegaard delta (VCEG-M33, 2001): how much more or less rate one codec needs than another
/// at equal quality, averaged over the quality range both curves cover.
///
/// Each curve's log₁₀ rate is fitted by a polynomial in the quality (a cubic where it has four or
/// more points, as Bjøntegaard's; lower with fewer), both fits are integrated over the common
/// quality range, and the mean difference `Δ` gives `10^Δ − 1`: −0.2 means 20% fewer bits.
public enum BjontegaardDelta {
  public typealias Point = (rate: Double, quality: Double)

  /// The relative rate difference of `test` against `anchor` (−0.2: 20% fewer bits), or nil
  /// when either curve has fewer than two distinct points or the quality ranges do not overlap.
  /// With `window`, the average runs over the part of the common range inside it (the fits still
  /// use every point; a curve is never extrapolated).
  public static func rate(of test: [Point], against anchor: [Point], within window: ClosedRange<Double>? = nil) -> Double? {
    let test = test.filter { $0.rate > 0 && $0.rate.isFinite && $0.quality.isFinite }
    let anchor = anchor.filter { $0.rate > 0 && $0.rate.isFinite && $0.quality.isFinite }
    guard Set(test.map(\.quality)).count >= 2, Set(anchor.map(\.quality)).count >= 2 else { return nil }
    let low = max(test.map(\.quality).min()!, anchor.map(\.quality).min()!, window?.lowerBound ?? -.infinity)
    let high = min(test.map(\.quality).max()!, anchor.map(\.quality).max()!, window?.upperBound ?? .infinity)
    guard high > low else { return nil }
    func integral(_ points: [Point]) -> Double {
      let degree = min(3, Set(points.map(\.quality)).count - 1)
      let coefficients = fit(points.map(\.quality), points.map { log10($0.rate) }, degree: degree)
      func antiderivative(_ x: Double) -> Double { coefficients.enumerated().reduce(0) { $0 + $1.element * pow(x, Double($1.offset + 1)) / Double($1.offset + 1) } }
      return antiderivative(high) - antiderivative(low)
    }
    return pow(10, (integral(test) - integral(anchor)) / (high - low)) - 1
  }

  /// Least-squares polynomial coefficients (constant first) of `y` in `x`, by the normal
  /// equations on `x` centred and scaled (so a cubic in PSNR stays well conditioned), mapped back.
  static func fit(_ x: [Double], _ y: [Double], degree: Int) -> [Double] {
    let mean = x.reduce(0, +) / Double(x.count)
    let spread = max(x.map { abs($0 - mean) }.max()!, 1e-12)
    let t = x.map { ($0 - mean) / spread }
    let n = degree + 1
    var matrix = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n)
    for (ti, yi) in zip(t, y) {
      let powers = (0..<(2 * n)).map { pow(ti, Double($0)) }
      for row in 0..<n {
        for column in 0..<n { matrix[row][column] += powers[row + column] }
        matrix[row][n] += powers[row] * yi
      }
    }
    // Gaussian elimination with partial pivoting.
    for column in 0..<n {
      let pivot = (column..<n).max { abs(matrix[$0][column]) < abs(matrix[$1][column]) }!
      matrix.swapAt(column, pivot)
      for row in 0..<n where row != column {
        let factor = matrix[row][column] / matrix[column][column]
        for k in column...n { matrix[row][k] -= factor * matrix[column][k] }
      }
    }
    let scaled = (0..<n).map { matrix[$0][n] / matrix[$0][$0] }
    // p(x) = Σ aᵢ ((x − m) / s)ⁱ, expanded into powers of x.
    var coefficients = [Double](repeating: 0, count: n)
    for (i, a) in scaled.enumerated() {
      for k in 0...i {
        let binomial = Double((0..<k).reduce(1) { $0 * (i - $1) / ($1 + 1) })
        coefficients[k] += a * binomial * pow(-mean, Double(i - k)) / pow(spread, Double(i))
      }
    }
    return coefficients
  }
}
