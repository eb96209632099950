/// An optimizer's name and settings: what the model file records and the CLI parses.
public struct OptimizerConfiguration: Codable, Equatable, Sendable {
  /// The optimizers AutoencoderKit has.
  public enum Name: String, Codable, Sendable, CaseIterable {
    case adam, rmsprop, sgd

    /// Keras's default learning rate for this optimizer.
    public var defaultLearningRate: Float { self == .sgd ? 0.01 : 1e-3 }
  }

  public var name: Name
  public var learningRate: Float
  /// Adam's β₁ and β₂.
  public var beta1: Float?
  public var beta2: Float?
  /// SGD's or RMSProp's momentum.
  public var momentum: Float?
  /// RMSProp's decay ρ.
  public var rho: Float?
  /// SGD's Nesterov flag.
  public var nesterov: Bool?
  public var epsilon: Float?

  public init(name: Name, learningRate: Float? = nil, beta1: Float? = nil, beta2: Float? = nil, momentum: Float? = nil,
              rho: Float? = nil, nesterov: Bool? = nil, epsilon: Float? = nil) {
    self.name = name
    self.learningRate = learningRate ?? name.defaultLearningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.momentum = momentum
    self.rho = rho
    self.nesterov = nesterov
    self.epsilon = epsilon
  }

  /// A new optimizer with these settings (Keras's defaults for any left out).
  public func makeOptimizer() -> any Optimizer {
    switch name {
    case .adam: Adam(learningRate: learningRate, beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.999, epsilon: epsilon ?? 1e-7)
    case .rmsprop: RMSProp(learningRate: learningRate, rho: rho ?? 0.9, momentum: momentum ?? 0, epsilon: epsilon ?? 1e-7)
    case .sgd: SGD(learningRate: learningRate, momentum: momentum ?? 0, nesterov: nesterov ?? false)
    }
  }

  /// `adam (learning rate 0.001)`.
  public var description: String {
    var parts = ["learning rate \(learningRate)"]
    if let momentum, momentum > 0 { parts.append("momentum \(momentum)") }
    if nesterov == true { parts.append("Nesterov") }
    return "\(name.rawValue) (\(parts.joined(separator: ", ")))"
  }
}
