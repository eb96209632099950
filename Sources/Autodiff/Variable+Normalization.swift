import TensorCore

extension Variable {
  /// Generalized divisive normalization of rows `x` (`[pixels, C]`), as one operation: each
  /// row's values divided by their norms `n_i = √(β_i + Σ_j γ_ji x_j²)`, or multiplied by them
  /// when `inverse` (IGDN): `Tensor.divisiveNormalization` forward (one BLAS product of the
  /// squares by `γ`, `[C, C]`, `j` down, for the norms; one pass for the rest), and backward:
  ///
  /// with `w = ∓ g·x / n³` (GDN, minus) or `w = g·x / n` (IGDN),
  /// `∂/∂x = g / n + x · (w · γᵀ)` (IGDN: `g · n + …`), `∂/∂β = ½ Σ_rows w`, `∂/∂γ = ½ (x²)ᵀ · w`.
  ///
  /// - Precondition: `β > 0` and `γ ≥ 0` (the caller keeps them so: `GDN` squares its roots).
  public func divisivelyNormalized(beta: Variable, gamma: Variable, inverse: Bool) -> Variable {
    let x = value, squares = value * value
    let (output, norms) = Tensor.divisiveNormalization(x, squares: squares, beta: beta.value, gamma: gamma.value, inverse: inverse)
    let channels = x.shape[1]
    return Variable.record(output, operation: inverse ? "igdn" : "gdn", inputs: [self, beta, gamma]) { g in
      var (inputGradient, w) = Tensor.divisiveNormalizationBackward(g, input: x, norms: norms, inverse: inverse)
      if self.requiresGradient { inputGradient.addProduct(x, Tensor.matmul(w, gamma.value, transposeB: true)) }  // + x · Σ_i γ_ki w_i
      return [self.requiresGradient ? inputGradient : nil,
              beta.requiresGradient ? w.sum(alongAxis: 0).reshaped(to: [channels]) * 0.5 : nil,
              gamma.requiresGradient ? Tensor.matmul(squares, w, transposeA: true) * 0.5 : nil]
    }
  }
}
