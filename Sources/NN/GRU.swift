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
  /// or with `sequences` every step's `[steps, UNITS]`; JSON type `gru` (`reset_after` always);
  /// biases `[2, 3·units]` (input, recurrent).
  public struct Kind: RecurrentKind {
    public var settings: RecurrentSettings
    public static let typeName = "gru", words = ["gru"], layerName = "GRU", gates = 3

    public init(_ settings: RecurrentSettings) { self.settings = settings }
    public init(from decoder: any Decoder) throws { settings = try RecurrentSettings(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try settings.encode(to: encoder) }
    public static func biasShape(units: Int) -> [Int] { [2, 3 * units] }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator)
      -> any Layer
    {
      if let parameters {
        return GRU(weight: parameters["weight"]!, recurrentWeight: parameters["recurrent_weight"]!, bias: parameters["bias"],
                    returnsSequences: settings.returnsSequences)
      }
      return GRU(features: inputShape[1], units: settings.units, returnsSequences: settings.returnsSequences, useBias: settings.useBias,
                  using: &generator)
    }
  }
}

extension LayerSpec {
  /// `GRU(units)`: the last state, or every step's with `returnsSequences`.
  public static func gru(units: Int, returnsSequences: Bool = false) -> LayerSpec { LayerSpec(GRU.Kind(units: units, returnsSequences: returnsSequences)) }
}

extension GRU: SteppingLayer {
  public func stepSizes(inputWidth: Int) -> (output: Int, state: Int, scratch: Int) { (units, units, 6 * units) }

  /// One step for each stream, its state the hidden state: the input and recurrent parts (two
  /// exact products), then the cell.
  public func step(streams: Int, input: UnsafePointer<Float>, inputWidth: Int, state: UnsafeMutablePointer<Float>,
                   scratch: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let units = units, parts = scratch, recurrentParts = scratch + streams * 3 * units
    weight.value.withUnsafeBufferPointer { w in
      recurrentWeight.value.withUnsafeBufferPointer { u in
        func run(_ bias: UnsafePointer<Float>?) {
          ExactArithmetic.affine(rows: streams, inputs: inputWidth, outputs: 3 * units, x: input, xStride: inputWidth, weight: w.baseAddress!,
                                 bias: bias, y: parts, yStride: 3 * units)
          ExactArithmetic.affine(rows: streams, inputs: units, outputs: 3 * units, x: state, xStride: units, weight: u.baseAddress!,
                                 bias: bias.map { $0 + 3 * units }, y: recurrentParts, yStride: 3 * units)
        }
        if let bias { bias.value.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
      }
    }
    ExactArithmetic.gruStep(rows: streams, units: units, inputParts: parts, recurrentParts: recurrentParts, hidden: state)
    output.update(from: state, count: streams * units)
  }
}
