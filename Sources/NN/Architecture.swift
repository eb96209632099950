import FileIO
import Autodiff
import TensorCore

/// A description of an autoencoder's layers, from which the model is built and which its model
/// file stores, so a file alone rebuilds its model.
///
/// Shapes are per example (no batch dimension). Building checks every layer against the shape it
/// receives and the decoder's output against the input shape, and fails with an error naming the
/// layer and both shapes, before any training.
public struct Architecture: Codable, Equatable, Sendable {
  /// The shape of one example: `[784]` for flattened 28×28 images.
  public var inputShape: [Int]
  /// The encoder's layers, first applied first.
  public var encoder: [LayerSpec]
  /// The decoder's layers, first applied first.
  public var decoder: [LayerSpec]
  /// The shape of one example as an image, `[height, width]` or `[height, width, channels]`, for
  /// showing inputs and outputs; nil where unknown. A dense model takes 28×28 images as `[784]`.
  public var imageShape: [Int]?
  /// For a variational autoencoder, the size of its latent code: a `GaussianLatent` head between
  /// the encoder (whose output must be flat) and the decoder gives the code's mean and
  /// log-variance. Nil for a plain autoencoder.
  public var latent: Int?
  /// For a rate-trained codec, its entropy bottleneck: the code is quantized (plus uniform noise in
  /// training, rounded otherwise) and costs bits under a learned density per channel
  /// (`FactorizedDensity`). Nil for other models.
  public var bottleneck: Bottleneck?

  /// The settings of an entropy bottleneck.
  public struct Bottleneck: Codable, Equatable, Sendable {
    /// Logistics in each channel's mixture.
    public var components: Int
    public init(components: Int = 3) { self.components = components }
  }

  public init(inputShape: [Int], encoder: [LayerSpec], decoder: [LayerSpec], imageShape: [Int]? = nil, latent: Int? = nil,
              bottleneck: Bottleneck? = nil) {
    self.inputShape = inputShape
    self.encoder = encoder
    self.decoder = decoder
    self.imageShape = imageShape
    self.latent = latent
    self.bottleneck = bottleneck
  }

  enum CodingKeys: String, CodingKey {
    case inputShape = "input_shape", encoder, decoder, imageShape = "image_shape", latent, bottleneck
  }

  /// Whether the model is a variational autoencoder.
  public var isVariational: Bool { latent != nil }

  /// For a model of token sequences, the number of distinct tokens: its first layer is an
  /// embedding of that many. Such a model reads ids `[steps]` and gives logits `[steps,
  /// vocabulary]`: at step t, the distribution of token t given tokens 0 ..< t (its input is the
  /// sequence moved one step later, token 0 first; every layer is causal). Nil for other models.
  public var vocabulary: Int? { (encoder.first?.kind as? Embedding.Kind)?.vocabulary }

  /// Whether any layer is dropout (so training steps draw masks).
  public var hasDropout: Bool { (encoder + decoder).contains(where: \.isDropout) }

  /// The activation of the code: the encoder's last layer's (skipping dropout), if it has one.
  public var codeActivation: Activation? {
    guard latent == nil else { return .identity }
    return encoder.last(where: { !$0.isDropout })?.kind.outputActivation
  }

  /// The image shape, or a square one where the input size is a perfect square (784 → 28×28).
  public var displayShape: (height: Int, width: Int)? {
    if let imageShape, imageShape.count >= 2, imageShape.dropFirst(2).allSatisfy({ $0 == 1 }) { return (imageShape[0], imageShape[1]) }
    if inputShape.count >= 2, inputShape.dropFirst(2).allSatisfy({ $0 == 1 }) { return (inputShape[0], inputShape[1]) }
    let side = Int(Double(inputSize).squareRoot().rounded())
    return side * side == inputSize ? (side, side) : nil
  }

  /// The number of scalars in one example.
  public var inputSize: Int { inputShape.reduce(1, *) }

  /// Whether every layer works on images of any size (convolutions, pooling, upsampling,
  /// dropout) and there is no latent head: the same parameters then fit other image sizes.
  public var isFullyConvolutional: Bool {
    inputShape.count == 3 && latent == nil && (encoder + decoder).allSatisfy { $0.takesImages || $0.isDropout }
  }

