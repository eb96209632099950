import Autodiff
import FileIO
import TensorCore

/// Generalized divisive normalization (Ballé, Laparra and Simoncelli, 2016), the nonlinearity of
/// Ballé et al.'s learned image codec, over NHWC batches: each channel `i` of a pixel divided by
/// a norm of all its channels,
///
///     y_i = x_i / sqrt(β_i + Σ_j γ_ji x_j²)
///
/// or, inverted (IGDN, the synthesis side's), multiplied by it. One product per pixel of the
/// squares by `γ` (a `[C, C]` matrix, `j` down and `i` across, a dense kernel's layout), so it
/// costs what a 1×1 convolution does (`Variable.divisivelyNormalized`, one operation).
///
/// `β` and `γ` must stay positive; they are kept as square roots, as TensorFlow Compression's GDN
/// reparameterizes them: the parameters `beta` and `gamma` hold `b` and `g`, and `β = b² + 10⁻⁶`,
/// `γ = g²`. New layers start at `β = 1` and `γ = 0.1 I` (the paper's), off-diagonal roots at
/// 0.01 rather than 0 so their gradients are not zero.
public final class GDN: Layer {
  /// Square roots of `β`, `[C]`.
  public let beta: Variable
  /// Square roots of `γ`, `[C, C]`.
  public let gamma: Variable
  /// Whether this is the inverse (multiplying by the norm).
  public let inverse: Bool

  /// What keeps `β` away from 0 (and the square root's gradient finite).
  static let betaFloor: Float = 1e-6

  public init(beta: Tensor, gamma: Tensor, inverse: Bool) {
    precondition(beta.rank == 1 && gamma.shape == [beta.count, beta.count], "GDN beta \(beta.shape) and gamma \(gamma.shape)")
    self.beta = Variable(beta, requiresGradient: true)
    self.gamma = Variable(gamma, requiresGradient: true)
    self.inverse = inverse
  }

  /// A new layer of `channels`: `β = 1`, `γ = 0.1 I` (off-diagonal roots 0.01).
  public convenience init(channels: Int, inverse: Bool) {
    let gamma = Tensor(shape: [channels, channels]) { out in
      for j in 0..<channels {
        for i in 0..<channels { out[j * channels + i] = j == i ? Float(0.1).squareRoot() : 0.01 }
      }
    }
    self.init(beta: Tensor(shape: [channels], repeating: 1), gamma: gamma, inverse: inverse)
  }

  public var channels: Int { beta.value.count }

  public func callAsFunction(_ input: Variable) -> Variable {
    precondition(input.shape.last == channels, "\(description) got input of shape \(input.shape)")
    let pixels = input.reshaped(to: [input.value.count / channels, channels])
    return pixels.divisivelyNormalized(beta: beta.squared() + Self.betaFloor, gamma: gamma.squared(), inverse: inverse).reshaped(to: input.shape)
  }

  /// `β` and `γ` themselves (from their roots), as the operation takes them.
  public var normalization: (beta: Tensor, gamma: Tensor) {
    (beta.value * beta.value + Self.betaFloor, gamma.value * gamma.value)
  }

  public var namedParameters: [(name: String, parameter: Variable)] { [("beta", beta), ("gamma", gamma)] }

  /// `GDN(32)`, `IGDN(32)`.
  public var description: String { "\(inverse ? "IGDN" : "GDN")(\(channels))" }
}

extension GDN {
  /// `gdn` or `igdn` (its inverse) on images `[height, width, channels]`, keeping their shape;
  /// JSON type `gdn` with `"inverse"`.
  public struct Kind: LayerKind {
    public var inverse: Bool

    public init(inverse: Bool) { self.inverse = inverse }

    public static let typeName = "gdn", words = ["gdn", "igdn"]

    public init(settings: LayerSettings) throws {
      _ = try settings.numbers(0...0, "gdn or igdn, without settings")
      try settings.refuse([.activation, .padding, .stride, .bias])
      self.init(inverse: settings.name == "igdn")
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      _ = try LayerMisfit.image(input, inverse ? "IGDN" : "GDN")
      return input
    }

    public func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] {
      let channels = input.last ?? 0
      return [("beta", [channels]), ("gamma", [channels, channels])]
    }

    public func multiplyAddsPerExample(inputShape input: [Int]) -> Int { checkedProduct(input + [input.last ?? 0]) ?? Int.max }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator)
      -> any Layer
    {
      if let parameters { return GDN(beta: parameters["beta"]!, gamma: parameters["gamma"]!, inverse: inverse) }
      return GDN(channels: inputShape.last!, inverse: inverse)
    }

    public var takesImages: Bool { true }
    public var shortDescription: String { inverse ? "igdn" : "gdn" }
    public var description: String { inverse ? "IGDN" : "GDN" }

    private enum Keys: String, CodingKey { case inverse }

    public init(from decoder: any Decoder) throws {
      inverse = try decoder.container(keyedBy: Keys.self).decodeIfPresent(Bool.self, forKey: .inverse) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Keys.self)
      try container.encode(inverse, forKey: .inverse)
    }
  }
}

extension LayerSpec {
  /// `GDN` (or its inverse, `IGDN`): each pixel's channels divided (multiplied) by a learned norm
  /// of them all. Images `[height, width, channels]`.
  public static func gdn(inverse: Bool = false) -> LayerSpec { LayerSpec(GDN.Kind(inverse: inverse)) }
}
