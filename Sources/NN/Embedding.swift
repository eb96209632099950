import Autodiff
import TensorCore

/// A table of learned vectors, one per token (Keras's `Embedding`): a sequence of token ids
/// `[batchSize, steps]` (whole numbers in `0 ..< vocabulary`) to their vectors `[batchSize, steps,
/// width]`. The table is stored `[vocabulary, width]` (Keras's `embeddings`); new layers draw it
/// uniformly from ±0.05, Keras's default.
///
/// A model whose first layer is an embedding is a model of token sequences: it predicts each
/// token from the ones before it (`Architecture.vocabulary`).
public final class Embedding: Layer {
  /// `[vocabulary, width]`.
  public let weight: Variable

  public init(weight: Tensor) {
    precondition(weight.rank == 2, "an embedding table is [vocabulary, width], got \(weight.shape)")
    self.weight = Variable(weight, requiresGradient: true)
  }

  /// A table with Keras's initialization, `U(-0.05, 0.05)`.
  public convenience init(vocabulary: Int, width: Int, using generator: inout some RandomNumberGenerator) {
    self.init(weight: Tensor.randomUniform(shape: [vocabulary, width], in: -0.05..<0.05, using: &generator))
  }

  public var vocabulary: Int { weight.value.shape[0] }
  public var width: Int { weight.value.shape[1] }

  /// The vectors of `input`'s token ids, `[batchSize, steps]` (whole numbers stored as floats).
  public func callAsFunction(_ input: Variable) -> Variable { weight.embedding(of: input.value) }

  public var namedParameters: [(name: String, parameter: Variable)] { [("weight", weight)] }

  /// `Embedding(256 => 64)`.
  public var description: String { "Embedding(\(vocabulary) => \(width))" }

  /// `embedding VOCABULARY WIDTH` over token ids `[steps]`: `[steps, WIDTH]`; JSON type
  /// `embedding`, Keras's `input_dim` and `output_dim`.
  public struct Kind: LayerKind {
    public var vocabulary: Int
    public var width: Int

    public init(vocabulary: Int, width: Int) { (self.vocabulary, self.width) = (vocabulary, width) }

    public static let typeName = "embedding", words = ["embedding", "embed"]

    public init(settings: LayerSettings) throws {
      let numbers = try settings.numbers(2...2, "embedding VOCABULARY WIDTH")
      try settings.refuse([.padding, .stride, .activation, .bias])
      self.init(vocabulary: numbers[0], width: numbers[1])
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
      guard input.count == 1 else { throw LayerMisfit("Embedding needs sequences of token ids of shape [steps], got \(input)") }
      return [input[0], width]
    }

    public var sizes: [(name: String, value: Int)] { [("vocabulary", vocabulary), ("width", width)] }

    public func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] { [("weight", [vocabulary, width])] }

    public func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator)
      -> any Layer
    {
      if let parameters { return Embedding(weight: parameters["weight"]!) }
      return Embedding(vocabulary: vocabulary, width: width, using: &generator)
    }

    public var isCausal: Bool { true }
    public var shortDescription: String { "embedding \(vocabulary)→\(width)" }
    public var description: String { "Embedding(\(vocabulary), \(width))" }

    private enum Keys: String, CodingKey { case vocabulary = "input_dim", width = "output_dim" }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Keys.self)
      self.init(vocabulary: try container.decodePositive(.vocabulary), width: try container.decodePositive(.width))
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: Keys.self)
      try container.encode(vocabulary, forKey: .vocabulary)
      try container.encode(width, forKey: .width)
    }
  }
}

extension LayerSpec {
  /// `Embedding(vocabulary, width)` over token ids `[steps]`.
  public static func embedding(vocabulary: Int, width: Int) -> LayerSpec { LayerSpec(Embedding.Kind(vocabulary: vocabulary, width: width)) }
}

extension Embedding: SteppingLayer {
  public func stepSizes(inputWidth: Int) -> (output: Int, state: Int, scratch: Int) { (width, 0, 0) }

  /// Each stream's row of the table for its token id (`input[s·inputWidth]`).
  public func step(streams: Int, input: UnsafePointer<Float>, inputWidth: Int, state: UnsafeMutablePointer<Float>,
                   scratch: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
    weight.value.withUnsafeBufferPointer { table in
      for stream in 0..<streams {
        let id = input[stream * inputWidth]
        precondition(id >= 0 && id < Float(vocabulary) && id == id.rounded(.down), "token id \(id) beyond an embedding of \(vocabulary)")
        (output + stream * width).update(from: table.baseAddress! + Int(id) * width, count: width)
      }
    }
  }
}
