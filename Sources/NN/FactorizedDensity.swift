import CKernels
import Autodiff
import Foundation
import TensorCore

/// The entropy bottleneck of a rate-trained codec (Ballé, Laparra and Simoncelli, 2017): a
/// learned density per code channel, under which a quantized code costs `-log₂ P(ŷ)` bits.
///
/// Each channel `c` has a mixture of `K` logistic distributions (weights `softmax(logits[c])`,
/// locations `means[c]`, scales `exp(log_scales[c])`); an integer `ŷ`, or a value `ỹ` of the
/// code plus uniform noise in training, gets the mass of the unit interval around it:
///
///     P(ỹ) = Σₖ wₖ (σ((ỹ + ½ − μₖ) / sₖ) − σ((ỹ − ½ − μₖ) / sₖ))
///
/// so the rate estimated in training is the rate of the rounded code (noise stands in for
/// rounding, as Ballé et al. do). Parameters `[channels, K]` each, named "logits", "means" and
/// "log_scales"; a code's channel is its last dimension.
public final class FactorizedDensity: Module {
  public let logits: Variable
  public let means: Variable
  public let logScales: Variable

  /// Probabilities are bounded below by this (so a value far in a tail costs at most ~30 bits and
  /// still pulls the density towards it).
  public static let smallestProbability = 1e-9
  /// Scales are kept within `exp(±7)`.
  static let logScaleRange: ClosedRange<Float> = -7...7

  public init(logits: Tensor, means: Tensor, logScales: Tensor) {
    precondition(logits.rank == 2 && logits.shape[1] <= Int(AEK_MIXTURE_MAX_COMPONENTS) && means.shape == logits.shape && logScales.shape == logits.shape, "density parameters of shapes \(logits.shape), \(means.shape), \(logScales.shape)")
    self.logits = Variable(logits, requiresGradient: true)
    self.means = Variable(means, requiresGradient: true)
    self.logScales = Variable(logScales, requiresGradient: true)
  }

  /// A density for `channels` channels of `components` logistics: equal weights, locations spread
  /// evenly over [−2, 2], scale 1 (no random draws, so adding one changes no other initial weight).
  public convenience init(channels: Int, components: Int) {
    let locations = (0..<components).map { components == 1 ? Float(0) : -2 + 4 * Float($0) / Float(components - 1) }
    self.init(logits: Tensor.zeros(shape: [channels, components]),
              means: Tensor(shape: [channels, components], scalars: (0..<channels).flatMap { _ in locations }),
              logScales: Tensor.zeros(shape: [channels, components]))
  }

  public var channels: Int { logits.shape[0] }
  public var components: Int { logits.shape[1] }

  public var namedParameters: [(name: String, parameter: Variable)] { [("logits", logits), ("means", means), ("log_scales", logScales)] }

  /// `FactorizedDensity(16 channels × 3 logistics)`.
  public var description: String { "FactorizedDensity(\(channels) channels × \(components) logistics)" }

  /// The bits of every value of `code` under the density, summed: `Σ −log₂ max(P(ỹ), 10⁻⁹)`, a
  /// scalar. Gradients reach the code and the three parameters (the bound passes them on, so a
  /// value in a far tail still pulls the density towards it).
  public func bits(of code: Variable) -> Variable { Self.bits(of: code, logits: logits, means: means, logScales: logScales) }

  /// `bits(of:)` with the parameters given (`[channels, K]` each), for checking its gradients.
  public static func bits(of code: Variable, logits: Variable, means: Variable, logScales: Variable) -> Variable {
    let values = code.value
    let (c, k) = (logits.shape[0], logits.shape[1])
    precondition(values.count % c == 0, "a code of shape \(values.shape) for \(c) channels")
    let table = mixtureTable(logits: logits.value, means: means.value, logScales: logScales.value)
    let inputs = [code, logits, means, logScales]
    // The C kernels (CKernels/mixture.c) do the arithmetic `part` and `probability` define here.
    guard Variable.records(inputs) else {
      let total = values.withUnsafeBufferPointer { y in
        aek_mixture_bits(y.count, c, k, y.baseAddress, table.weights, table.means, table.scales, Self.smallestProbability)
      }
      return Variable(Tensor(Float(total)))
    }
    // Training: the bits and their gradients for an upstream 1 in one pass over the mixtures (the
    // bits the same sum as above); the pullback only scales the gradients.
    var codeGradient = [Float](repeating: 0, count: values.count)
    var logitGradient = [Double](repeating: 0, count: c * k), meanGradient = logitGradient, scaleGradient = logitGradient
    let total = values.withUnsafeBufferPointer { y in
      aek_mixture_bits_backward(y.count, c, k, y.baseAddress, table.weights, table.means, table.scales, Self.smallestProbability,
                                1 / log(2.0), &codeGradient, &logitGradient, &meanGradient, &scaleGradient)
    }
    return Variable.record(Tensor(Float(total)), operation: "factorizedBits", inputs: inputs) { upstream in
      let (g, shape) = (upstream.scalar, [c, k])
      return [Tensor(shape: values.shape, scalars: codeGradient.map { $0 * g }),
              Tensor(shape: shape, scalars: logitGradient.map { Float($0 * Double(g)) }),
              Tensor(shape: shape, scalars: meanGradient.map { Float($0 * Double(g)) }),
              Tensor(shape: shape, scalars: scaleGradient.map { Float($0 * Double(g)) })]
    }
  }

