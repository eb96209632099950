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
  /// Decoupled weight decay (AdamW with adam), or nil for none.
  public var weightDecay: Float?

  public init(name: Name, learningRate: Float? = nil, beta1: Float? = nil, beta2: Float? = nil, momentum: Float? = nil,
              rho: Float? = nil, nesterov: Bool? = nil, epsilon: Float? = nil, weightDecay: Float? = nil) {
    self.name = name
    self.learningRate = learningRate ?? name.defaultLearningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.momentum = momentum
    self.rho = rho
    self.nesterov = nesterov
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  /// A new optimizer with these settings (Keras's defaults for any left out).
  public func makeOptimizer() -> any Optimizer {
    switch name {
    case .adam: Adam(learningRate: learningRate, beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.999, epsilon: epsilon ?? 1e-7,
                     weightDecay: weightDecay ?? 0)
    case .rmsprop: RMSProp(learningRate: learningRate, rho: rho ?? 0.9, momentum: momentum ?? 0, epsilon: epsilon ?? 1e-7,
                           weightDecay: weightDecay ?? 0)
    case .sgd: SGD(learningRate: learningRate, momentum: momentum ?? 0, nesterov: nesterov ?? false, weightDecay: weightDecay ?? 0)
    }
  }

  /// What is wrong with these settings (as read from a file), or nil: a learning rate that is
  /// not a positive number, a β, momentum or ρ outside [0, 1), an ε that is not positive.
  public var problem: String? {
    guard learningRate.isFinite, learningRate > 0 else { return "learning rate \(learningRate) is not a positive number" }
    for (name, value) in [("beta1", beta1), ("beta2", beta2), ("momentum", momentum), ("rho", rho)] {
      if let value, !(value >= 0 && value < 1) { return "\(name) \(value) does not lie in [0, 1)" }
    }
    if let epsilon, !(epsilon.isFinite && epsilon > 0) { return "epsilon \(epsilon) is not a positive number" }
    if let weightDecay, !(weightDecay.isFinite && weightDecay >= 0) { return "weight decay \(weightDecay) is not a non-negative number" }
    return nil
  }

  /// How many tensors of state the optimizer keeps per parameter (Adam's two moments, RMSProp's
  /// mean square and momentum, SGD's velocity), for memory estimates.
  public var stateSlots: Int {
    switch name {
    case .adam: 2
    case .rmsprop: (momentum ?? 0) > 0 ? 2 : 1
    case .sgd: (momentum ?? 0) > 0 ? 1 : 0
    }
  }

  /// `adam (learning rate 0.001)`.
  public var description: String {
    var parts = ["learning rate \(learningRate)"]
    if let momentum, momentum > 0 { parts.append("momentum \(momentum)") }
    if nesterov == true { parts.append("Nesterov") }
    if let weightDecay, weightDecay > 0 { parts.append("weight decay \(weightDecay)") }
    return "\(name.rawValue) (\(parts.joined(separator: ", ")))"
  }
}
