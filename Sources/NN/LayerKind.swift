import Autodiff
import TensorCore

/// A layer kind as spec strings and model files name it: its settings, the shape it gives for the
/// shape it receives, its parameters' names and shapes, and the layer it builds.
///
/// Each kind is declared beside its layer (`Dense.Kind` in Dense.swift) and listed once in
/// `LayerSpec.kinds`; nothing else switches on layer types, so a new layer is its file, its test
/// file and one line there (as Keras finds a layer's class by its registered name). Its settings
/// are stored in model files as a JSON object with a `"type"` key, as Keras's layer configs:
/// `{"type": "conv2d", "filters": 16, "kernel_size": 3, "strides": 1, "padding": "same", ...}`.
public protocol LayerKind: Codable, Equatable, Sendable, CustomStringConvertible {
  /// The `"type"` of the layer's JSON object in model files: `conv2d`, as Keras names it.
  static var typeName: String { get }
  /// The words that name it in spec strings: `conv`, `conv2d`; the first is its usual name.
  static var words: [String] { get }
  /// The kind from its settings in a spec string (the words after its name).
  ///
  /// - Throws: `SpecError` saying what is missing or which word it cannot take.
  init(settings: LayerSettings) throws
  /// The shape one example has after the layer, given `input` (within `Limits`, as is every size
  /// in `sizes`).
  ///
  /// - Throws: `LayerMisfit` saying why the layer cannot take `input`.
  func outputShape(for input: [Int]) throws -> [Int]
  /// A layer for `inputShape` (which fits) holding `parameters` (by the names and shapes of
  /// `parameterShapes(inputShape:)`, already checked), or freshly initialized ones when nil, with
  /// Keras's initialization. `salt` tells apart the random draws of layers that draw in training
  /// (dropout): its place in the model.
  func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator) throws
    -> any Layer
  /// The sizes the layer holds, by name, each checked against `Limits.maximumDimension` first.
  var sizes: [(name: String, value: Int)] { get }
  /// The names and shapes of its parameters for `input` shape, in the order of `namedParameters`
  /// (Keras's layouts): none by default.
  func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])]
  /// Multiply-adds of its forward matrix products for one example: none by default.
  func multiplyAddsPerExample(inputShape input: [Int]) -> Int
  /// Whether it takes images (`[height, width, channels]`) of any size: convolutions, pooling,
  /// upsampling. A model of such layers takes any image size the strides divide.
  var takesImages: Bool { get }
  /// Whether it takes sequences (`[length, channels]`): 1-D convolutions, pooling, upsampling.
  var takesSequences: Bool { get }
  /// Whether it takes any shape and keeps it, drawing at random in training (dropout): skipped
  /// where the model's first layer or its code's activation is looked for.
  var isDropout: Bool { get }
  /// Whether each step of its output depends on that step of its input and the steps before only
  /// (dense and dropout at each step, an embedding, a recurrent layer returning sequences): what a
  /// token model's layers must be, so it predicts each token from the ones before it alone.
  var isCausal: Bool { get }
  /// The activation applied to its output, where it has one.
  var outputActivation: Activation? { get }
  /// `conv 16 3×3 relu`, for one-line architecture descriptions.
  var shortDescription: String { get }
}

extension LayerKind {
  public var sizes: [(name: String, value: Int)] { [] }
  public func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] { [] }
  public func multiplyAddsPerExample(inputShape input: [Int]) -> Int { 0 }
  public var takesImages: Bool { false }
  public var takesSequences: Bool { false }
  public var isDropout: Bool { false }
  public var isCausal: Bool { false }
  public var outputActivation: Activation? { nil }

  /// The kind a model file's JSON object holds (for `LayerSpec`, which finds it by its type).
  static func decoded(from decoder: any Decoder) throws -> any LayerKind { try Self(from: decoder) }

  /// The kind from its settings in a spec string (for `LayerSpec`, which finds it by its word).
  static func parsed(_ settings: LayerSettings) throws -> any LayerKind { try Self(settings: settings) }

  /// Whether `other` is this kind with the same settings.
  func isEqual(to other: any LayerKind) -> Bool { (other as? Self) == self }

  /// `weight` of `shape`, then `bias` `[units]` where the layer has one.
  static func weightAndBias(_ shape: [Int], bias units: Int?) -> [(name: String, shape: [Int])] {
    [("weight", shape)] + (units.map { [("bias", [$0])] } ?? [])
  }
}

