import FileIO
import Autodiff
import TensorCore

/// One layer of an `Architecture`: its kind and settings, without parameters.
///
/// Image layers take one example as `[height, width, channels]` (NHWC batches); `Dense` takes
/// `[features]`. Stored in model files as JSON objects with a `"type"` key, as Keras's layer
/// configs: `{"type": "conv2d", "filters": 16, "kernel_size": 3, "strides": 1, "padding": "same",
/// "activation": "relu", "use_bias": true}`.
public enum LayerSpec: Equatable, Sendable {
  /// `Dense(units, activation)` on flat input of shape `[features]`.
  case dense(units: Int, activation: Activation, useBias: Bool = true)
  /// `Conv2D(filters, kernelSize×kernelSize, stride, padding, activation)`.
  case conv2D(filters: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .same, activation: Activation, useBias: Bool = true)
  /// `Conv2DTranspose(filters, kernelSize×kernelSize, stride, padding, activation)`: upsamples by its stride.
  case conv2DTranspose(filters: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .same, activation: Activation,
                       useBias: Bool = true)
  /// `MaxPooling2D(size×size)`, moved by `stride` (nil: the size, as Keras).
  case maxPool2D(size: Int, stride: Int? = nil, padding: Padding = .valid)
  /// `UpSampling2D(size×size)`, nearest neighbour.
  case upSampling2D(size: Int)
  /// Flattens each example to `[values]`.
  case flatten
  /// Gives each example the shape `[Int]`.
  case reshape([Int])
  /// `Dropout(rate)`: in training, zeroes each value with probability `rate` (and scales the rest
  /// by `1 / (1 - rate)`); at inference, passes its input through. Any shape.
  case dropout(rate: Float)

  /// Why a layer cannot take a shape.
  struct Misfit: Error, CustomStringConvertible {
    let description: String
  }

  /// The shape this layer outputs for one example of `input` shape (whose sizes are within
  /// `Limits`). Every size the layer holds is checked against `Limits.maximumDimension` first.
  func outputShape(for input: [Int]) throws -> [Int] {
    if let size = sizes.first(where: { $0.value > Limits.maximumDimension }) {
      throw Misfit(description: "\(size.name) \(size.value) exceeds the limit of \(groupedDigits(Limits.maximumDimension))")
    }
    switch self {
    case .dense(let units, _, _):
      guard units > 0 else { throw Misfit(description: "units must be positive, got \(units)") }
      guard input.count == 1 else {
        throw Misfit(description: "Dense needs flat input of shape [features]; flatten it first")
      }
      return [units]
    case .conv2D(let filters, _, _, _, _, _):
      guard filters > 0 else { throw Misfit(description: "filters must be positive, got \(filters)") }
      let g = try geometry(for: input)
      return [g.outputHeight, g.outputWidth, filters]
    case .conv2DTranspose(let filters, _, _, _, _, _):
      guard filters > 0 else { throw Misfit(description: "filters must be positive, got \(filters)") }
      let g = try geometry(for: input)  // the convolution it transposes: its image is the output
      return [g.height, g.width, filters]
    case .maxPool2D:
      let g = try geometry(for: input)
      return [g.outputHeight, g.outputWidth, g.channels]
    case .upSampling2D(let size):
      guard size > 0 else { throw Misfit(description: "the upsampling size must be positive, got \(size)") }
      let (height, width, channels) = try Self.image(input, "UpSampling2D")
      return [height * size, width * size, channels]
    case .flatten:
      return [input.reduce(1, *)]
    case .reshape(let shape):
      guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else { throw Misfit(description: "the target shape \(shape) must have positive sizes") }
      guard checkedProduct(shape) == input.reduce(1, *) else {
        throw Misfit(description: "\(input.reduce(1, *)) values cannot take the shape \(shape) "
          + "(\(checkedProduct(shape).map(groupedDigits) ?? "too many") values)")
      }
      return shape
    case .dropout(let rate):
      guard rate >= 0 && rate < 1 else { throw Misfit(description: "the dropout rate \(rate) must lie in [0, 1)") }
      return input
    }
  }

  /// The sizes this layer holds, by name, for checks against `Limits`.
  private var sizes: [(name: String, value: Int)] {
    switch self {
    case .dense(let units, _, _): [("units", units)]
    case .conv2D(let filters, let k, let s, _, _, _), .conv2DTranspose(let filters, let k, let s, _, _, _):
      [("filters", filters), ("kernel size", k), ("stride", s)]
    case .maxPool2D(let size, let stride, _): [("pool size", size), ("stride", stride ?? size)]
    case .upSampling2D(let size): [("upsampling size", size)]
    case .flatten, .dropout: []
    case .reshape(let shape): shape.map { ("target size", $0) }
    }
  }

