import FileIO
import Autodiff
import TensorCore

/// One layer of an `Architecture`: its kind and settings, without parameters.
///
/// Image layers take one example as `[height, width, channels]` (NHWC batches); `Dense` takes
/// `[features]`. What a layer is and does lives in its kind (`LayerKind`, declared beside the
/// layer); this wraps one, checks its sizes against `Limits`, and stores it in model files as a
/// JSON object with a `"type"` key, as Keras's layer configs.
public struct LayerSpec: Equatable, Sendable {
  /// The layer's kind and settings.
  public let kind: any LayerKind

  public init(_ kind: some LayerKind) { self.kind = kind }

  private init(kind: any LayerKind) { self.kind = kind }

  /// Every layer kind, by which spec strings and model files find them.
  public static let kinds: [any LayerKind.Type] = [
    Dense.Kind.self, Conv2D.Kind.self, Conv2DTranspose.Kind.self, MaxPool2D.Kind.self, UpSampling2D.Kind.self,
    Reshape.FlattenKind.self, Reshape.Kind.self, Dropout.Kind.self,
    Conv1D.Kind.self, Conv1DTranspose.Kind.self, MaxPool1D.Kind.self, UpSampling1D.Kind.self, LSTM.Kind.self, GRU.Kind.self, RepeatVector.Kind.self, Embedding.Kind.self, GDN.Kind.self,
  ]

  public static func == (a: LayerSpec, b: LayerSpec) -> Bool { a.kind.isEqual(to: b.kind) }

  /// The shape this layer outputs for one example of `input` shape (whose sizes are within
  /// `Limits`). Every size the layer holds is checked against `Limits.maximumDimension` first.
  func outputShape(for input: [Int]) throws -> [Int] {
    if let size = kind.sizes.first(where: { $0.value > Limits.maximumDimension }) {
      throw LayerMisfit("\(size.name) \(size.value) exceeds the limit of \(groupedDigits(Limits.maximumDimension))")
    }
    return try kind.outputShape(for: input)
  }

  /// The names and shapes of the layer's parameters for `input` shape (which it fits).
  func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] { kind.parameterShapes(inputShape: input) }

  /// The number of trainable scalars for `input` shape, or a misfit when it exceeds
  /// `Limits.maximumParameters`.
  func parameterCount(inputShape input: [Int]) throws -> Int {
    let shapes = kind.parameterShapes(inputShape: input)
    let counts = shapes.map { checkedProduct($0.shape) }
    guard let total = checkedSum(counts.map { $0 ?? Int.max }), !counts.contains(nil), total <= Limits.maximumParameters else {
      let described = shapes.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
      throw LayerMisfit("its parameters (\(described)) exceed the limit of \(groupedDigits(Limits.maximumParameters))")
    }
    return total
  }

  /// Multiply-adds of the layer's forward matrix products for one example (0 for layers without).
  /// Saturates at `Int.max` (a layer within `Limits` stays far below).
  func multiplyAddsPerExample(inputShape input: [Int]) -> Int { kind.multiplyAddsPerExample(inputShape: input) }

  /// A new layer for `inputShape` (already validated), with Keras's initialization.
  func makeLayer(inputShape: [Int], using generator: inout some RandomNumberGenerator) throws -> any Layer {
    try kind.makeLayer(inputShape: inputShape, parameters: nil, salt: 0, using: &generator)
  }

  /// A layer for `inputShape` holding `parameters`, or fresh ones when nil (`LayerKind.makeLayer`).
  func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator) throws
    -> any Layer
  {
    try kind.makeLayer(inputShape: inputShape, parameters: parameters, salt: salt, using: &generator)
  }

  /// Whether the layer takes images (`[height, width, channels]`) rather than flat vectors.
  var takesImages: Bool { kind.takesImages }

  /// Whether the layer takes sequences (`[length, channels]`).
  var takesSequences: Bool { kind.takesSequences }

  /// Whether this is a dropout layer, which takes any shape.
  var isDropout: Bool { kind.isDropout }

  /// `64 relu`, `conv 16 3×3 relu`, for one-line architecture descriptions.
  var shortDescription: String { kind.shortDescription }

  /// The layer a spec string's item describes: a kind's word and its settings (`conv 16 3 relu`).
  ///
  /// - Throws: `SpecError` naming the word it could not read.
  static func parsing(_ text: String) throws -> LayerSpec {
    var words = text.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
    guard !words.isEmpty else { throw SpecError("empty layer (two commas in a row?)") }
    let name = words.removeFirst()
    if name == "latent" { throw SpecError("latent N must be the encoder's last layer, just before '|'") }
    guard let kind = kinds.first(where: { $0.words.contains(name) }) else {
      throw SpecError("unknown layer \"\(name)\" (known: \(kinds.map { $0.words[0] }.joined(separator: ", ")), latent, bottleneck)")
    }
    let settings = try LayerSettings(name: name, words: words)
    return LayerSpec(kind: try kind.parsed(settings))
  }
}

extension LayerSpec: CustomStringConvertible {
  /// `Dense(64, relu)`, `Conv2D(16, 3×3, same, relu)`.
  public var description: String { kind.description }
}

extension LayerSpec: Codable {
  private enum Keys: String, CodingKey { case type }

  public init(from decoder: any Decoder) throws { self.kind = try Self.kind(from: decoder) }

  /// The kind of the layer object `decoder` holds, found by its `"type"`.
  private static func kind(from decoder: any Decoder) throws -> any LayerKind {
    let container = try decoder.container(keyedBy: Keys.self)
    let type = try container.decode(String.self, forKey: .type)
    guard let found = kinds.first(where: { $0.typeName == type }) else {
      throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown layer type \"\(type)\" "
        + "(known: \(kinds.map { $0.typeName }.joined(separator: ", ")))")
    }
    return try found.decoded(from: decoder)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Keys.self)
    try container.encode(type(of: kind).typeName, forKey: .type)
    try kind.encode(to: encoder)
  }
}