  /// This fully convolutional architecture for `height`×`width` images, its parameters' shapes
  /// unchanged.
  ///
  /// - Throws: `ArchitectureError` when a layer does not fit the size or the output is not the
  ///   input's shape (a size the strides do not divide).
  public func forImages(height: Int, width: Int) throws -> Architecture {
    precondition(isFullyConvolutional, "\(description) is not fully convolutional")
    var resized = self
    resized.inputShape = [height, width, inputShape[2]]
    resized.imageShape = imageShape.map { $0.count == 2 ? [height, width] : [height, width, inputShape[2]] }
    try resized.validated()
    return resized
  }

  /// The shape of one example's code: the latent size of a variational autoencoder, else the
  /// encoder's output.
  public func codeShape() throws -> [Int] {
    if let latent { return [latent] }
    return try shapes(of: encoder, from: inputShape, in: "encoder").last ?? inputShape
  }

  /// A model's parts: the encoder, a variational model's latent head, and the decoder.
  public typealias Parts = (encoder: Sequential, latent: GaussianLatent?, bottleneck: FactorizedDensity?, decoder: Sequential)

  /// Builds the parts with freshly initialized parameters, after checking that the parameters fit
  /// `budget`.
  public func build(using generator: inout some RandomNumberGenerator, budget: MemoryBudget = .current) throws -> Parts {
    try build(parameters: nil, using: &generator, budget: budget)
  }

  /// Builds the parts holding `parameters`, keyed by the dotted names and of the shapes of
  /// `parameterShapes()`; a missing, extra or misshapen tensor is an error naming it, found
  /// before any layer is built.
  public func build(parameters: [String: Tensor]) throws -> Parts {
    var unused = SplitMix64(seed: 0)
    return try build(parameters: parameters, using: &unused, budget: nil)
  }

  private func build(parameters: [String: Tensor]?, using generator: inout some RandomNumberGenerator, budget: MemoryBudget?) throws -> Parts {
    let codeShape = try validated()
    let expected = try parameterShapes()
    if let parameters {
      let names = Set(expected.map(\.name))
      if let extra = parameters.keys.sorted().first(where: { !names.contains($0) }) {
        throw ArchitectureError.parameters("unexpected tensor \(extra) (the architecture has no such parameter)")
      }
      for (name, shape) in expected {
        guard let tensor = parameters[name] else { throw ArchitectureError.parameters("missing tensor \(name)") }
        guard tensor.shape == shape else {
          throw ArchitectureError.parameters("tensor \(name) has shape \(tensor.shape), the architecture needs \(shape)")
        }
      }
    } else if let budget {
      try budget.check(expected.reduce(0) { $0 + $1.shape.reduce(1, *) } * MemoryLayout<Float>.size, for: "the model's parameters")
    }
    let encoderLayers = try Self.layers(encoder, from: inputShape, half: "encoder", parameters: parameters, using: &generator)
    var head: GaussianLatent?
    if let latent {
      let features = try shapes(of: encoder, from: inputShape, in: "encoder").last![0]
      if let parameters {
        func dense(_ part: String) -> Dense {
          Dense(weight: parameters["latent.\(part).weight"]!, bias: parameters["latent.\(part).bias"]!)
        }
        head = GaussianLatent(mean: dense("mean"), logVariance: dense("log_variance"))
      } else {
        head = GaussianLatent(inputSize: features, latentSize: latent, using: &generator)
      }
    }
    let decoderLayers = try Self.layers(decoder, from: codeShape, half: "decoder", parameters: parameters, using: &generator)
    // Built last and with no random draws: a bottleneck leaves every other initial weight as it was.
    var density: FactorizedDensity?
    if let bottleneck {
      if let parameters {
        density = FactorizedDensity(logits: parameters["bottleneck.logits"]!, means: parameters["bottleneck.means"]!,
                                    logScales: parameters["bottleneck.log_scales"]!)
      } else {
        density = FactorizedDensity(channels: codeShape.last!, components: bottleneck.components)
      }
    }
    return (Sequential(encoderLayers), head, density, Sequential(decoderLayers))
  }

