import TensorCore

/// A layer that runs one time step at a time over independent streams in exact arithmetic
/// (`ExactArithmetic`: the same bits on every machine), so a coder driven by a token model's
/// predictions decodes what it encoded. Each stream carries its own state between steps (zero at
/// its start); a step's output for a stream depends on that stream alone.
public protocol SteppingLayer: Layer {
  /// Per stream, for an input of `inputWidth` floats a step: the output's width, the floats of
  /// state carried from step to step, and the scratch floats a step works in.
  func stepSizes(inputWidth: Int) -> (output: Int, state: Int, scratch: Int)
  /// Advances `streams` streams by one step: `input` `[streams, inputWidth]`, `state` `[streams,
  /// state]` updated in place, `output` `[streams, output]`.
  func step(streams: Int, input: UnsafePointer<Float>, inputWidth: Int, state: UnsafeMutablePointer<Float>,
            scratch: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>)
}

extension Activation {
  /// The activation in exact arithmetic, or nil where it has none there (leaky relu).
  var exact: ExactArithmetic.Activation? {
    switch self {
    case .identity: .identity
    case .relu: .relu
    case .sigmoid: .sigmoid
    case .tanh: .tanh
    case .leakyRelu: nil
    }
  }
}

/// Why a model cannot run one step at a time.
public struct SteppingError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// A token model (`Architecture.vocabulary`) run one step at a time over `streams` independent
/// streams of tokens, in exact arithmetic: each step reads every stream's previous token (0
/// before its first) and gives its logits for the next. The same tokens give the same logits, bit
/// for bit, on every machine, thread count and SIMD level: what an entropy coder's encoder and
/// decoder must agree on. Buffers are allocated once.
public final class TokenPredictor {
  public let streams: Int
  public let vocabulary: Int
  private let layers: [any SteppingLayer]
  /// Each layer's input width, then the last layer's output width.
  private let widths: [Int]
  /// Each layer's state, `[streams, state]` (one float for a layer without).
  private let states: [UnsafeMutableBufferPointer<Float>]
  private let scratch: UnsafeMutableBufferPointer<Float>
  /// The tokens fed in (`[streams, 1]`), then each layer's output.
  private let activations: [UnsafeMutableBufferPointer<Float>]

  /// - Throws: `SteppingError` when `model` is not a token model or has a layer that cannot step.
  public init(_ model: Autoencoder, streams: Int) throws {
    precondition(streams > 0, "a predictor of \(streams) streams")
    guard let vocabulary = model.architecture.vocabulary else { throw SteppingError("the model is not a token model (its first layer is not an embedding)") }
    let all = model.encoder.layers + model.decoder.layers
    var layers: [any SteppingLayer] = []
    for (index, layer) in all.enumerated() {
      guard let stepping = layer as? any SteppingLayer else { throw SteppingError("layer \(index), \(layer), cannot run one step at a time") }
      if let dense = layer as? Dense, dense.activation.exact == nil {
        throw SteppingError("layer \(index), \(layer): its activation has no exact form for coding")
      }
      layers.append(stepping)
    }
    var widths = [1], stateSizes: [Int] = [], scratchSize = 0
    for layer in layers {
      let sizes = layer.stepSizes(inputWidth: widths.last!)
      widths.append(sizes.output)
      stateSizes.append(sizes.state)
      scratchSize = max(scratchSize, sizes.scratch)
    }
    guard widths.last == vocabulary else { throw SteppingError("the model's last layer gives \(widths.last!) values a step, not \(vocabulary) logits") }
    self.streams = streams
    self.vocabulary = vocabulary
    self.layers = layers
    self.widths = widths
    func zeros(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
      let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
      buffer.initialize(repeating: 0)
      return buffer
    }
    states = stateSizes.map { zeros(streams * $0) }
    scratch = zeros(streams * scratchSize)
    activations = widths.map { zeros(streams * $0) }
  }

  deinit {
    for buffer in states + activations + [scratch] { buffer.deallocate() }
  }

  /// Sets every stream back to its start.
  public func reset() {
    for state in states { state.update(repeating: 0) }
  }

  /// Advances every stream by one step, `previous(s)` being stream `s`'s last token (0 before its
  /// first), and calls `body` with the logits `[streams, vocabulary]`.
  public func step<Result>(previous: (Int) -> Int, _ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
    for stream in 0..<streams { activations[0][stream] = Float(previous(stream)) }
    for index in layers.indices {
      layers[index].step(streams: streams, input: activations[index].baseAddress!, inputWidth: widths[index], state: states[index].baseAddress!,
                         scratch: scratch.baseAddress!, output: activations[index + 1].baseAddress!)
    }
    return try body(UnsafeBufferPointer(activations[layers.count]))
  }
}
