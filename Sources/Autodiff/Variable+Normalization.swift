import TensorCore

extension Variable {
  /// Generalized divisive normalization of rows `x` (`[pixels, C]`), as one operation: each
  /// row's values divided by their norms `n_i = √(β_i + Σ_j γ_ji x_j²)`, or multiplied by them
  /// when `inverse` (IGDN). The norms take one BLAS product of the squares by `γ` (`[C, C]`, `j`
  /// down); the rest is two passes over the rows forward, and backward:
  ///
  /// with `w = ∓ g·x / n³` (GDN, minus) or `w = g·x / n` (IGDN),
  /// `∂/∂x = g / n + x · (w · γᵀ)` (IGDN: `g · n + …`), `∂/∂β = ½ Σ_rows w`, `∂/∂γ = ½ (x²)ᵀ · w`.
  ///
  /// - Precondition: `β > 0` and `γ ≥ 0` (the caller keeps them so: `GDN` squares its roots).
  public func divisivelyNormalized(beta: Variable, gamma: Variable, inverse: Bool) -> Variable {
    precondition(value.rank == 2 && beta.value.shape == [value.shape[1]] && gamma.value.shape == [value.shape[1], value.shape[1]],
                 "divisive normalization of \(value.shape) with beta \(beta.value.shape), gamma \(gamma.value.shape)")
    let (rows, channels) = (value.shape[0], value.shape[1])
    let x = value, squares = value * value
    // n² = x²·γ + β, β pre-filled into each row; then n in place.
    var norms = Tensor(shape: x.shape) { out in
      beta.value.withUnsafeBufferPointer { b in
        for row in 0..<rows { (out.baseAddress! + row * channels).initialize(from: b.baseAddress!, count: channels) }
      }
    }
    Tensor.matmul(squares, gamma.value, accumulatingInto: &norms, beta: 1)
    let output = Tensor.divisiveNormalization(x, norms: &norms, inverse: inverse)  // n² → n
    let savedNorms = norms
    return Variable.record(output, operation: inverse ? "igdn" : "gdn", inputs: [self, beta, gamma]) { g in
      var (inputGradient, w) = Tensor.divisiveNormalizationBackward(g, input: x, norms: savedNorms, inverse: inverse)
      if self.requiresGradient { inputGradient.addProduct(x, Tensor.matmul(w, gamma.value, transposeB: true)) }  // + x · Σ_i γ_ki w_i
      return [self.requiresGradient ? inputGradient : nil,
              beta.requiresGradient ? w.sum(alongAxis: 0).reshaped(to: [channels]) * 0.5 : nil,
              gamma.requiresGradient ? Tensor.matmul(squares, w, transposeA: true) * 0.5 : nil]
    }
  }
}
