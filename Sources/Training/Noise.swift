import CKernels
import TensorCore

/// Corruption for training denoising autoencoders: applied to each batch's inputs on the fly,
/// while the targets stay clean (Keras's `fit(x_noisy, x)`), and clipped to [0, 1].
///
/// Every example's noise comes from its own stream, seeded from the batch's seed and the
/// example's place in the batch, so the same seed gives the same noise whatever the thread count.
public enum Noise: Equatable, Sendable {
  /// Adds normal noise of this standard deviation (the Keras blog's `noise_factor`, 0.5).
  case gaussian(standardDeviation: Float)
  /// Sets this fraction of the pixels to 0 or 1, half each.
  case saltAndPepper(fraction: Float)
  /// Sets this fraction of the pixels to 0 (masking noise, Vincent et al., 2008).
  case masking(fraction: Float)

  /// The spellings `init(_:)` parses.
  public static let names = ["gaussian[:STD]", "salt-and-pepper[:FRACTION]", "masking[:FRACTION]"]

  /// `inputs` corrupted: a new tensor of the same shape, clipped to [0, 1]. Example `i` (along the
  /// first dimension) draws from a stream seeded by `seed` and `firstExample + i`.
  public func corrupt(_ inputs: Tensor, seed: UInt64, firstExample: Int = 0) -> Tensor {
    let rows = inputs.shape.first ?? 0
    guard rows > 0 else { return inputs }
    let size = inputs.count / rows
    return Tensor(shape: inputs.shape) { out in
      inputs.withUnsafeBufferPointer { clean in
        // Whole rows per chunk: a chunk of elements covers rows [lower/size, upper/size).
        Parallel.forEachChunk(rows * size) { chunk in
          let first = (chunk.lowerBound + size - 1) / size, last = (chunk.upperBound + size - 1) / size
          guard first < last else { return }
          var uniforms = [Float](repeating: 0, count: size + 1), normals = [Float](repeating: 0, count: size + 1)
          for row in first..<last {
            var generator = SplitMix64(seed: seed, stream: firstExample + row)
            let x = clean.baseAddress! + row * size, y = out.baseAddress! + row * size
            switch self {
            case .gaussian(let deviation):
              for i in uniforms.indices { uniforms[i] = generator.nextUnitFloat() }
              let half = (size + 1) / 2
              uniforms.withUnsafeBufferPointer { u in
                normals.withUnsafeMutableBufferPointer { aek_normal_from_uniform(half, u.baseAddress, 0, deviation, $0.baseAddress) }
              }
              for i in 0..<size { y[i] = min(max(x[i] + normals[i], 0), 1) }
            case .saltAndPepper(let fraction):
              for i in 0..<size {
                let u = generator.nextUnitFloat()
                y[i] = u < fraction / 2 ? 0 : u < fraction ? 1 : min(max(x[i], 0), 1)
              }
            case .masking(let fraction):
              for i in 0..<size { y[i] = generator.nextUnitFloat() < fraction ? 0 : min(max(x[i], 0), 1) }
            }
          }
        }
      }
    }
  }
}

extension Noise: LosslessStringConvertible, Codable {
  /// Parses `gaussian:0.5`, `salt-and-pepper:0.1`, `masking:0.25`; without a value, those defaults.
  public init?(_ text: String) {
    let parts = text.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
    guard let kind = parts.first else { return nil }
    let value: Float?
    if parts.count == 2 {
      guard let parsed = Float(parts[1]), parsed.isFinite, parsed > 0 else { return nil }
      value = parsed
    } else {
      value = nil
    }
    switch kind {
    case "gaussian", "normal":
      self = .gaussian(standardDeviation: value ?? 0.5)
    case "salt-and-pepper", "salt_and_pepper", "saltandpepper", "sp":
      guard value ?? 0 <= 1 else { return nil }
      self = .saltAndPepper(fraction: value ?? 0.1)
    case "masking", "mask", "dropout":
      guard value ?? 0 <= 1 else { return nil }
      self = .masking(fraction: value ?? 0.25)
    default:
      return nil
    }
  }

  /// `gaussian:0.5`: what `init(_:)` parses back.
  public var description: String {
    switch self {
    case .gaussian(let deviation): "gaussian:\(deviation)"
    case .saltAndPepper(let fraction): "salt-and-pepper:\(fraction)"
    case .masking(let fraction): "masking:\(fraction)"
    }
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let noise = Noise(text) else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown noise \"\(text)\""))
    }
    self = noise
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
