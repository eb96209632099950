import Foundation

/// A discrete distribution over the integers, quantized for an entropy coder: a frequency for
/// each value of `lowest ..< lowest + count` and one for an escape, summing to `total` (2¹⁶),
/// made from occurrence counts by integer arithmetic alone.
///
/// Every frequency is at least 1, so every integer can be coded: values in the range by their
/// own frequency, any other value as the escape symbol followed by its 32 bits. A value `v`
/// costs `-log₂(frequency(v) / total)` bits (plus 32 for an escape).
///
/// Tables hold integers only: an encoder and a decoder that read the same table agree on every
/// symbol, whatever float rounding produced the table.
public struct SymbolTable: Equatable, Sendable {
  /// Frequencies sum to `1 << precisionBits`.
  public static let precisionBits = 16
  public static let total = UInt32(1) << UInt32(precisionBits)
  /// The most values a table spans (the escape takes one more slot).
  public static let maximumCount = 4096

  /// The first value with its own frequency.
  public let lowest: Int32
  /// The occurrences the table was made from, the escapes' last.
  public let counts: [Int]
  /// The frequencies of `lowest, lowest + 1, …`, then the escape's.
  public let frequencies: [UInt32]
  /// `cumulative[i]` is the sum of `frequencies[..<i]`; one entry more than `frequencies`.
  let cumulative: [UInt32]

  /// The number of values with their own frequency.
  public var count: Int { frequencies.count - 1 }
  /// The escape symbol's index in `frequencies`.
  var escape: Int { frequencies.count - 1 }

  /// The table of `counts`: `counts[i]` occurrences of `lowest + i`, the last count the
  /// escapes'. Each frequency is 1 plus its share of the rest (`normalized`), so the same counts
  /// give the same table everywhere.
  ///
  /// - Throws: `EntropyCodingError.table` when there are no values or more than
  ///   `maximumCount`, a count is negative or they sum past `maximumTotalCount`, or the values
  ///   pass the 32-bit range.
  public init(lowest: Int32, counts: [Int]) throws(EntropyCodingError) {
    guard (2...(Self.maximumCount + 1)).contains(counts.count) else {
      throw .table("\(counts.count - 1) values; a table spans 1 to \(Self.maximumCount)")
    }
    guard Int64(lowest) + Int64(counts.count - 2) <= Int64(Int32.max) else { throw .table("values beyond the 32-bit range") }
    var sum = 0
    for count in counts {
      guard count >= 0, count <= Self.maximumTotalCount - sum else { throw .table("counts that are negative or sum past \(Self.maximumTotalCount)") }
      sum += count
    }
    self.lowest = lowest
    self.counts = counts
    frequencies = Self.normalized(counts)
    var running: UInt32 = 0
    cumulative = [0] + frequencies.map { running += $0; return running }
  }

  /// The most occurrences a table counts in all (so scaling them cannot overflow).
  public static let maximumTotalCount = 1 << 40

  /// The counts that fit `values`: over the range they span (the `maximumCount` values around
  /// their median where they span more; the rest count as escapes), the escapes' last.
  public static func counts(fitting values: [Int32]) -> (lowest: Int32, counts: [Int]) {
    guard var low = values.min(), var high = values.max() else { return (0, [0, 0]) }
    if Int64(high) - Int64(low) >= Int64(Self.maximumCount) {
      var sorted = values
      sorted.sort()
      let median = Int64(sorted[sorted.count / 2])
      let start = max(Int64(Int32.min), min(median - Int64(Self.maximumCount / 2), Int64(Int32.max) - Int64(Self.maximumCount) + 1))
      low = Int32(start)
      high = Int32(start + Int64(Self.maximumCount) - 1)
    }
    var counts = [Int](repeating: 0, count: Int(Int64(high) - Int64(low)) + 2)
    for value in values {
      if value < low || value > high { counts[counts.count - 1] += 1 } else { counts[Int(Int64(value) - Int64(low))] += 1 }
    }
    return (low, counts)
  }

  /// The table that codes `values` in about their empirical entropy (`counts(fitting:)`).
  public init(fitting values: [Int32]) {
    let (lowest, counts) = Self.counts(fitting: values)
    try! self.init(lowest: lowest, counts: counts)
  }

