import Foundation
import Testing

@testable import EntropyCoding

struct RANSTests {
  /// Codes `values`, value `i` under `tables[i % tables.count]`, and decodes them back.
  func roundTrip(_ values: [Int32], _ tables: [SymbolTable]) throws -> (decoded: [Int32], bytes: [UInt8]) {
    var encoder = RANSEncoder()
    for (index, value) in values.enumerated() { encoder.encode(value, with: tables[index % tables.count]) }
    let bytes = encoder.finish()
    var decoder = try RANSDecoder(bytes)
    let decoded = try values.indices.map { index in try decoder.decode(with: tables[index % tables.count]) }
    try decoder.finish()
    return (decoded, bytes)
  }

  @Test func everyShortSequenceRoundTrips() throws {
    // Exhaustive: every sequence of up to 6 values over 3 in-range values and 2 escapes, under a
    // skewed table (one value of frequency 1).
    let table = try SymbolTable(lowest: 10, counts: [1_000_000, 0, 3, 0])
    let alphabet: [Int32] = [10, 11, 12, 9, .min]
    for length in 0...6 {
      var sequence = [Int](repeating: 0, count: length)
      while true {
        let values = sequence.map { alphabet[$0] }
        #expect(try roundTrip(values, [table]).decoded == values)
        var position = 0
        while position < length, sequence[position] == alphabet.count - 1 {
          sequence[position] = 0
          position += 1
        }
        if position == length { break }
        sequence[position] += 1
      }
    }
  }

  @Test func emptyStreamIsTheFirstState() throws {
    let bytes = RANSEncoder().finish()
    #expect(bytes == [0x00, 0x80, 0x00, 0x00])
    try RANSDecoder(bytes).finish()
    // Carrying a value: L + value.
    #expect(RANSEncoder().finish(carrying: 0x12_3456) == [0x00, 0x92, 0x34, 0x56])
    try RANSDecoder([0x00, 0x92, 0x34, 0x56]).finish(carrying: 0x12_3456)
  }

  @Test func aStreamCarries23BitsInItsStartStateAtNoCost() throws {
    var generator = SystemRandomNumberGenerator()
    let table = try SymbolTable(lowest: -4, counts: [1, 5, 20, 50, 20, 5, 1])
    for _ in 0..<200 {
      let values = (0..<Int.random(in: 0...300, using: &generator)).map { _ in Int32.random(in: -4...2, using: &generator) }
      let carried = UInt32.random(in: 0..<(1 << 23), using: &generator)
      var encoder = RANSEncoder()
      for value in values { encoder.encode(value, with: table) }
      let plain = encoder.finish(), carrying = encoder.finish(carrying: carried)
      // The start state is under 2L, so the stream grows by at most a byte (its top bit).
      #expect(carrying.count <= plain.count + 1, "\(carrying.count) bytes against \(plain.count)")
      var decoder = try RANSDecoder(carrying)
      #expect(try values.map { _ in try decoder.decode(with: table) } == values)
      try decoder.finish(carrying: carried)
      // Any other value is a stream of another start, refused.
      #expect(throws: EntropyCodingError.corrupt("it does not end in the encoder's first state")) { try decoder.finish(carrying: carried ^ 1) }
      #expect(throws: EntropyCodingError.self) { try decoder.finish() }
    }
  }

  @Test func randomStreamsUnderManyTablesRoundTrip() throws {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<50 {
      let tables = try (0..<Int.random(in: 1...5, using: &generator)).map { _ in
        let size = Int.random(in: 1...300, using: &generator)
        return try SymbolTable(lowest: Int32.random(in: -100...100, using: &generator),
                               counts: (0...size).map { _ in Int.random(in: 0...1000, using: &generator) })
      }
      let values = (0..<Int.random(in: 0...5000, using: &generator)).map { index -> Int32 in
        let table = tables[index % tables.count]
        return Int.random(in: 0..<20, using: &generator) == 0 ? Int32.random(in: .min ... .max, using: &generator)
          : table.lowest + Int32.random(in: 0..<Int32(table.count), using: &generator)
      }
      #expect(try roundTrip(values, tables).decoded == values)
    }
  }

  @Test func adversarialStreamsRoundTrip() throws {
    let skewed = try SymbolTable(lowest: 0, counts: [1 << 30, 0])  // value 0 nearly free, the escape 16 bits
    let rare = [Int32](repeating: 1, count: 10_000)  // every value an escape: 48 bits each
    let common = [Int32](repeating: 0, count: 1_000_000)  // about 2·10⁻⁵ bits each
    let alternating = (0..<10_000).map { Int32($0 % 2 == 0 ? 0 : -1) }
    let extremes = (0..<1_000).map { $0 % 3 == 0 ? Int32.min : ($0 % 3 == 1 ? Int32.max : 0) }
    for values in [rare, common, alternating, extremes] {
      let (decoded, bytes) = try roundTrip(values, [skewed])
      #expect(decoded == values)
      let cost = values.reduce(0.0) { $0 + skewed.cost(of: $1) }
      #expect(Double(bytes.count * 8) <= cost + 40, "\(bytes.count) bytes for \(cost) bits")
    }
    // A million nearly free values take a few bytes.
    #expect(try roundTrip(common, [skewed]).bytes.count <= 8)
  }

