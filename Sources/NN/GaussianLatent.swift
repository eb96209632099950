import Autodiff
import TensorCore

/// The latent head of a variational autoencoder (Kingma and Welling, 2014): from the encoder's
/// features, the mean `μ = features · W_μ + b_μ` and the log-variance `log σ² = features · W_σ + b_σ`
/// of a diagonal Gaussian `q(z | x)` over the code, as Keras's `z_mean` and `z_log_var` layers.
///
/// `features` has shape `[batchSize, inputSize]`; the mean and log-variance `[batchSize, latentSize]`.
/// Parameters are named "mean.weight", "mean.bias", "log_variance.weight", "log_variance.bias".
public final class GaussianLatent: Module {
  /// The layer giving the mean.
  public let mean: Dense
  /// The layer giving the log-variance.
  public let logVariance: Dense

  public init(mean: Dense, logVariance: Dense) {
    precondition(mean.inputSize == logVariance.inputSize && mean.outputSize == logVariance.outputSize,
                 "mean \(mean) and log-variance \(logVariance) layers of different sizes")
    self.mean = mean
    self.logVariance = logVariance
  }

  /// A head with Glorot-uniform weights and zero biases (Keras's `Dense` defaults).
  public convenience init(inputSize: Int, latentSize: Int, using generator: inout some RandomNumberGenerator) {
    self.init(mean: Dense(inputSize: inputSize, outputSize: latentSize, using: &generator),
              logVariance: Dense(inputSize: inputSize, outputSize: latentSize, using: &generator))
  }

  /// The number of latent dimensions.
  public var latentSize: Int { mean.outputSize }

  /// The mean and log-variance of `q(z | x)` for a batch of features.
  public func callAsFunction(_ features: Variable) -> (mean: Variable, logVariance: Variable) {
    (mean(features), logVariance(features))
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    prefixed("mean", mean.namedParameters) + prefixed("log_variance", logVariance.namedParameters)
  }

  /// `GaussianLatent(512 => 2)`.
  public var description: String { "GaussianLatent(\(mean.inputSize) => \(latentSize))" }
}

extension Variable {
  /// A draw `z = μ + exp(½ log σ²) ⊙ ε` from the Gaussian with this mean and `logVariance`, for
  /// standard normal `noise` ε (the reparameterization trick: gradients flow to μ and log σ²).
  public func reparameterized(logVariance: Variable, noise: Tensor) -> Variable {
    self + (logVariance * 0.5).exp() * noise
  }

  /// The KL divergence of `N(μ, σ²)` (this mean, and `logVariance`) from `N(0, I)`, in closed form,
  /// summed over latent dimensions and examples and divided by `batchSize`:
  /// `-½ Σ (1 + log σ² - μ² - σ²) / batchSize`, nats per example.
  public func klDivergenceFromStandardNormal(logVariance: Variable, batchSize: Int) -> Variable {
    ((logVariance + 1) - squared() - logVariance.exp()).sum() * (-0.5 / Float(batchSize))
  }
}