  /// `counts` scaled to sum to `total`, each at least 1: proportional shares rounded down, then
  /// the remainder given to, or taken from, the largest frequencies one at a time (integers
  /// only, so the same counts give the same table everywhere).
  static func normalized(_ counts: [Int]) -> [UInt32] {
    precondition(counts.count >= 2 && counts.count <= Int(total))
    let sum = counts.reduce(0, +)
    let spare = UInt64(total) - UInt64(counts.count)  // after the 1 every symbol gets
    var frequencies = counts.map { count in
      UInt32(1 + (sum == 0 ? 0 : UInt64(count) * spare / UInt64(sum)))
    }
    var remainder = Int64(total) - frequencies.reduce(Int64(0)) { $0 + Int64($1) }
    // Hand the remainder out by largest count first (ties to the lower index), round robin.
    let order = counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
    var position = 0
    while remainder > 0 {
      frequencies[order[position % order.count]] += 1
      remainder -= 1
      position += 1
    }
    return frequencies
  }

  /// The frequency index of `value`: its own, or the escape's.
  @inline(__always) func symbol(of value: Int32) -> Int {
    let offset = Int64(value) - Int64(lowest)
    return offset >= 0 && offset < Int64(count) ? Int(offset) : escape
  }

  /// The symbol whose cumulative range holds `slot` (`0 ..< total`).
  @inline(__always) func symbol(atSlot slot: UInt32) -> Int {
    var low = 0, high = frequencies.count  // cumulative[low] <= slot < cumulative[high]
    while high - low > 1 {
      let middle = (low + high) / 2
      if cumulative[middle] <= slot { low = middle } else { high = middle }
    }
    return low
  }

  /// The bits `value` costs under this table.
  public func cost(of value: Int32) -> Double {
    let symbol = symbol(of: value)
    let bits = Double(Self.precisionBits) - log2(Double(frequencies[symbol]))
    return symbol == escape ? bits + 32 : bits
  }
}

extension SymbolTable: Codable {
  enum CodingKeys: String, CodingKey { case lowest, counts }

  /// `{"lowest": -3, "counts": [...]}`: the counts, the escapes' last; decoding checks them as
  /// `init(lowest:counts:)` does.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let counts = try container.decode([Int].self, forKey: .counts)
    do {
      try self.init(lowest: try container.decode(Int32.self, forKey: .lowest), counts: counts)
    } catch let error as EntropyCodingError {
      throw DecodingError.dataCorruptedError(forKey: .counts, in: container, debugDescription: error.description)
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(lowest, forKey: .lowest)
    try container.encode(counts, forKey: .counts)
  }
}

extension SymbolTable {
  /// The table of a distribution over the integers given by its probabilities: counts of
  /// `probability(v) · 2³²` (rounded) for `v` in `lowest ... highest`, the mass outside as the
  /// escapes'. The probabilities are computed once, so a table stored with its model is what
  /// every encoder and decoder reads.
  ///
  /// - Precondition: `highest - lowest < maximumCount`.
  public init(lowest: Int32, highest: Int32, probability: (Int32) -> Double) {
    precondition(lowest <= highest && Int64(highest) - Int64(lowest) < Int64(Self.maximumCount))
    let scale = 4_294_967_296.0
    var counts: [Int] = []
    var total = 0.0
    for value in lowest...highest {
      let p = max(0, min(1, probability(value)))
      total += p
      counts.append(Int((p * scale).rounded()))
    }
    counts.append(Int((max(0, 1 - total) * scale).rounded()))
    try! self.init(lowest: lowest, counts: counts)
  }
}

/// Why a table or a coded stream cannot be read.
public enum EntropyCodingError: Error, Equatable, CustomStringConvertible {
  case table(String)
  case truncated
  case corrupt(String)

  public var description: String {
    switch self {
    case .table(let problem): "bad probability table: \(problem)"
    case .truncated: "the coded data ends early"
    case .corrupt(let problem): "the coded data is corrupt: \(problem)"
    }
  }
}