  @Test func rateIsTheEntropyPlusTheState() throws {
    // Values drawn from a known distribution: coded size within 0.2% of their cost, plus the state.
    var generator = SystemRandomNumberGenerator()
    let counts = [40, 25, 15, 10, 6, 3, 1, 0]
    let table = try SymbolTable(lowest: 0, counts: counts)
    let cumulative = counts.reduce(into: [Int]()) { $0.append(($0.last ?? 0) + $1) }
    let values = (0..<200_000).map { _ in Int32(cumulative.firstIndex { $0 > Int.random(in: 0..<100, using: &generator) }!) }
    let (decoded, bytes) = try roundTrip(values, [table])
    #expect(decoded == values)
    let cost = values.reduce(0.0) { $0 + table.cost(of: $1) }
    #expect(abs(Double(bytes.count * 8) - cost) <= cost * 0.002 + 32, "\(bytes.count * 8) bits for a cost of \(cost)")
  }

  @Test func corruptStreamsThrowOrDecodeButNeverCrash() throws {
    var generator = SystemRandomNumberGenerator()
    let table = try SymbolTable(lowest: -3, counts: [5, 9, 20, 9, 5, 1, 1])
    let values = (0..<2_000).map { _ in Int32.random(in: -4...4, using: &generator) }
    var encoder = RANSEncoder()
    for value in values { encoder.encode(value, with: table) }
    let bytes = encoder.finish()
    func decodeAll(_ bytes: [UInt8]) throws -> [Int32] {
      var decoder = try RANSDecoder(bytes)
      let decoded = try values.indices.map { _ in try decoder.decode(with: table) }
      try decoder.finish()
      return decoded
    }
    #expect(try decodeAll(bytes) == values)
    // Every truncation is caught: the stream runs out, or does not end in the first state.
    for length in 0..<bytes.count {
      #expect(throws: EntropyCodingError.self) { try decodeAll(Array(bytes[..<length])) }
    }
    #expect(throws: EntropyCodingError.self) { try decodeAll(bytes + [0]) }
    // Flipped bytes: none crashes or hangs; the final state catches some (the streams resynchronize,
    // so the container's checksum is what catches every one).
    var caught = 0
    for _ in 0..<500 {
      var damaged = bytes
      damaged[Int.random(in: 4..<damaged.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
      if (try? decodeAll(damaged)) == nil { caught += 1 }
    }
    #expect(caught >= 50, "\(caught) of 500 damaged streams caught")
    // Noise of every length decodes or throws.
    for length in 0..<64 {
      _ = try? decodeAll((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
    #expect(throws: EntropyCodingError.corrupt("its first state is out of range")) { try RANSDecoder([0xFF, 0, 0, 0]) }
    #expect(throws: EntropyCodingError.truncated) { try RANSDecoder([0, 0x80, 0]) }
  }
}

struct RANSAdaptiveTests {
  /// Cumulative frequencies from frequencies (each at least 1, summing to the total).
  func cumulative(_ frequencies: [UInt32]) -> [UInt32] {
    var sums: [UInt32] = [0]
    for frequency in frequencies { sums.append(sums.last! + frequency) }
    return sums
  }

  @Test func symbolsOfTheirOwnDistributionsRoundTrip() throws {
    // Each symbol under a distribution of its own: random ones, and adversarial ones where the
    // coded symbol has frequency 1 (the most bytes a symbol moves out) or all but 255 of the total.
    var generator = SystemRandomNumberGenerator()
    var distributions: [[UInt32]] = [], symbols: [Int] = []
    for index in 0..<5000 {
      var frequencies = [UInt32](repeating: 1, count: 256)
      switch index % 3 {
      case 0:
        frequencies = (0..<256).map { _ in UInt32.random(in: 1...512, using: &generator) }
        let excess = Int(frequencies.reduce(0, +)) - Int(SymbolTable.total)
        if excess > 0 {  // scale down, then give the rest to symbol 0
          frequencies = frequencies.map { max(1, $0 / 2) }
        }
        frequencies[0] += SymbolTable.total - frequencies.reduce(0, +)
        symbols.append(Int.random(in: 0..<256, using: &generator))
      case 1:
        frequencies[7] = SymbolTable.total - 255
        symbols.append(index % 2 == 0 ? 7 : 200)  // the likeliest, or one of frequency 1
      default:
        frequencies[255] = SymbolTable.total - 255
        symbols.append(0)  // frequency 1 at the start of the range
      }
      #expect(frequencies.reduce(0, +) == SymbolTable.total)
      distributions.append(frequencies)
    }
    var encoder = RANSEncoder()
    for (symbol, frequencies) in zip(symbols, distributions) {
      let sums = cumulative(frequencies)
      encoder.encode(start: sums[symbol], frequency: frequencies[symbol])
    }
    let bytes = encoder.finish()
    var decoder = try RANSDecoder(bytes)
    for (symbol, frequencies) in zip(symbols, distributions) {
      let sums = cumulative(frequencies)
      #expect(try sums.withUnsafeBufferPointer { try decoder.decode(cumulative: $0) } == symbol)
    }
    try decoder.finish()
    // The cost is about Σ -log₂ p: within a few bytes of the information content.
    let information = zip(symbols, distributions).reduce(0.0) { $0 - log2(Double($1.1[$1.0]) / Double(SymbolTable.total)) }
    #expect(abs(Double(bytes.count * 8) - information) < 64)
  }
}
