/// Uniform scalar quantization of codes, per channel: a value `z` of channel `c` becomes the
/// integer `round((z - origin[c]) / step[c])`, and comes back as `origin[c] + step[c] · symbol`.
///
/// A code's channel is its position modulo `channels`: a dense code's every value is its own
/// channel; a convolutional code `[h, w, c]` shares each of its `c` channels over positions.
public struct CodeQuantizer: Equatable, Sendable {
  /// How the step is chosen.
  public enum Rule: Equatable, Sendable, CustomStringConvertible {
    /// One step for every channel, origin 0.
    case step(Float)
    /// `2^bits` levels from each channel's least to its greatest value over the codes coded.
    case bits(Int)
    /// Rounded to integers (origin 0, step 1): a rate-trained codec's code.
    case rounded

    public var description: String {
      switch self {
      case .rounded: "rounded (a rate-trained codec)"
      case .step(let step): "step \(step)"
      case .bits(let bits): "\(bits) bits per value"
      }
    }
  }

  public let origins: [Float]
  public let steps: [Float]
  public var channels: Int { steps.count }

  /// - Precondition: as many origins as steps, every step positive and finite.
  public init(origins: [Float], steps: [Float]) {
    precondition(origins.count == steps.count && !steps.isEmpty && steps.allSatisfy { $0 > 0 && $0.isFinite } && origins.allSatisfy(\.isFinite))
    self.origins = origins
    self.steps = steps
  }

  /// The quantizer `rule` gives for `codes` (`count · channels` values, finite).
  public init(_ rule: Rule, codes: [Float], channels: Int) {
    switch rule {
    case .rounded:
      self.init(origins: Array(repeating: 0, count: channels), steps: Array(repeating: 1, count: channels))
    case .step(let step):
      self.init(origins: Array(repeating: 0, count: channels), steps: Array(repeating: step, count: channels))
    case .bits(let bits):
      var low = [Float](repeating: .infinity, count: channels), high = [Float](repeating: -.infinity, count: channels)
      for (index, value) in codes.enumerated() {
        let channel = index % channels
        low[channel] = min(low[channel], value)
        high[channel] = max(high[channel], value)
      }
      let levels = Float((1 << bits) - 1)
      let origins = low.map { $0.isFinite ? $0 : 0 }
      let steps = zip(low, high).map { low, high in
        let step = (high - low) / levels
        return step > 0 && step.isFinite ? step : 1
      }
      self.init(origins: origins, steps: steps)
    }
  }

  /// The symbols of `codes`, clamped to ±(2³¹ − 1).
  ///
  /// - Returns: nil when a code is NaN or infinite, with its index.
  public func symbols(_ codes: [Float]) -> Result<[Int32], NonFiniteCode> {
    var symbols = [Int32](repeating: 0, count: codes.count)
    let limit = Double(Int32.max)
    for index in codes.indices {
      let value = codes[index]
      guard value.isFinite else { return .failure(NonFiniteCode(index: index)) }
      let channel = index % channels
      let scaled = ((Double(value) - Double(origins[channel])) / Double(steps[channel])).rounded(.toNearestOrEven)
      symbols[index] = Int32(max(-limit, min(limit, scaled)))
    }
    return .success(symbols)
  }

  /// The code values of `symbols`.
  public func values(_ symbols: [Int32]) -> [Float] {
    symbols.indices.map { index in
      let channel = index % channels
      return Float(Double(origins[channel]) + Double(steps[channel]) * Double(symbols[index]))
    }
  }
}

/// A code value that is NaN or infinite, at `index` of the codes.
public struct NonFiniteCode: Error, Equatable { public let index: Int }
