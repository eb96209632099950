@testable import Embeddings
import Foundation
import Testing

@Test func lbfgsMinimizesTheRosenbrockFunction() {
  // f(x, y) = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1).
  var solver = LBFGS()
  solver.gradientTolerance = 1e-10
  let outcome = solver.minimize(from: [-1.2, 1]) { x, g in
    g[0] = -2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] * x[0])
    g[1] = 200 * (x[1] - x[0] * x[0])
    return (1 - x[0]) * (1 - x[0]) + 100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0])
  }
  #expect(abs(outcome.x[0] - 1) < 1e-6 && abs(outcome.x[1] - 1) < 1e-6)
  #expect(zip(outcome.values, outcome.values.dropFirst()).allSatisfy { $0 > $1 }, "every step lowers f")
  #expect(outcome.iterations < 100)
}

@Test func lbfgsSolvesAnIllConditionedQuadraticInFewIterations() {
  // f(x) = ½ Σ_i c_i (x_i − i)² with curvatures from 1 to 100: steepest descent would need
  // thousands of iterations for a gradient of 1e-9; L-BFGS about a hundred.
  let n = 20
  let curvature = (0..<n).map { pow(10, Double($0) / Double(n - 1) * 2) }
  var solver = LBFGS()
  solver.gradientTolerance = 1e-9
  solver.relativeDecreaseTolerance = 0
  let outcome = solver.minimize(from: [Double](repeating: 0, count: n)) { x, g in
    var f = 0.0
    for i in 0..<n {
      g[i] = curvature[i] * (x[i] - Double(i))
      f += 0.5 * curvature[i] * (x[i] - Double(i)) * (x[i] - Double(i))
    }
    return f
  }
  for i in 0..<n { #expect(abs(outcome.x[i] - Double(i)) < 1e-9) }
  #expect(outcome.iterations < 150)
}