/// Why a layer cannot take a shape.
public struct LayerMisfit: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }

  /// `input` as an image, or a misfit naming the layer.
  static func image(_ input: [Int], _ layer: String) throws -> (height: Int, width: Int, channels: Int) {
    guard input.count == 3 else {
      throw LayerMisfit("\(layer) needs images of shape [height, width, channels]"
        + (input.count == 1 ? "; reshape the flat input first (e.g. reshape 28x28x1)" : ""))
    }
    return (input[0], input[1], input[2])
  }

  /// `input` as a sequence, or a misfit naming the layer.
  static func sequence(_ input: [Int], _ layer: String) throws -> (length: Int, channels: Int) {
    guard input.count == 2 else {
      throw LayerMisfit("\(layer) needs sequences of shape [length, channels]"
        + (input.count == 1 ? "; reshape the flat input first (e.g. reshape \(input[0])x1)" : ""))
    }
    return (input[0], input[1])
  }

  /// The window geometry `make` gives, or its error as a misfit.
  static func geometry(_ make: () throws -> WindowGeometry) throws -> WindowGeometry {
    do {
      return try make()
    } catch let error as GeometryError {
      throw LayerMisfit(error.description)
    }
  }
}

/// A layer's settings in a spec string: the words after its name, read by the grammar every
/// kind shares (numbers, `same`/`valid`, `stride N`, `nobias`, an activation, sizes written
/// `3x3` or `7x7x32`); words it does not know are kept for the kinds that take them (dropout's
/// rate).
public struct LayerSettings {
  /// The word that named the layer, as written (lowercased).
  public let name: String
  /// The words after it, as written (lowercased), for a kind with a grammar of its own.
  public let words: [String]
  /// The numbers and sizes, in order.
  public enum Item: Equatable { case number(Int), sizes([Int]) }
  public private(set) var items: [Item] = []
  public private(set) var padding: Padding?
  public private(set) var activation: Activation?
  public private(set) var stride: Int?
  public private(set) var useBias = true
  /// Words the shared grammar does not read, in order.
  public private(set) var otherWords: [String] = []

  /// Reads `words` (lowercased).
  ///
  /// - Throws: `SpecError` for a `stride` without a positive number.
  public init(name: String, words: [String]) throws {
    self.name = name
    self.words = words
    var index = 0
    while index < words.count {
      let word = words[index]
      index += 1
      if let number = Int(word) {
        items.append(.number(number))
      } else if let parsed = Padding(rawValue: word) {
        padding = parsed
      } else if word == "nobias" || word == "no-bias" {
        useBias = false
      } else if word == "stride" || word.hasPrefix("stride=") {
        let value = word == "stride" ? (index < words.count ? words[index] : "") : String(word.dropFirst(7))
        if word == "stride" { index += 1 }
        guard let parsed = Int(value), parsed > 0 else { throw SpecError("stride needs a positive number, got \"\(value)\"") }
        stride = parsed
      } else if let parsed = Self.sizes(word) {
        items.append(.sizes(parsed))
      } else if let parsed = Activation(word) {
        activation = parsed
      } else {
        otherWords.append(word)
      }
    }
  }

  /// The numbers, a square kernel written `3x3` counting as one; throws unless there are `counts`
  /// of them (saying `usage`), or when a word is left unread.
  public func numbers(_ counts: ClosedRange<Int>, _ usage: String) throws -> [Int] {
    try expectNoOtherWords()
    let numbers = try items.map { item -> Int in
      switch item {
      case .number(let number):
        guard number > 0 else { throw SpecError("\(number) must be positive") }
        return number
      case .sizes(let sizes):
        guard sizes.count == 2 else { throw SpecError("expected \(usage)") }
        guard sizes[0] == sizes[1] else { throw SpecError("kernel \(sizes[0])x\(sizes[1]): only square kernels are supported") }
        return sizes[0]
      }
    }
    guard counts.contains(numbers.count) else { throw SpecError("expected \(usage)") }
    return numbers
  }

  /// Throws naming the first of `settings` that was given, for a kind that takes none of them.
  public func refuse(_ settings: [Setting]) throws {
    let given: [Setting: Bool] = [.padding: padding != nil, .activation: activation != nil, .stride: stride != nil, .bias: !useBias]
    if let setting = settings.first(where: { given[$0] == true }) { throw SpecError("\(name) takes no \(setting.rawValue)") }
  }

  /// The settings a kind may refuse.
  public enum Setting: String { case padding, activation, stride, bias }

  /// Throws naming the first word the shared grammar did not read.
  public func expectNoOtherWords() throws {
    if let word = otherWords.first {
      throw SpecError("unknown word \"\(word)\" (expected a number, same or valid, stride N, nobias, or an activation: "
        + "\(Activation.names.joined(separator: ", ")))")
    }
  }

  /// `7x7x32` as `[7, 7, 32]`, or nil.
  private static func sizes(_ word: String) -> [Int]? {
    let parts = word.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard parts.count >= 2, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
    return parts.map { $0! }
  }
}

extension KeyedDecodingContainer {
  /// A positive integer, or a decoding error saying it must be one.
  func decodePositive(_ key: Key) throws -> Int {
    let value = try decode(Int.self, forKey: key)
    guard value > 0 else { throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "must be positive, got \(value)") }
    return value
  }
}
