import TensorCore

extension Variable {
  /// Generalized divisive normalization of rows `x` (`[pixels, C]`), as one operation: each
  /// row's values divided by their norms `n_i = √(β_i + Σ_j γ_ji x_j²)`, or multiplied by them
  /// when `inverse` (IGDN): `Tensor.divisiveNormalization` forward (the squares by `γ`, `[C, C]`, `j` down,
  /// one BLAS product per block of rows, for the norms), and backward (`divisiveNormalizationGradients`):
  ///
  /// with `w = ∓ g·x / n³` (GDN, minus) or `w = g·x / n` (IGDN),
  /// `∂/∂x = g / n + x · (w · γᵀ)` (IGDN: `g · n + …`), `∂/∂β = ½ Σ_rows w`, `∂/∂γ = ½ (x²)ᵀ · w`.
  ///
  /// - Precondition: `β > 0` and `γ ≥ 0` (the caller keeps them so: `GDN` squares its roots).
  public func divisivelyNormalized(beta: Variable, gamma: Variable, inverse: Bool) -> Variable {
    let x = value
    let (output, norms) = Tensor.divisiveNormalization(x, beta: beta.value, gamma: gamma.value, inverse: inverse)
    return Variable.record(output, operation: inverse ? "igdn" : "gdn", inputs: [self, beta, gamma]) { g in
      let gradients = Tensor.divisiveNormalizationGradients(g, input: x, norms: norms, beta: beta.value, gamma: gamma.value, inverse: inverse,
                                                            forInput: self.requiresGradient, forBeta: beta.requiresGradient,
                                                            forGamma: gamma.requiresGradient)
      return [gradients.input, gradients.beta, gradients.gamma]
    }
  }
}
