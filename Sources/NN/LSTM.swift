import Autodiff
import FileIO
import TensorCore

/// A long short-term memory layer over sequences (Keras's `LSTM`): `[batchSize, steps, features]`
/// to every step's hidden state `[batchSize, steps, units]` (`returnsSequences`) or the last
/// `[batchSize, units]`. Keras's gate order (input, forget, cell, output), sigmoid gates, tanh,
/// zero initial state; weights stored `[features, 4·units]` and `[units, 4·units]` and the bias
/// `[4·units]`, as Keras stores them. New layers: Glorot-uniform kernel, orthogonal recurrent
/// kernel, zero bias but the forget gate's ones (Keras's `unit_forget_bias`).
public final class LSTM: Layer {
  /// `[features, 4·units]`.
  public let weight: Variable
  /// `[units, 4·units]`.
  public let recurrentWeight: Variable
  /// `[4·units]`, or nil.
  public let bias: Variable?
  public let returnsSequences: Bool

  public init(weight: Tensor, recurrentWeight: Tensor, bias: Tensor?, returnsSequences: Bool) {
    let units = recurrentWeight.shape[0]
    precondition(weight.rank == 2 && weight.shape[1] == 4 * units && recurrentWeight.shape == [units, 4 * units]
                   && (bias?.shape ?? [4 * units]) == [4 * units], "LSTM weights \(weight.shape), \(recurrentWeight.shape)")
    self.weight = Variable(weight, requiresGradient: true)
    self.recurrentWeight = Variable(recurrentWeight, requiresGradient: true)
    self.bias = bias.map { Variable($0, requiresGradient: true) }
    self.returnsSequences = returnsSequences
  }

  /// Creates a layer with Keras's initialization.
  public convenience init(features: Int, units: Int, returnsSequences: Bool, useBias: Bool = true, using generator: inout some RandomNumberGenerator) {
    let weight = Initializer.glorotUniform(shape: [features, 4 * units], fanIn: features, fanOut: 4 * units, using: &generator)
    let recurrent = Initializer.orthogonal(rows: units, columns: 4 * units, using: &generator)
    let bias = Tensor(shape: [4 * units]) { out in for i in 0..<(4 * units) { out[i] = (units..<(2 * units)).contains(i) ? 1 : 0 } }
    self.init(weight: weight, recurrentWeight: recurrent, bias: useBias ? bias : nil, returnsSequences: returnsSequences)
  }

  public var units: Int { recurrentWeight.value.shape[0] }

