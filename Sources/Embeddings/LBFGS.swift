/// Limited-memory BFGS (Nocedal 1980; Liu and Nocedal 1989) for smooth unconstrained
/// minimization, with a line search for the weak Wolfe conditions
/// `f(x + t d) ≤ f(x) + 10⁻⁴ t ∇f·d` (and below `f(x)`) and `∇f(x + t d)·d ≥ 0.9 ∇f·d`.
///
/// The direction `d = −H ∇f` comes from the two-loop recursion over the last `memory` pairs
/// `s = x₊ − x`, `y = ∇f₊ − ∇f` (pairs with `s·y ≤ 0` are skipped, keeping `H` positive definite),
/// scaled by `γ = s·y / y·y` of the newest pair. Every accepted step lowers `f`.
struct LBFGS {
  /// How many `(s, y)` pairs approximate the inverse Hessian.
  var memory = 10
  /// The most iterations (line searches).
  var maxIterations = 500
  /// Stop when `max_i |∂f/∂x_i|` is at most this.
  var gradientTolerance = 1e-6
  /// Stop when an iteration lowers `f` by at most this times `max(|f|, 1)`.
  var relativeDecreaseTolerance = 1e-10

  /// The minimization's end: the point, the objective at the start and after each iteration.
  struct Outcome {
    var x: [Double]
    var values: [Double]
    var iterations: Int { values.count - 1 }
  }

  /// Minimizes `objective`, which returns `f(x)` and writes `∇f(x)` into its second argument,
  /// from `start`.
  func minimize(from start: [Double], _ objective: ([Double], inout [Double]) -> Double) -> Outcome {
    let count = start.count
    var x = start
    var gradient = [Double](repeating: 0, count: count)
    var value = objective(x, &gradient)
    var values = [value]
    var pairs: [(s: [Double], y: [Double], rho: Double)] = []
    var direction = [Double](repeating: 0, count: count)
    var alphas = [Double](repeating: 0, count: memory)
    var trial = x
    var trialGradient = gradient
    for _ in 0..<maxIterations {
      if gradient.reduce(0, { max($0, abs($1)) }) <= gradientTolerance { break }
      // d = −H g by the two-loop recursion.
      for i in 0..<count { direction[i] = -gradient[i] }
      for (index, pair) in pairs.enumerated().reversed() {
        alphas[index] = pair.rho * dot(pair.s, direction)
        for i in 0..<count { direction[i] -= alphas[index] * pair.y[i] }
      }
      if let newest = pairs.last {
        let gamma = dot(newest.s, newest.y) / dot(newest.y, newest.y)
        for i in 0..<count { direction[i] *= gamma }
      }
      for (index, pair) in pairs.enumerated() {
        let beta = pair.rho * dot(pair.y, direction)
        for i in 0..<count { direction[i] += (alphas[index] - beta) * pair.s[i] }
      }
      var slope = dot(gradient, direction)
      if !(slope < 0) {  // not a descent direction (rounding): restart from steepest descent
        pairs.removeAll()
        for i in 0..<count { direction[i] = -gradient[i] }
        slope = dot(gradient, direction)
      }
      // Weak Wolfe line search by bisection (Lewis and Overton 2013): shrink the step while the
      // Armijo condition fails, grow it while the slope along d is still below 0.9 of the start's.
      var step = pairs.isEmpty ? min(1, 1 / dot(gradient, gradient).squareRoot()) : 1
      var (low, high) = (0.0, Double.infinity)
      var best: (step: Double, value: Double)?
      for _ in 0..<60 {
        for i in 0..<count { trial[i] = x[i] + step * direction[i] }
        let trialValue = objective(trial, &trialGradient)
        if !(trialValue <= value + 1e-4 * step * slope && trialValue < value) {
          high = step
        } else {
          if best == nil || trialValue < best!.value { best = (step, trialValue) }
          if dot(trialGradient, direction) >= 0.9 * slope { break }
          low = step
        }
        step = high.isFinite ? (low + high) / 2 : 2 * low
      }
      guard let accepted = best else { break }  // no decrease along d: as low as rounding allows
      if accepted.step != step {  // the search ended elsewhere: go back to the best point seen
        for i in 0..<count { trial[i] = x[i] + accepted.step * direction[i] }
        _ = objective(trial, &trialGradient)
      }
      let s = zip(trial, x).map { $0 - $1 }
      let y = zip(trialGradient, gradient).map { $0 - $1 }
      let sy = dot(s, y)
      if sy > 1e-12 * dot(y, y).squareRoot() * dot(s, s).squareRoot() {
        if pairs.count == memory { pairs.removeFirst() }
        pairs.append((s, y, 1 / sy))
      }
      let decrease = value - accepted.value
      swap(&x, &trial)
      swap(&gradient, &trialGradient)
      value = accepted.value
      values.append(value)
      if decrease <= relativeDecreaseTolerance * max(abs(value), 1) { break }
    }
    return Outcome(x: x, values: values)
  }
}

/// `Σ_i a_i b_i`.
func dot(_ a: [Double], _ b: [Double]) -> Double {
  var sum = 0.0
  for i in a.indices { sum += a[i] * b[i] }
  return sum
}