  /// The window geometry of a convolution or pooling layer over one `input` image.
  func geometry(for input: [Int]) throws -> WindowGeometry {
    do {
      switch self {
      case .conv2D(_, let k, let s, let padding, _, _):
        let (h, w, c) = try Self.image(input, "Conv2D")
        return try WindowGeometry(height: h, width: w, channels: c, kernel: (k, k), stride: (s, s), padding: padding)
      case .conv2DTranspose(let filters, let k, let s, let padding, _, _):
        let (h, w, _) = try Self.image(input, "Conv2DTranspose")
        return try WindowGeometry.transposed(height: h, width: w, channels: filters, kernel: (k, k), stride: (s, s), padding: padding)
      case .maxPool2D(let size, let stride, let padding):
        let (h, w, c) = try Self.image(input, "MaxPool2D")
        let s = stride ?? size
        let g = try WindowGeometry(height: h, width: w, channels: c, kernel: (size, size), stride: (s, s), padding: padding)
        if padding == .valid, (h - size) % s != 0 || (w - size) % s != 0 {
          let same = try WindowGeometry(height: h, width: w, channels: c, kernel: (size, size), stride: (s, s), padding: .same)
          throw Misfit(description: "pooling \(size)×\(size) with stride \(s) does not divide \(h)×\(w): without padding it would drop "
            + "the last rows or columns (giving \(g.outputHeight)×\(g.outputWidth)); pad with 'same' (giving \(same.outputHeight)×\(same.outputWidth)) "
            + "or change the input size")
        }
        return g
      default:
        preconditionFailure("\(self) has no window geometry")
      }
    } catch let error as GeometryError {
      throw Misfit(description: error.description)
    }
  }

  /// `input` as an image, or a misfit naming the layer.
  private static func image(_ input: [Int], _ layer: String) throws -> (height: Int, width: Int, channels: Int) {
    guard input.count == 3 else {
      throw Misfit(description: "\(layer) needs images of shape [height, width, channels]"
        + (input.count == 1 ? "; reshape the flat input first (e.g. reshape 28x28x1)" : ""))
    }
    return (input[0], input[1], input[2])
  }