  /// Checks every layer's fit and that the decoder's output has the input's shape; returns the
  /// code shape. Every size is checked against `Limits` (each dimension, the values of one
  /// example after each layer, the parameters) before any arithmetic on it can overflow, and the
  /// image shape, where given, must hold the input's values.
  @discardableResult
  public func validated() throws -> [Int] {
    guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else { throw ArchitectureError.badInputShape(inputShape) }
    guard inputShape.count <= 3, inputShape.allSatisfy({ $0 <= Limits.maximumDimension }),
          let values = checkedProduct(inputShape), values <= Limits.maximumValuesPerExample
    else { throw ArchitectureError.tooLarge("input shape \(inputShape)") }
    if let imageShape {
      guard (2...3).contains(imageShape.count), imageShape.allSatisfy({ $0 > 0 && $0 <= Limits.maximumDimension }),
            checkedProduct(imageShape) == values
      else { throw ArchitectureError.imageShape(imageShape, inputShape: inputShape) }
    }
    guard !encoder.isEmpty else { throw ArchitectureError.emptyHalf("encoder") }
    guard !decoder.isEmpty else { throw ArchitectureError.emptyHalf("decoder") }
    let features = try shapes(of: encoder, from: inputShape, in: "encoder")
    var codes = features
    if let latent {
      guard (1...Limits.maximumDimension).contains(latent) else {
        throw ArchitectureError.latent("the latent size \(latent) must lie in 1...\(groupedDigits(Limits.maximumDimension))")
      }
      guard features.last!.count == 1 else {
        throw ArchitectureError.latent("the latent head takes flat features, but the encoder outputs \(features.last!); "
          + "end the encoder with a dense layer or flatten")
      }
      codes.append([latent])
    }
    if let bottleneck {
      guard latent == nil else { throw ArchitectureError.latent("a model has a latent head or an entropy bottleneck, not both") }
      guard (1...16).contains(bottleneck.components) else {
        throw ArchitectureError.latent("the bottleneck's mixtures have \(bottleneck.components) components; give 1 to 16")
      }
    }
    if let vocabulary { try validateTokenModel(vocabulary: vocabulary) }
    let outputs = try shapes(of: decoder, from: codes.last!, in: "decoder")
    let expectedOutput = vocabulary.map { inputShape + [$0] } ?? inputShape
    guard outputs.last! == expectedOutput else {
      if let vocabulary {
        throw ArchitectureError.tokens("the decoder outputs shape \(outputs.last!), but a token model's output is each step's logits over its "
          + "\(vocabulary) tokens, \(expectedOutput); end the decoder with dense \(vocabulary)")
      }
      let sizes = ([inputShape] + codes + outputs).map { $0.map(String.init).joined(separator: "×") }
      let names = ["input"] + encoder.indices.map { "encoder.\($0)" } + (latent == nil ? [] : ["latent"]) + decoder.indices.map { "decoder.\($0)" }
      let trace = zip(names, sizes).map { "\($0) \($1)" }.joined(separator: ", ")
      throw ArchitectureError.outputMismatch(output: outputs.last!, input: inputShape, trace: trace)
    }
    let total = try parameterShapes().reduce(0) { $0 + $1.shape.reduce(1, *) }  // each layer's is within the limit
    guard total <= Limits.maximumParameters else { throw ArchitectureError.tooManyParameters(total) }
    return codes.last!
  }

  /// Checks a token model: ids `[steps]` in, no latent head or bottleneck, one embedding (its
  /// first layer), every layer causal.
  private func validateTokenModel(vocabulary: Int) throws {
    guard inputShape.count == 1 else { throw ArchitectureError.tokens("a token model reads sequences of ids [steps], not \(inputShape)") }
    guard latent == nil, bottleneck == nil else { throw ArchitectureError.tokens("a token model has no latent head or bottleneck") }
    for (half, specs) in [("encoder", encoder), ("decoder", decoder)] {
      for (index, spec) in specs.enumerated() {
        if spec.kind is Embedding.Kind, half != "encoder" || index != 0 {
          throw ArchitectureError.tokens("layer \(half).\(index) \(spec): an embedding must be the model's first layer")
        }
        guard spec.kind.isCausal else {
          throw ArchitectureError.tokens("layer \(half).\(index) \(spec) would let a step see later tokens; a token model predicts each "
            + "token from the ones before it, so its layers are an embedding, then lstm or gru with sequences, dense and dropout")
        }
      }
    }
  }

  /// The output shape of each layer in turn, each checked against the limit on one example's values.
  private func shapes(of specs: [LayerSpec], from shape: [Int], in half: String) throws -> [[Int]] {
    var current = shape
    var result: [[Int]] = []
    for (index, spec) in specs.enumerated() {
      let input = current
      do {
        current = try spec.outputShape(for: input)
        guard let values = checkedProduct(current), values <= Limits.maximumValuesPerExample else {
          throw LayerMisfit("its output \(current) exceeds the limit of "
            + "\(groupedDigits(Limits.maximumValuesPerExample)) values per example")
        }
      } catch let reason as LayerMisfit {
        throw ArchitectureError.layerDoesNotFit(layer: "\(half).\(index) \(spec)", input: input, reason: reason.description)
      }
      result.append(current)
    }
    return result
  }