  public func callAsFunction(_ input: Variable) -> Variable {
    input.lstm(kernel: weight, recurrentKernel: recurrentWeight, bias: bias, returningSequences: returnsSequences)
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    [("weight", weight), ("recurrent_weight", recurrentWeight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// `LSTM(1 => 64, last state)`.
  public var description: String { "LSTM(\(weight.value.shape[0]) => \(units), \(returnsSequences ? "sequences" : "last state"))" }

  /// `lstm UNITS [sequences] [nobias]` over sequences `[steps, features]`: the last state `[UNITS]`,
  /// or with `sequences` every step's `[steps, UNITS]`; JSON type `lstm`; bias `[4·units]`.
  public struct Kind: RecurrentKind {
    public var settings: RecurrentSettings
    public static let typeName = "lstm", words = ["lstm"], layerName = "LSTM", gates = 4

    public init(_ settings: RecurrentSettings) { self.settings = settings }
    public init(from decoder: any Decoder) throws { settings = try RecurrentSettings(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try settings.encode(to: encoder) }
    public static func biasShape(units: Int) -> [Int] { [4 * units] }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator)
      -> any Layer
    {
      if let parameters {
        return LSTM(weight: parameters["weight"]!, recurrentWeight: parameters["recurrent_weight"]!, bias: parameters["bias"],
                    returnsSequences: settings.returnsSequences)
      }
      return LSTM(features: inputShape[1], units: settings.units, returnsSequences: settings.returnsSequences, useBias: settings.useBias,
                  using: &generator)
    }
  }
}


/// A recurrent layer's kind, the LSTM's or the GRU's: its settings, gates per unit and bias shape;
/// the rest of `LayerKind` follows from them the same way for both.
public protocol RecurrentKind: LayerKind {
  var settings: RecurrentSettings { get }
  init(_ settings: RecurrentSettings)
  /// Gates per unit: 4 for the LSTM (i, f, c, o), 3 for the GRU (z, r, h).
  static var gates: Int { get }
  /// The layer's name in messages and descriptions: "LSTM".
  static var layerName: String { get }
  /// The bias's shape for `units`, as Keras stores it.
  static func biasShape(units: Int) -> [Int]
}

extension RecurrentKind {
  public init(units: Int, returnsSequences: Bool, useBias: Bool = true) {
    self.init(RecurrentSettings(units: units, returnsSequences: returnsSequences, useBias: useBias))
  }

  public init(settings: LayerSettings) throws { self.init(try RecurrentSettings(settings: settings)) }

  public func outputShape(for input: [Int]) throws -> [Int] { try settings.outputShape(for: input, layer: Self.layerName) }
  public var sizes: [(name: String, value: Int)] { [("units", settings.units)] }

  /// `weight` `[features, gates·units]`, `recurrent_weight` `[units, gates·units]`, and the bias.
  public func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] {
    let (units, gates) = (settings.units, Self.gates)
    return [("weight", [input.last ?? 0, gates * units]), ("recurrent_weight", [units, gates * units])]
      + (settings.useBias ? [("bias", Self.biasShape(units: units))] : [])
  }

  public func multiplyAddsPerExample(inputShape input: [Int]) -> Int { settings.multiplyAddsPerExample(inputShape: input, gates: Self.gates) }

  public var takesSequences: Bool { true }
  public var isCausal: Bool { settings.returnsSequences }
  public var outputActivation: Activation? { .tanh }
  public var shortDescription: String { settings.shortDescription(Self.typeName) }
  public var description: String { settings.description(Self.layerName) }
}

/// What a recurrent layer is set by, read and stored the same way for the LSTM and the GRU:
/// `UNITS [sequences] [nobias]` in spec strings, Keras's keys in model files.
public struct RecurrentSettings: Codable, Equatable, Sendable {
  public var units: Int, returnsSequences: Bool, useBias: Bool

  public init(units: Int, returnsSequences: Bool, useBias: Bool = true) {
    (self.units, self.returnsSequences, self.useBias) = (units, returnsSequences, useBias)
  }

  init(settings: LayerSettings) throws {
    let sequences = settings.otherWords == ["sequences"] || settings.otherWords == ["return_sequences"]
    if !sequences { try settings.expectNoOtherWords() }
    guard settings.items.count == 1, case .number(let units) = settings.items[0], units > 0 else {
      throw SpecError("expected \(settings.name) UNITS [sequences], e.g. \(settings.name) 64 or \(settings.name) 1 sequences")
    }
    try settings.refuse([.padding, .stride, .activation])
    self.init(units: units, returnsSequences: sequences, useBias: settings.useBias)
  }

  /// `[steps, units]` or `[units]` for sequences `input`, or a misfit naming `layer`.
  func outputShape(for input: [Int], layer: String) throws -> [Int] {
    guard units > 0 else { throw LayerMisfit("units must be positive, got \(units)") }
    let (steps, _) = try LayerMisfit.sequence(input, layer)
    return returnsSequences ? [steps, units] : [units]
  }

  /// Every step's input and recurrent products, for `gates` gates.
  func multiplyAddsPerExample(inputShape input: [Int], gates: Int) -> Int {
    checkedProduct([input.first ?? 0, (input.last ?? 0) + units, gates * units]) ?? Int.max
  }

  func shortDescription(_ name: String) -> String { "\(name) \(units)\(returnsSequences ? " sequences" : "")" }
  func description(_ name: String) -> String { "\(name)(\(units), \(returnsSequences ? "sequences" : "last state")\(useBias ? "" : ", no bias"))" }

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

extension LayerSpec {
  /// `LSTM(units)`: the last state, or every step's with `returnsSequences`.
  public static func lstm(units: Int, returnsSequences: Bool = false) -> LayerSpec { LayerSpec(LSTM.Kind(units: units, returnsSequences: returnsSequences)) }
}

extension LSTM: SteppingLayer {
  /// A stream's state is its hidden state then its cell, `[h, c]`.
  public func stepSizes(inputWidth: Int) -> (output: Int, state: Int, scratch: Int) { (units, 2 * units, 8 * units) }

  /// One step for each stream: the gates' input and recurrent parts (two exact products, summed in
  /// that order), then the cell.
  public func step(streams: Int, input: UnsafePointer<Float>, inputWidth: Int, state: UnsafeMutablePointer<Float>,
                   scratch: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let units = units, gates = scratch, recurrentParts = scratch + streams * 4 * units
    weight.value.withUnsafeBufferPointer { w in
      func run(_ bias: UnsafePointer<Float>?) {
        ExactArithmetic.affine(rows: streams, inputs: inputWidth, outputs: 4 * units, x: input, xStride: inputWidth, weight: w.baseAddress!,
                               bias: bias, y: gates, yStride: 4 * units)
      }
      if let bias { bias.value.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
    }
    recurrentWeight.value.withUnsafeBufferPointer { u in
      ExactArithmetic.affine(rows: streams, inputs: units, outputs: 4 * units, x: state, xStride: 2 * units, weight: u.baseAddress!,
                             bias: nil, y: recurrentParts, yStride: 4 * units)
    }
    for index in 0..<(streams * 4 * units) { gates[index] = gates[index] + recurrentParts[index] }
    for stream in 0..<streams {
      let hidden = state + stream * 2 * units
      ExactArithmetic.lstmStep(rows: 1, units: units, gates: gates + stream * 4 * units, cell: hidden + units, hidden: hidden)
      (output + stream * units).update(from: hidden, count: units)
    }
  }
}