  /// The names and shapes of the layer's parameters for `input` shape (which it fits), in the
  /// order of `namedParameters`: `weight` (Dense `[inputs, units]`, Conv2D `[k, k, channels,
  /// filters]`, Conv2DTranspose `[k, k, filters, channels]`, Keras's layouts), then `bias`.
  func parameterShapes(inputShape input: [Int]) -> [(name: String, shape: [Int])] {
    let weight: [Int], bias: [Int]?
    switch self {
    case .dense(let units, _, let useBias):
      (weight, bias) = ([input.reduce(1, *), units], useBias ? [units] : nil)
    case .conv2D(let filters, let k, _, _, _, let useBias):
      (weight, bias) = ([k, k, input.last ?? 0, filters], useBias ? [filters] : nil)
    case .conv2DTranspose(let filters, let k, _, _, _, let useBias):
      (weight, bias) = ([k, k, filters, input.last ?? 0], useBias ? [filters] : nil)
    case .maxPool2D, .upSampling2D, .flatten, .reshape, .dropout:
      return []
    }
    return [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  /// The number of trainable scalars for `input` shape, or a misfit when it exceeds
  /// `Limits.maximumParameters`.
  func parameterCount(inputShape input: [Int]) throws -> Int {
    let counts = parameterShapes(inputShape: input).map { checkedProduct($0.shape) }
    guard let total = checkedSum(counts.map { $0 ?? Int.max }), !counts.contains(nil), total <= Limits.maximumParameters else {
      let shapes = parameterShapes(inputShape: input).map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
      throw Misfit(description: "its parameters (\(shapes)) exceed the limit of \(groupedDigits(Limits.maximumParameters))")
    }
    return total
  }

  /// Multiply-adds of the layer's forward matrix products for one example (0 for layers without).
  /// A transposed convolution's are counted over its input cells, each spreading a whole window.
  /// Saturates at `Int.max` (a layer within `Limits` stays far below).
  func multiplyAddsPerExample(inputShape input: [Int]) -> Int {
    let factors: [Int]
    switch self {
    case .dense(let units, _, _): factors = input + [units]
    case .conv2D(let filters, let k, _, _, _, _): factors = [(try? geometry(for: input))?.positions ?? 0, k, k, input.last ?? 0, filters]
    case .conv2DTranspose(let filters, let k, _, _, _, _): factors = input + [k, k, filters]
    case .maxPool2D, .upSampling2D, .flatten, .reshape, .dropout: factors = [0]
    }
    return checkedProduct(factors) ?? Int.max
  }

  /// A new layer for `inputShape` (already validated), with Keras's initialization.
  func makeLayer(inputShape: [Int], using generator: inout some RandomNumberGenerator) throws -> any Layer {
    try makeLayer(inputShape: inputShape, parameters: nil, salt: 0, using: &generator)
  }

  /// A layer for `inputShape` (already validated) holding `parameters` (by the names and shapes
  /// of `parameterShapes(inputShape:)`, already checked), or freshly initialized ones when nil.
  /// `salt` tells apart the random draws of layers that draw in training (dropout): its place.
  func makeLayer(inputShape: [Int], parameters: [String: Tensor]?, salt: UInt64, using generator: inout some RandomNumberGenerator) throws
    -> any Layer
  {
    switch self {
    case .dense(let units, let activation, let useBias):
      if let parameters { return Dense(weight: parameters["weight"]!, bias: parameters["bias"], activation: activation) }
      return Dense(inputSize: inputShape[0], outputSize: units, activation: activation, useBias: useBias, using: &generator)
    case .conv2D(let filters, _, _, _, let activation, let useBias):
      let geometry = try geometry(for: inputShape)
      if let parameters { return Conv2D(weight: parameters["weight"]!, bias: parameters["bias"], activation: activation, geometry: geometry) }
      return Conv2D(filters: filters, geometry: geometry, activation: activation, useBias: useBias, using: &generator)
    case .conv2DTranspose(_, _, _, _, let activation, let useBias):
      let geometry = try geometry(for: inputShape)
      if let parameters {
        return Conv2DTranspose(weight: parameters["weight"]!, bias: parameters["bias"], activation: activation, geometry: geometry)
      }
      return Conv2DTranspose(channels: inputShape[2], geometry: geometry, activation: activation, useBias: useBias, using: &generator)
    case .maxPool2D:
      return MaxPool2D(geometry: try geometry(for: inputShape))
    case .upSampling2D(let size):
      return UpSampling2D(factor: (size, size))
    case .flatten, .reshape:
      return Reshape(to: try outputShape(for: inputShape))
    case .dropout(let rate):
      return Dropout(rate: rate, salt: salt)
    }
  }

  /// Whether the layer takes images (`[height, width, channels]`) rather than flat vectors.
  var takesImages: Bool {
    switch self {
    case .conv2D, .conv2DTranspose, .maxPool2D, .upSampling2D: true
    case .dense, .flatten, .reshape, .dropout: false
    }
  }

  /// Whether this is a dropout layer, which takes any shape.
  var isDropout: Bool { if case .dropout = self { true } else { false } }

  /// `64 relu`, `conv 16 3×3 relu`, for one-line architecture descriptions.
  var shortDescription: String {
    switch self {
    case .dense(let units, let activation, _): "\(units) \(activation)"
    case .conv2D(let filters, let k, let s, let padding, let activation, _):
      "conv \(filters) \(k)×\(k)\(s == 1 ? "" : " /\(s)")\(padding == .valid ? " valid" : "") \(activation)"
    case .conv2DTranspose(let filters, let k, let s, let padding, let activation, _):
      "convT \(filters) \(k)×\(k)\(s == 1 ? "" : " ×\(s)")\(padding == .valid ? " valid" : "") \(activation)"
    case .maxPool2D(let size, let stride, let padding):
      "pool \(size)\(stride.map { $0 == size ? "" : " stride \($0)" } ?? "")\(padding == .same ? " same" : "")"
    case .upSampling2D(let size): "up \(size)"
    case .flatten: "flatten"
    case .reshape(let shape): shape.map(String.init).joined(separator: "x")
    case .dropout(let rate): "dropout \(rate)"
    }
  }
}

extension LayerSpec: CustomStringConvertible {
  /// `Dense(64, relu)`, `Conv2D(16, 3×3, same, relu)`.
  public var description: String {
    switch self {
    case .dense(let units, let activation, let useBias): "Dense(\(units), \(activation)\(useBias ? "" : ", no bias"))"
    case .conv2D(let filters, let k, let s, let padding, let activation, let useBias):
      "Conv2D(\(filters), \(k)×\(k)\(s == 1 ? "" : ", stride \(s)"), \(padding), \(activation)\(useBias ? "" : ", no bias"))"
    case .conv2DTranspose(let filters, let k, let s, let padding, let activation, let useBias):
      "Conv2DTranspose(\(filters), \(k)×\(k)\(s == 1 ? "" : ", stride \(s)"), \(padding), \(activation)\(useBias ? "" : ", no bias"))"
    case .maxPool2D(let size, let stride, let padding):
      "MaxPool2D(\(size)×\(size)\(stride.map { $0 == size ? "" : ", stride \($0)" } ?? ""), \(padding))"
    case .upSampling2D(let size): "UpSampling2D(\(size)×\(size))"
    case .flatten: "Flatten"
    case .reshape(let shape): "Reshape(\(shape.map(String.init).joined(separator: "×")))"
    case .dropout(let rate): "Dropout(\(rate))"
    }
  }
}

extension LayerSpec: Codable {
  private enum Keys: String, CodingKey {
    case type, units, activation, useBias = "use_bias", filters, kernelSize = "kernel_size", strides, padding, poolSize = "pool_size"
    case size, targetShape = "target_shape", rate
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: Keys.self)
    let type = try container.decode(String.self, forKey: .type)
    func positive(_ key: Keys) throws -> Int {
      let value = try container.decode(Int.self, forKey: key)
      guard value > 0 else { throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must be positive, got \(value)") }
      return value
    }
    func activation() throws -> Activation { try container.decodeIfPresent(Activation.self, forKey: .activation) ?? .identity }
    func useBias() throws -> Bool { try container.decodeIfPresent(Bool.self, forKey: .useBias) ?? true }
    func stride() throws -> Int { try container.contains(.strides) ? positive(.strides) : 1 }
    func padding(_ fallback: Padding) throws -> Padding { try container.decodeIfPresent(Padding.self, forKey: .padding) ?? fallback }
    switch type {
    case "dense":
      self = .dense(units: try positive(.units), activation: try activation(), useBias: try useBias())
    case "conv2d":
      self = .conv2D(filters: try positive(.filters), kernelSize: try positive(.kernelSize), stride: try stride(), padding: try padding(.valid),
                     activation: try activation(), useBias: try useBias())
    case "conv2d_transpose":
      self = .conv2DTranspose(filters: try positive(.filters), kernelSize: try positive(.kernelSize), stride: try stride(),
                              padding: try padding(.valid), activation: try activation(), useBias: try useBias())
    case "max_pool2d":
      let size = try positive(.poolSize)
      let stride = try container.contains(.strides) ? positive(.strides) : size
      self = .maxPool2D(size: size, stride: stride == size ? nil : stride, padding: try padding(.valid))
    case "up_sampling2d":
      self = .upSampling2D(size: try positive(.size))
    case "flatten":
      self = .flatten
    case "reshape":
      self = .reshape(try container.decode([Int].self, forKey: .targetShape))
    case "dropout":
      let rate = try container.decode(Float.self, forKey: .rate)
      guard rate >= 0 && rate < 1 else {
        throw DecodingError.dataCorruptedError(forKey: .rate, in: container, debugDescription: "must lie in [0, 1), got \(rate)")
      }
      self = .dropout(rate: rate)
    default:
      throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown layer type \"\(type)\" "
        + "(known: dense, conv2d, conv2d_transpose, max_pool2d, up_sampling2d, flatten, reshape, dropout)")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Keys.self)
    switch self {
    case .dense(let units, let activation, let useBias):
      try container.encode("dense", forKey: .type)
      try container.encode(units, forKey: .units)
      try container.encode(activation, forKey: .activation)
      try container.encode(useBias, forKey: .useBias)
    case .conv2D(let filters, let k, let s, let padding, let activation, let useBias),
      .conv2DTranspose(let filters, let k, let s, let padding, let activation, let useBias):
      if case .conv2D = self { try container.encode("conv2d", forKey: .type) } else { try container.encode("conv2d_transpose", forKey: .type) }
      try container.encode(filters, forKey: .filters)
      try container.encode(k, forKey: .kernelSize)
      try container.encode(s, forKey: .strides)
      try container.encode(padding, forKey: .padding)
      try container.encode(activation, forKey: .activation)
      try container.encode(useBias, forKey: .useBias)
    case .maxPool2D(let size, let stride, let padding):
      try container.encode("max_pool2d", forKey: .type)
      try container.encode(size, forKey: .poolSize)
      try container.encode(stride ?? size, forKey: .strides)
      try container.encode(padding, forKey: .padding)
    case .upSampling2D(let size):
      try container.encode("up_sampling2d", forKey: .type)
      try container.encode(size, forKey: .size)
    case .flatten:
      try container.encode("flatten", forKey: .type)
    case .reshape(let shape):
      try container.encode("reshape", forKey: .type)
      try container.encode(shape, forKey: .targetShape)
    case .dropout(let rate):
      try container.encode("dropout", forKey: .type)
      try container.encode(rate, forKey: .rate)
    }
  }
}