  /// The name and shape of every parameter (`encoder.0.weight` `[784, 64]`, ...), in the model's
  /// order, computed from the layer specs alone; each layer's count is checked against the limit.
  public func parameterShapes() throws -> [(name: String, shape: [Int])] {
    var current = inputShape
    var result: [(name: String, shape: [Int])] = []
    for (half, specs) in [("encoder", encoder), ("decoder", decoder)] {
      if half == "decoder", let latent {
        let features = current.reduce(1, *)
        guard let weights = checkedProduct([features, latent]), weights <= Limits.maximumParameters / 2 else {
          throw ArchitectureError.latent("the latent head's weights, [\(features), \(latent)] twice, exceed the parameter limit")
        }
        for part in ["mean", "log_variance"] { result += [("latent.\(part).weight", [features, latent]), ("latent.\(part).bias", [latent])] }
        current = [latent]
      }
      if half == "decoder", let bottleneck {
        for part in ["logits", "means", "log_scales"] { result.append(("bottleneck.\(part)", [current.last!, bottleneck.components])) }
      }
      for (index, spec) in specs.enumerated() {
        do {
          _ = try spec.parameterCount(inputShape: current)
        } catch let reason as LayerMisfit {
          throw ArchitectureError.layerDoesNotFit(layer: "\(half).\(index) \(spec)", input: current, reason: reason.description)
        }
        result += spec.parameterShapes(inputShape: current).map { ("\(half).\(index).\($0.name)", $0.shape) }
        current = try spec.outputShape(for: current)
      }
    }
    return result
  }

  /// An estimate of the memory one training step takes with batches of `batchSize`: the
  /// parameters with one gradient per thread and `optimizerSlots` tensors of optimizer state each,
  /// and every layer's output with its gradient for each example of the batch.
  public func trainingMemory(batchSize: Int, threads: Int, optimizerSlots: Int) throws -> Int {
    let parameters = try parameterShapes().reduce(0) { $0 + $1.shape.reduce(1, *) }
    let activations = try activationValuesPerExample()
    let floats = (checkedProduct([parameters, 2 + threads + optimizerSlots]) ?? Int.max)
      .addingReportingOverflow(checkedProduct([activations, 2, batchSize]) ?? Int.max)
    return floats.overflow || floats.partialValue > Int.max / 4 ? Int.max : floats.partialValue * MemoryLayout<Float>.size
  }

  /// Throws `MemoryBudget.Exceeded` when training with batches of `batchSize` would need more
  /// than `budget` (`trainingMemory(batchSize:threads:optimizerSlots:)`).
  public func checkTrainingMemory(batchSize: Int, threads: Int, optimizerSlots: Int, budget: MemoryBudget = .current) throws {
    try budget.check(try trainingMemory(batchSize: batchSize, threads: threads, optimizerSlots: optimizerSlots),
                     for: "training \(description) with batches of \(groupedDigits(batchSize))")
  }

  /// The batch size to run the model with for inference: `requested`, made smaller where the
  /// outputs of every layer for that many examples would not fit `budget`.
  ///
  /// - Throws: `MemoryBudget.Exceeded` when even one example does not fit.
  public func inferenceBatchSize(_ requested: Int, budget: MemoryBudget = .current) throws -> Int {
    let perExample = try activationValuesPerExample() * MemoryLayout<Float>.size
    try budget.check(perExample, for: "running \(description) on one example")
    return max(1, min(requested, budget.bytes / max(perExample, 1)))
  }

  /// The values of one example at the input and after every layer.
  public func activationValuesPerExample() throws -> Int {
    let codes = try shapes(of: encoder, from: inputShape, in: "encoder")
    let outputs = try shapes(of: decoder, from: try codeShape(), in: "decoder")
    // A latent head's mean, log-variance, noise and sample.
    return ([inputShape] + codes + outputs).reduce(0) { $0 + $1.reduce(1, *) } + 4 * (latent ?? 0)  // each within the limit
  }

