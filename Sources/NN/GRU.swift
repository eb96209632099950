import Autodiff
import FileIO
import TensorCore

/// A gated recurrent unit layer over sequences (Keras's `GRU`, `reset_after=True` as its
/// default, cuDNN's and PyTorch's): `[batchSize, steps, features]` to every step's hidden state
/// `[batchSize, steps, units]` (`returnsSequences`) or the last `[batchSize, units]`. Keras's gate
/// order (update, reset, candidate), zero initial state; weights stored `[features, 3·units]` and
/// `[units, 3·units]` and the biases `[2, 3·units]` (input, recurrent), as Keras stores them. New
/// layers: Glorot-uniform kernel, orthogonal recurrent kernel, zero biases.
public final class GRU: Layer {
  /// `[features, 3·units]`.
  public let weight: Variable
  /// `[units, 3·units]`.
  public let recurrentWeight: Variable
  /// `[2, 3·units]` (the input bias, the recurrent bias), or nil.
  public let bias: Variable?
  public let returnsSequences: Bool

  public init(weight: Tensor, recurrentWeight: Tensor, bias: Tensor?, returnsSequences: Bool) {
    let units = recurrentWeight.shape[0]
    precondition(weight.rank == 2 && weight.shape[1] == 3 * units && recurrentWeight.shape == [units, 3 * units]
                   && (bias?.shape ?? [2, 3 * units]) == [2, 3 * units], "GRU weights \(weight.shape), \(recurrentWeight.shape)")
    self.weight = Variable(weight, requiresGradient: true)
    self.recurrentWeight = Variable(recurrentWeight, requiresGradient: true)
    self.bias = bias.map { Variable($0, requiresGradient: true) }
    self.returnsSequences = returnsSequences
  }

  /// Creates a layer with Keras's initialization.
  public convenience init(features: Int, units: Int, returnsSequences: Bool, useBias: Bool = true, using generator: inout some RandomNumberGenerator) {
    let weight = Initializer.glorotUniform(shape: [features, 3 * units], fanIn: features, fanOut: 3 * units, using: &generator)
    let recurrent = Initializer.orthogonal(rows: units, columns: 3 * units, using: &generator)
    self.init(weight: weight, recurrentWeight: recurrent, bias: useBias ? Tensor.zeros(shape: [2, 3 * units]) : nil, returnsSequences: returnsSequences)
  }

  public var units: Int { recurrentWeight.value.shape[0] }

  public func callAsFunction(_ input: Variable) -> Variable {
    input.gru(kernel: weight, recurrentKernel: recurrentWeight, bias: bias, returningSequences: returnsSequences)
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    [("weight", weight), ("recurrent_weight", recurrentWeight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// `GRU(1 => 64, last state)`.
  public var description: String { "GRU(\(weight.value.shape[0]) => \(units), \(returnsSequences ? "sequences" : "last state"))" }

  /// `gru UNITS [sequences] [nobias]` over sequences `[steps, features]`: the last state `[UNITS]`,
  /// or with `sequences` every step's `[steps, UNITS]`; JSON type `gru` (`reset_after` always).
  public struct Kind: LayerKind {
    public var units: Int
    public var returnsSequences: Bool
    public var useBias: Bool

    public init(units: Int, returnsSequences: Bool, useBias: Bool = true) { (self.units, self.returnsSequences, self.useBias) = (units, returnsSequences, useBias) }

    public static let typeName = "gru", words = ["gru"]

    public init(settings: LayerSettings) throws {
      let sequences = settings.otherWords == ["sequences"] || settings.otherWords == ["return_sequences"]
      if !sequences { try settings.expectNoOtherWords() }
      guard settings.items.count == 1, case .number(let units) = settings.items[0], units > 0 else {
        throw SpecError("expected gru UNITS [sequences], e.g. gru 64 or gru 1 sequences")
      }
      try settings.refuse([.padding, .stride, .activation])
      self.init(units: units, returnsSequences: sequences, useBias: settings.useBias)
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard units > 0 else { throw LayerMisfit("units must be positive, got \(units)") }
      let (steps, _) = try LayerMisfit.sequence(input, "GRU")
      return returnsSequences ? [steps, units] : [units]
    }

    public var sizes: [(name: String, value: Int)] { [("units", units)] }

    public func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] {
      [("weight", [input.last ?? 0, 3 * units]), ("recurrent_weight", [units, 3 * units])] + (useBias ? [("bias", [2, 3 * units])] : [])
    }

    /// Every step's input and recurrent products.
    public func multiplyAddsPerExample(inputShape input: [Int]) -> Int {
      checkedProduct([input.first ?? 0, (input.last ?? 0) + units, 3 * units]) ?? Int.max
    }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator)
      -> any Layer
    {
      if let parameters {
        return GRU(weight: parameters["weight"]!, recurrentWeight: parameters["recurrent_weight"]!, bias: parameters["bias"],
                    returnsSequences: returnsSequences)
      }
      return GRU(features: inputShape[1], units: units, returnsSequences: returnsSequences, useBias: useBias, using: &generator)
    }

    public var takesSequences: Bool { true }
    public var outputActivation: Activation? { .tanh }
    public var shortDescription: String { "gru \(units)\(returnsSequences ? " sequences" : "")" }
    public var description: String { "GRU(\(units), \(returnsSequences ? "sequences" : "last state")\(useBias ? "" : ", no bias"))" }

    private enum Keys: String, CodingKey { case units, returnSequences = "return_sequences", useBias = "use_bias" }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Keys.self)
      self.init(units: try container.decodePositive(.units), returnsSequences: try container.decodeIfPresent(Bool.self, forKey: .returnSequences) ?? false,
                useBias: try container.decodeIfPresent(Bool.self, forKey: .useBias) ?? true)
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Keys.self)
      try container.encode(units, forKey: .units)
      try container.encode(returnsSequences, forKey: .returnSequences)
      try container.encode(useBias, forKey: .useBias)
    }
  }
}

extension LayerSpec {
  /// `GRU(units)`: the last state, or every step's with `returnsSequences`.
  public static func gru(units: Int, returnsSequences: Bool = false) -> LayerSpec { LayerSpec(GRU.Kind(units: units, returnsSequences: returnsSequences)) }
}