  /// The probability of the integer `value` in `channel`, in double precision (for the tables a
  /// codec fits once and stores).
  public func probability(ofInteger value: Int, channel: Int) -> Double {
    Self.probability(Double(value), channel: channel, components: components, table: mixtureTable())
  }

  /// The integers where `channel`'s logistics hold their mass: 40 scales either side of each
  /// location (beyond, under e⁻⁴⁰ of it), at most `limit` of them around the mixture's mean.
  public func support(channel: Int, limit: Int) -> ClosedRange<Int> {
    Self.support(channel: channel, limit: limit, components: components, table: mixtureTable())
  }

  /// The probability of each integer of `channel`'s support (`support(channel:limit:)`), the
  /// mixture evaluated once for them all: what a codec's stored table is made from.
  public func integerProbabilities(channel: Int, limit: Int) -> (lowest: Int, probabilities: [Double]) {
    let table = mixtureTable()
    let range = Self.support(channel: channel, limit: limit, components: components, table: table)
    return (range.lowerBound, range.map { Self.probability(Double($0), channel: channel, components: components, table: table) })
  }

  static func support(channel: Int, limit: Int, components: Int, table: MixtureTable) -> ClosedRange<Int> {
    let slots = (channel * components)..<((channel + 1) * components)
    var low = slots.map { table.means[$0] - 40 * table.scales[$0] }.min()!.rounded(.down)
    var high = slots.map { table.means[$0] + 40 * table.scales[$0] }.max()!.rounded(.up)
    let mean = slots.reduce(0.0) { $0 + table.weights[$1] * table.means[$1] }.rounded()
    low = max(low, mean - Double(limit / 2), -1e9)
    high = min(high, low + Double(limit - 1), 1e9)
    return high < low ? Int(mean)...Int(mean) : Int(low)...Int(high)
  }

  /// The mixture's weights (softmax of the logits), locations and scales, per `channel · K + k`.
  struct MixtureTable {
    var weights: [Double], means: [Double], scales: [Double]
  }

  func mixtureTable() -> MixtureTable { Self.mixtureTable(logits: logits.value, means: means.value, logScales: logScales.value) }

  static func mixtureTable(logits: Tensor, means: Tensor, logScales: Tensor) -> MixtureTable {
    let (c, k) = (logits.shape[0], logits.shape[1])
    let (logits, means, logScales) = (logits.scalars, means.scalars, logScales.scalars)
    var weights = [Double](repeating: 0, count: c * k)
    for channel in 0..<c {
      let row = (channel * k)..<(channel * k + k)
      let largest = row.map { Double(logits[$0]) }.max()!
      let sum = row.reduce(0.0) { $0 + exp(Double(logits[$1]) - largest) }
      for slot in row { weights[slot] = exp(Double(logits[slot]) - largest) / sum }
    }
    let range = Self.logScaleRange
    return MixtureTable(weights: weights, means: means.map(Double.init),
                        scales: logScales.map { exp(Double(min(max($0, range.lowerBound), range.upperBound))) })
  }

  /// One logistic's share of `P(ỹ)`: the standardized interval ends, the mass between them, and
  /// the logistic density `σ(t)(1 − σ(t))` at each end.
  struct Part {
    var above = 0.0, below = 0.0, mass = 0.0, densityAbove = 0.0, densityBelow = 0.0
  }

  /// `P(ỹ)` for one value of `channel`.
  @inline(__always) static func probability(_ value: Double, channel: Int, components k: Int, table: MixtureTable) -> Double {
    var probability = 0.0
    for slot in (channel * k)..<(channel * k + k) { probability += table.weights[slot] * part(value, slot: slot, table: table).mass }
    return probability
  }

  /// Logistic `slot`'s part of `P(ỹ)`, from one exponential per interval end: with e = exp(−|t|),
  /// σ(t) and 1 − σ(t) are 1/(1 + e) and e/(1 + e), in the order t's sign gives (the same values
  /// `sigmoid` gives, without its second exponential).
  @inline(__always) static func part(_ value: Double, slot: Int, table: MixtureTable) -> Part {
    let (mean, inverse) = (table.means[slot], 1 / table.scales[slot])  // as the C kernels: a product, not a quotient, per end
    let above = (value + 0.5 - mean) * inverse, below = (value - 0.5 - mean) * inverse
    let (sa, ca) = sigmoidAndComplement(above), (sb, cb) = sigmoidAndComplement(below)
    // σ(a) − σ(b) loses its digits when both are near 1: there, (1 − σ(b)) − (1 − σ(a)), the same number.
    let mass = above + below > 0 ? cb - ca : sa - sb
    return Part(above: above, below: below, mass: max(mass, 0), densityAbove: sa * (1 - sa), densityBelow: sb * (1 - sb))
  }

  /// σ(t) and σ(−t) = 1 − σ(t), each computed without cancellation, from one exponential.
  @inline(__always) static func sigmoidAndComplement(_ t: Double) -> (Double, Double) {
    let e = exp(-abs(t)), small = e / (1 + e), large = 1 / (1 + e)
    return t >= 0 ? (large, small) : (small, large)
  }

}