  private static func layers(_ specs: [LayerSpec], from shape: [Int], half: String, parameters: [String: Tensor]?,
                             using generator: inout some RandomNumberGenerator) throws -> [any Layer] {
    var current = shape
    var built: [any Layer] = []
    for (index, spec) in specs.enumerated() {
      let prefix = "\(half).\(index)."
      let own = parameters.map { all in
        Dictionary(uniqueKeysWithValues: all.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
      }
      let salt = UInt64(half == "encoder" ? index : 0x10000 + index)
      built.append(try spec.makeLayer(inputShape: current, parameters: own, salt: salt, using: &generator))
      current = try spec.outputShape(for: current)
    }
    return built
  }

  /// Floating-point operations of the matrix products in one training step, per example:
  /// each dense or convolution layer's forward product, its weight gradient, and (except the
  /// first such layer, whose input needs no gradient) its input gradient, 2 per multiply-add.
  /// Pooling, upsampling and element-wise work are not counted.
  public func trainingFLOPsPerExample() throws -> Int {
    var current = inputShape
    var total = 0
    var first = true
    func count(_ products: Int) {
      if products > 0 {
        total += 2 * products * (first ? 2 : 3)
        first = false
      }
    }
    for spec in encoder {
      count(spec.multiplyAddsPerExample(inputShape: current))
      current = try spec.outputShape(for: current)
    }
    if let latent {
      count(2 * current.reduce(1, *) * latent)  // the mean and log-variance layers
      current = [latent]
    }
    for spec in decoder {
      count(spec.multiplyAddsPerExample(inputShape: current))
      current = try spec.outputShape(for: current)
    }
    return total
  }

  /// One line per layer, as in Keras's `model.summary()`: name, layer, output shape, parameters.
  public func summary() throws -> [(name: String, layer: String, outputShape: [Int], parameters: Int)] {
    var rows: [(name: String, layer: String, outputShape: [Int], parameters: Int)] = []
    var current = inputShape
    for (half, specs) in [("encoder", encoder), ("decoder", decoder)] {
      if half == "decoder", let latent {
        rows.append(("latent", "GaussianLatent(\(latent): mean and log-variance)", [latent], 2 * (current.reduce(1, *) * latent + latent)))
        current = [latent]
      }
      if half == "decoder", let bottleneck {
        rows.append(("bottleneck", "FactorizedDensity(\(bottleneck.components) logistics per channel)", current, 3 * current.last! * bottleneck.components))
      }
      for (index, spec) in specs.enumerated() {
        let parameters = try spec.parameterCount(inputShape: current)
        current = try spec.outputShape(for: current)
        rows.append(("\(half).\(index)", spec.description, current, parameters))
      }
    }
    return rows
  }

  /// `784 → 64 relu → 784 sigmoid`.
  public var description: String {
    ([inputShape.map(String.init).joined(separator: "x")] + encoder.map(\.shortDescription) + (latent.map { ["latent \($0)"] } ?? [])
      + (bottleneck == nil ? [] : ["bottleneck"])
      + decoder.map(\.shortDescription)).joined(separator: " → ")
  }
}

/// Why an architecture cannot be built.
public enum ArchitectureError: Error, Equatable, CustomStringConvertible {
  case badInputShape([Int])
  case emptyHalf(String)
  case layerDoesNotFit(layer: String, input: [Int], reason: String)
  case outputMismatch(output: [Int], input: [Int], trace: String)
  case notImages(model: String, exampleShape: [Int])
  case notSequences(model: String, exampleShape: [Int])
  case tooLarge(String)
  case tooManyParameters(Int)
  case imageShape([Int], inputShape: [Int])
  case parameters(String)
  case latent(String)
  case tokens(String)

  public var description: String {
    switch self {
    case .badInputShape(let shape): "input shape \(shape) must have positive dimensions"
    case .emptyHalf(let half): "the \(half) has no layers"
    case .layerDoesNotFit(let layer, let input, let reason): "layer \(layer) does not fit input shape \(input): \(reason)"
    case .outputMismatch(let output, let input, let trace):
      "the decoder outputs shape \(output), but the input shape is \(input); a reconstruction must match its input (shapes: \(trace))"
    case .notImages(let model, let shape): "\(model) takes images ([height, width] or [height, width, channels]), but the examples have shape \(shape)"
    case .notSequences(let model, let shape):
      "\(model) takes sequences ([length] or [length, channels]), but the examples have shape \(shape)"
    case .tooLarge(let what):
      "\(what) is too large: at most 3 dimensions of up to \(groupedDigits(Limits.maximumDimension)) each and "
        + "\(groupedDigits(Limits.maximumValuesPerExample)) values per example"
    case .tooManyParameters(let count):
      "the model has \(groupedDigits(count)) parameters, more than the limit of \(groupedDigits(Limits.maximumParameters))"
    case .imageShape(let image, let input):
      "image shape \(image) does not hold the input's \(checkedProduct(input).map(groupedDigits) ?? "?") values (input shape \(input))"
    case .parameters(let problem), .latent(let problem), .tokens(let problem): problem
    }
  }
}
