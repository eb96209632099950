/// rANS (range asymmetric numeral systems, Duda 2013): an entropy coder that codes each symbol in
/// `-log₂ p` bits plus a few bytes per stream, with integer arithmetic only.
///
/// The state `x` is 32 bits and stays in `[L, 256 L)`, `L = 2²³`. Coding a symbol of frequency
/// `f` and cumulative start `c` (out of `M = 2¹⁶`) maps `x → (x / f) M + c + x mod f`; decoding
/// inverts it from the slot `x mod M`. Before coding, the encoder moves low bytes out until the
/// result stays under `256 L`; the decoder moves them back in when `x` falls under `L`. rANS
/// decodes in the reverse of the coding order, so the encoder keeps the symbols and codes them
/// last to first when the stream is finished; the decoder then reads them first to first.
///
/// Stream: the final state (4 bytes, big-endian), then the bytes moved out, last moved first.
/// A decoder that ends with the state the encoder started from, every byte read, has read a
/// stream this encoder wrote (a corrupt one is caught here, or by the container's checksum).
///
/// The start state `L` carries 23 bits that every stream pays for; a stream can carry a value of
/// its own in them instead (`finish(carrying:)`), at no cost, which its decoder ends with.
public struct RANSEncoder: Sendable {
  static let lowerBound: UInt32 = 1 << 23
  /// The pending symbols in coding order, as (cumulative start, frequency).
  private var pending: [(start: UInt32, frequency: UInt32)] = []

  public init() {}

  /// The number of symbols (escapes' bits included) waiting to be coded.
  public var symbolCount: Int { pending.count }

  /// Adds `value` coded under `table` (an escape and 32 raw bits when outside its range).
  public mutating func encode(_ value: Int32, with table: SymbolTable) {
    let symbol = table.symbol(of: value)
    pending.append((table.cumulative[symbol], table.frequencies[symbol]))
    if symbol == table.escape {
      let bits = UInt32(bitPattern: value)
      encodeRaw(bits >> 16)
      encodeRaw(bits)
    }
  }

  /// Adds a symbol of its own distribution: its cumulative start and frequency out of
  /// `SymbolTable.total` (an adaptive model's, which gives a new distribution at every step).
  ///
  /// - Precondition: `frequency > 0` and `start + frequency <= SymbolTable.total`.
  public mutating func encode(start: UInt32, frequency: UInt32) {
    precondition(frequency > 0 && start + frequency <= SymbolTable.total, "symbol [\(start), +\(frequency)) out of the coder's range")
    pending.append((start, frequency))
  }

  /// Adds 16 raw bits, `bits & 0xFFFF` (a symbol of frequency 1): half of an escaped value.
  @inline(__always) public mutating func encodeRaw(_ bits: UInt32) {
    pending.append((bits & 0xFFFF, 1))
  }

  /// Codes every value added, and returns the stream; it carries `value` (under 2²³) in the state
  /// it starts from, `L + value`, which `RANSDecoder.finish(carrying:)` checks it ends with.
  public func finish(carrying value: UInt32 = 0) -> [UInt8] {
    precondition(value < Self.lowerBound, "a stream carries 23 bits")
    var state = Self.lowerBound + value
    var moved: [UInt8] = []
    moved.reserveCapacity(pending.count / 2 + 8)
    let shift = UInt32(SymbolTable.precisionBits)
    for (start, frequency) in pending.reversed() {
      // The largest state that stays under 256 L after coding: ((L >> 16) << 8) f.
      let limit = ((Self.lowerBound >> shift) << 8) * frequency
      while state >= limit {
        moved.append(UInt8(truncatingIfNeeded: state))
        state >>= 8
      }
      state = ((state / frequency) << shift) + (state % frequency) + start
    }
    var stream = [UInt8(state >> 24), UInt8(truncatingIfNeeded: state >> 16), UInt8(truncatingIfNeeded: state >> 8), UInt8(truncatingIfNeeded: state)]
    stream.append(contentsOf: moved.reversed())
    return stream
  }
}

/// Reads a `RANSEncoder` stream back, value by value under the same tables in the same order.
public struct RANSDecoder {
  private let bytes: [UInt8]
  private var position: Int
  private var state: UInt32

  /// - Throws: `EntropyCodingError.truncated` when `bytes` is shorter than a state.
  public init(_ bytes: [UInt8]) throws(EntropyCodingError) {
    guard bytes.count >= 4 else { throw .truncated }
    self.bytes = bytes
    state = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
    position = 4
    guard state >= RANSEncoder.lowerBound, state < RANSEncoder.lowerBound << 8 else { throw .corrupt("its first state is out of range") }
  }

  /// The next value, under `table`.
  ///
  /// - Throws: `EntropyCodingError.truncated` when the stream runs out.
  public mutating func decode(with table: SymbolTable) throws(EntropyCodingError) -> Int32 {
    let slot = state & (SymbolTable.total - 1)
    let symbol = table.symbol(atSlot: slot)
    try advance(start: table.cumulative[symbol], frequency: table.frequencies[symbol], slot: slot)
    guard symbol == table.escape else { return table.lowest &+ Int32(symbol) }
    let high = try decodeRaw(), low = try decodeRaw()
    return Int32(bitPattern: high << 16 | low)
  }

  /// The next symbol of its own distribution, given as cumulative frequencies: `cumulative[s]`
  /// is where symbol `s` starts, rising from 0 to `SymbolTable.total` at `cumulative[count]`.
  ///
  /// - Throws: `EntropyCodingError.truncated` when the stream runs out.
  public mutating func decode(cumulative: UnsafeBufferPointer<UInt32>) throws(EntropyCodingError) -> Int {
    let slot = state & (SymbolTable.total - 1)
    // The last start at or below the slot: a binary search (frequencies are at least 1).
    var low = 0, high = cumulative.count - 1
    while high - low > 1 {
      let middle = (low + high) / 2
      if cumulative[middle] <= slot { low = middle } else { high = middle }
    }
    try advance(start: cumulative[low], frequency: cumulative[low + 1] - cumulative[low], slot: slot)
    return low
  }

  /// 16 raw bits, as `RANSEncoder.encodeRaw` added them (a symbol of frequency 1).
  ///
  /// - Throws: `EntropyCodingError.truncated` when the stream runs out.
  @inline(__always) public mutating func decodeRaw() throws(EntropyCodingError) -> UInt32 {
    let slot = state & (SymbolTable.total - 1)
    try advance(start: slot, frequency: 1, slot: slot)
    return slot
  }

  @inline(__always) private mutating func advance(start: UInt32, frequency: UInt32, slot: UInt32) throws(EntropyCodingError) {
    state = frequency * (state >> UInt32(SymbolTable.precisionBits)) + slot - start
    while state < RANSEncoder.lowerBound {
      guard position < bytes.count else { throw .truncated }
      state = state << 8 | UInt32(bytes[position])
      position += 1
    }
  }

  /// Checks that the stream ended where its encoder started: every byte read, the first state,
  /// carrying `value` (`RANSEncoder.finish(carrying:)`).
  ///
  /// - Throws: `EntropyCodingError.corrupt` otherwise.
  public func finish(carrying value: UInt32 = 0) throws(EntropyCodingError) {
    guard position == bytes.count else { throw .corrupt("\(bytes.count - position) bytes left after the last value") }
    guard state == RANSEncoder.lowerBound &+ value else { throw .corrupt("it does not end in the encoder's first state") }
  }
}
