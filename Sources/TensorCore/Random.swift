import CKernels

/// SplitMix64 (Steele, Lea and Flood, 2014): a small, fast, seedable generator. Every random choice
/// in AutoencoderKit (initial weights, shuffling, noise) takes a generator as a parameter, so one
/// seed reproduces a whole run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  /// The generator's whole state: `SplitMix64(seed: state)` continues where this one is (so a
  /// checkpoint can save a run's generator and a resumed run draw the same numbers).
  public private(set) var state: UInt64

  /// Creates a generator whose sequence is fixed by `seed`.
  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension SplitMix64 {
  /// The generator of stream `stream` under `seed`: one example's own stream of a batch, so what
  /// an example draws (its noise, its latent sample) does not depend on how the batch is split
  /// across threads.
  public init(seed: UInt64, stream: Int) {
    var mixer = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: stream) &* 0xD1B5_4A32_D192_ED03))
    self.init(seed: mixer.next())
  }
}

extension RandomNumberGenerator {
  /// A uniform `Float` in `[0, 1)` with 24 random bits.
  @inlinable
  public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }
}

extension Tensor {
  /// Elements drawn uniformly from `range`.
  public static func randomUniform(shape: [Int], in range: Range<Float>,
                                   using generator: inout some RandomNumberGenerator) -> Tensor {
    let low = range.lowerBound, width = range.upperBound - range.lowerBound
    return Tensor(shape: shape) { out in
      for i in out.indices { out[i] = low + width * generator.nextUnitFloat() }
    }
  }

  /// Elements drawn from a normal distribution (Box-Muller, vectorized).
  public static func randomNormal(shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                  using generator: inout some RandomNumberGenerator) -> Tensor {
    let count = shape.reduce(1, *)
    let half = (count + 1) / 2
    let uniforms = Tensor(shape: [2 * half]) { u in
      for i in u.indices { u[i] = generator.nextUnitFloat() }
    }
    let normals = Tensor(shape: [2 * half]) { out in
      uniforms.withUnsafeBufferPointer { aek_normal_from_uniform(half, $0.baseAddress, mean, standardDeviation, out.baseAddress) }
    }
    if normals.count == count { return normals.reshaped(to: shape) }
    return Tensor(shape: shape) { out in normals.withUnsafeBufferPointer { out.baseAddress!.initialize(from: $0.baseAddress!, count: count) } }
  }
}

extension Tensor {
  /// `rows` × `columns` standard normal draws, row `r` from stream `firstRow + r` of `seed`
  /// (`SplitMix64(seed:stream:)`), so a row's draws are the same whatever rows it is computed with.
  public static func randomNormal(rows: Int, columns: Int, seed: UInt64, firstRow: Int) -> Tensor {
    let half = (columns + 1) / 2
    var uniforms = [Float](repeating: 0, count: 2 * half)
    return Tensor(shape: [rows, columns]) { out in
      var normals = [Float](repeating: 0, count: 2 * half)
      for row in 0..<rows {
        var generator = SplitMix64(seed: seed, stream: firstRow + row)
        for i in uniforms.indices { uniforms[i] = generator.nextUnitFloat() }
        uniforms.withUnsafeBufferPointer { u in
          normals.withUnsafeMutableBufferPointer { aek_normal_from_uniform(half, u.baseAddress, 0, 1, $0.baseAddress) }
        }
        (out.baseAddress! + row * columns).update(from: normals, count: columns)
      }
    }
  }
}

extension Tensor {
  /// `rows` × `columns` draws from the uniform distribution on [−½, ½), row `r` from stream
  /// `firstRow + r` of `seed`, as `randomNormal(rows:columns:seed:firstRow:)` (a codec's training
  /// noise, standing in for rounding).
  public static func randomUniform(rows: Int, columns: Int, seed: UInt64, firstRow: Int) -> Tensor {
    Tensor(shape: [rows, columns]) { out in
      for row in 0..<rows {
        var generator = SplitMix64(seed: seed, stream: firstRow + row)
        for column in 0..<columns { out[row * columns + column] = generator.nextUnitFloat() - 0.5 }
      }
    }
  }
}
