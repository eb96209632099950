import Foundation
import Testing

@testable import EntropyCoding

struct ContextTablesTests {
  /// Every symbol's (cell, channel, neighbourhood class), in coding order.
  func contexts(_ symbols: [Int32], codeShape: [Int], neighbourhood: Neighbourhood = .magnitude) -> [[Int]] {
    var seen: [[Int]] = []
    symbols.withUnsafeBufferPointer { symbols in
      for code in 0..<(symbols.count / codeShape.reduce(1, *)) {
        ContextTables.walk(symbols, code: code, codeShape: codeShape, neighbourhood: neighbourhood) { index, cell, channel, neighbours in
          #expect(index == seen.count)
          seen.append([cell, channel, neighbours])
        }
      }
    }
    return seen
  }

  @Test func theNeighbourhoodIsLeftPlusAboveOfTheSameChannelCappedAt3ByHand() {
    // Two 2×2 codes of two channels, [row, column, channel]; channel 0 then 1 at each cell.
    //   channel 0: [ 1 -2 ]   channel 1: [ 0  5 ]
    //              [ 0  3 ]              [-1  0 ]
    let code: [Int32] = [1, 0, -2, 5, 0, -1, 3, 0]
    #expect(contexts(code, codeShape: [2, 2, 2]) == [
      [0, 0, 0], [0, 1, 0],  // the first cell has nothing before it
      [1, 0, 1], [1, 1, 0],  // left: |1| for channel 0, |0| for channel 1
      [2, 0, 1], [2, 1, 0],  // above: |1|, |0|
      [3, 0, 2], [3, 1, 3],  // left + above: |0| + |-2| = 2; |-1| + |5| = 6, capped at 3
    ])
    // The next code starts afresh: its first cell sees nothing of the last code's.
    #expect(contexts(code + code, codeShape: [2, 2, 2]).suffix(8) == contexts(code, codeShape: [2, 2, 2])[...])
    // Signed ±2: (left + 2) · 5 + (above + 2), each clamped to ±2; 12 is (0, 0).
    #expect(contexts(code, codeShape: [2, 2, 2], neighbourhood: .signed(limit: 2)) == [
      [0, 0, 12], [0, 1, 12],
      [1, 0, 17], [1, 1, 12],  // left 1: 3 · 5 + 2; left 0
      [2, 0, 13], [2, 1, 12],  // above 1: 2 · 5 + 3; above 0
      [3, 0, 10], [3, 1, 9],  // left 0, above -2: 10 + 0; left -1, above 5 clamped to 2: 5 + 4
    ])
  }

  @Test func neighbourhoodClassesAndNamesByHand() {
    #expect(Neighbourhood.magnitude.classes == 4 && Neighbourhood.signed(limit: 1).classes == 9 && Neighbourhood.signed(limit: 7).classes == 225)
    #expect(Neighbourhood.magnitude.class(left: -2, above: 0) == 2 && Neighbourhood.magnitude.class(left: -2, above: 1) == 3)
    #expect(Neighbourhood.magnitude.class(left: .min, above: .min) == 3)  // no overflow at the extremes
    let signed = Neighbourhood.signed(limit: 1)
    #expect(signed.class(left: -1, above: -1) == 0 && signed.class(left: 0, above: 0) == 4 && signed.class(left: 1, above: -1) == 6)
    #expect(signed.class(left: .max, above: .min) == 6 && signed.class(left: .min, above: .max) == 2)
    #expect(Neighbourhood(name: "magnitude") == .magnitude && Neighbourhood(name: "signed") == .signed(limit: 2))
    #expect(Neighbourhood(name: "signed:3") == .signed(limit: 3) && Neighbourhood(name: "signed:3")?.name == "signed:3")
    for bad in ["signed:0", "signed:8", "signed:", "signed:-1", "Magnitude", "", "signed:2x"] { #expect(Neighbourhood(name: bad) == nil, "\(bad)") }
  }

  @Test func signedTablesCountEachLeftAndAboveValueApartByHand() throws {
    // One channel, codes of 1×2 cells: the left cell sees (0, 0), class 4 of signed ±1; the
    // right one its left neighbour: 0 (class 4), 1 (class 7) or -1 (class 1).
    let symbols: [Int32] = [0, 1, 0, 2, 1, 3, -1, 0]
    let tables = ContextTables(fitting: symbols, codeShape: [1, 2, 1], neighbourhood: .signed(limit: 1))
    #expect(tables.lowest == [-1] && tables.values == [5] && tables.neighbourhood == .signed(limit: 1) && tables.priorWeight == 0)
    // Values -1 to 3 and the escape, per (cell, class).
    var expected = [Int](repeating: 0, count: 2 * 9 * 6)
    func count(cell: Int, class neighbours: Int, value: Int) { expected[(cell * 9 + neighbours) * 6 + value + 1] += 1 }
    for value in [0, 0, 1, -1] { count(cell: 0, class: 4, value: value) }
    count(cell: 1, class: 4, value: 1)
    count(cell: 1, class: 4, value: 2)
    count(cell: 1, class: 7, value: 3)
    count(cell: 1, class: 1, value: 0)
    #expect(tables.counts == [expected])
    #expect(tables.summary == "per cell of a 1×2 code and signed neighbourhood (±1), 1 channels, counted from 4 codes")
    // With a prior weight, a table's frequencies come from its counts times 2¹⁶ plus α times the
    // pooled table's (one set: its own, add-½).
    let smoothed = ContextTables(fitting: symbols, codeShape: [1, 2, 1], neighbourhood: .signed(limit: 1), priorWeight: 16)
    let pooled = SymbolTable.normalized([1, 1, 1, 1, 3, 1])  // cell 1, class 7: a 3
    #expect(smoothed.frequencies(set: 0, cell: 1, channel: 0, neighbours: 7)
      == SymbolTable.normalized(zip([0, 0, 0, 0, 1, 0], pooled).map { $0 * 65536 + 16 * Int($1) })[...])
    #expect(tables.frequencies(set: 0, cell: 1, channel: 0, neighbours: 7) == pooled[...])
  }

  @Test func smoothingWeightsAndPooledTablesByHand() {
    #expect(ContextTables.weights([3, 0, 1], prior: nil, priorWeight: 0) == [7, 1, 3])
    #expect(ContextTables.weights([3, 0, 1], prior: [40000, 20000, 5536], priorWeight: 16) == [3 * 65536 + 640_000, 320_000, 65536 + 88576])
    // Two sets of one table of two values and the escape: [1, 0, 0] and [2, 1, 0] pool to
    // [3, 1, 0], add-½ 7 : 3 : 1 of 2¹⁶: 1 + ⌊7 · 65533 / 11⌋ = 41703, 17873, 5958, and the 2 left
    // over to the largest weights.
    #expect(ContextTables.pooled([1, 0, 0, 2, 1, 0], sets: 2, values: 2) == [41704, 17874, 5958])
    // Tables per cell pool cell by cell.
    #expect(ContextTables.pooled([1, 0, 0, 0, 0, 5, 2, 1, 0, 0, 0, 0], sets: 2, values: 2) == [41704, 17874, 5958] + SymbolTable.normalized([1, 1, 11]))
  }

  @Test func signedTablesLearnASignTheNeighboursShare() throws {
    // Each code's six values share a sign, their sizes 1 or 2 at random: after the first, its
    // left neighbour tells a value's sign (1 bit a value), which magnitude classes cannot.
    var state: UInt64 = 11
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 33
    }
    let symbols: [Int32] = (0..<2000).flatMap { _ in
      let sign: Int32 = next() % 2 == 0 ? 1 : -1
      return (0..<6).map { _ in sign * Int32(1 + next() % 2) }
    }
    let shape = [1, 6, 1]
    let magnitude = ContextTables(fitting: symbols, codeShape: shape, perCell: false, neighbourhood: .magnitude)
    let signed = ContextTables(fitting: symbols, codeShape: shape, perCell: false, neighbourhood: .signed(limit: 2))
    let (magnitudeBits, signedBits) = (magnitude.cost(of: symbols, codeShape: shape), signed.cost(of: symbols, codeShape: shape))
    // 2 bits a value against 2 for the first and 1 for the other five, each within 2%.
    #expect(abs(magnitudeBits / 2000 - 12) < 0.24 && abs(signedBits / 2000 - 7) < 0.14, "\(signedBits) against \(magnitudeBits)")
    var encoder = RANSEncoder()
    signed.encode(symbols, codeShape: shape, into: &encoder)
    var decoder = try RANSDecoder(encoder.finish())
    #expect(try signed.decode(symbols.count, codeShape: shape, from: &decoder) == symbols)
    try decoder.finish()
  }

  @Test func tablesTooLargeGiveWaySetsAndCellsThenClassesThenRanges() throws {
    func roundTrips(_ tables: ContextTables, _ symbols: [Int32], _ shape: [Int]) throws -> Bool {
      var encoder = RANSEncoder()
      tables.encode(symbols, codeShape: shape, into: &encoder)
      var decoder = try RANSDecoder(encoder.finish())
      return try tables.decode(symbols.count, codeShape: shape, from: &decoder) == symbols
    }
    // Values -14 to 14, 30 slots with the escape: one set of signed ±7 tables per cell of a 32×32
    // code holds 1024 · 225 · 30 = 6.9M counts, so 2 of the 16 sets asked for fit in 16.8M.
    let cycle = (0..<(3 * 1024)).map { Int32($0 % 29) - 14 }
    let two = ContextTables(fitting: cycle, codeShape: [32, 32, 1], sets: 16, neighbourhood: .signed(limit: 7))
    #expect(two.grid == [32, 32] && two.neighbourhood == .signed(limit: 7) && two.values == [29] && two.sets == 2)
    // 16 channels: 110M a set per cell; of any grid, 225 · 16 · 30 = 108k a set.
    let wide = (0..<(2 * 1024 * 16)).map { Int32($0 % 29) - 14 }
    let anyGrid = ContextTables(fitting: wide, codeShape: [32, 32, 16], sets: 16, neighbourhood: .signed(limit: 7))
    #expect(anyGrid.grid == nil && anyGrid.neighbourhood == .signed(limit: 7) && anyGrid.sets == 2)
    #expect(try roundTrips(anyGrid, wide, [32, 32, 16]))
    // 20 channels of 4,096 values: 225 · 20 · 4097 = 18.4M even of any grid; magnitude's 4 classes
    // fit, 328k a set.
    let ramp = (0..<(4096 * 20)).map { Int32($0 / 20) }
    let magnitude = ContextTables(fitting: ramp, codeShape: [1, 1, 20], sets: 16, neighbourhood: .signed(limit: 7))
    #expect(magnitude.grid == nil && magnitude.neighbourhood == .magnitude && magnitude.values.allSatisfy { $0 == 4096 } && magnitude.sets == 16)
    // 1,100 channels: 4 · 1100 · 4097 = 18.0M; 16,777,216 / 4,400 = 3,813 slots a channel, 3,812 values.
    let many = (0..<(4096 * 1100)).map { Int32($0 / 1100) }
    let narrow = ContextTables(fitting: many, codeShape: [1, 1, 1100], sets: 16, neighbourhood: .signed(limit: 2))
    #expect(narrow.neighbourhood == .magnitude && narrow.values.allSatisfy { $0 == 3812 } && narrow.sets == 1)
    #expect(try roundTrips(narrow, Array(many.suffix(2 * 1100)), [1, 1, 1100]))  // values past the range escape
  }

  @Test func tablesOfAnImpossibleNeighbourhoodOrPriorWeightAreRefused() {
    func tables(_ neighbourhood: Neighbourhood, priorWeight: Int) throws -> ContextTables {
      try ContextTables(grid: nil, neighbourhood: neighbourhood, priorWeight: priorWeight, channels: 1, codes: 1, lowest: [0], values: [1], setCounts: [1],
                        counts: [[Int](repeating: 0, count: 2 * neighbourhood.classes)])
    }
    #expect(throws: Never.self) { try tables(.signed(limit: 7), priorWeight: ContextTables.maximumPriorWeight) }
    #expect(throws: EntropyCodingError.table("a prior weight of -1 (0 to 65536)")) { try tables(.magnitude, priorWeight: -1) }
    #expect(throws: EntropyCodingError.table("a prior weight of 65537 (0 to 65536)")) { try tables(.magnitude, priorWeight: 65537) }
    #expect(throws: EntropyCodingError.table("a signed neighbourhood clamped to ±8 (1 to 7)")) { try tables(.signed(limit: 8), priorWeight: 0) }
    #expect(throws: EntropyCodingError.table("a signed neighbourhood clamped to ±0 (1 to 7)")) { try tables(.signed(limit: 0), priorWeight: 0) }
  }

  @Test func fittingCountsEachContextsValuesByHand() throws {
    // One channel, codes of 1×2 cells: per cell the left one (neighbourhood 0), then the right
    // one after its left neighbour.
    let symbols: [Int32] = [0, 1, 0, 2, 1, 3, 0, 0]
    let tables = ContextTables(fitting: symbols, codeShape: [1, 2, 1])
    #expect(tables.grid == [1, 2] && tables.channels == 1 && tables.codes == 4 && tables.lowest == [0] && tables.values == [4])
    #expect(tables.sets == 1 && tables.setCounts == [4])
    // Values 0 to 3 and the escape, per (cell, neighbourhood): cell 0 sees 0, 0, 1, 0 in
    // neighbourhood 0; cell 1 sees 1, 2, 0 (left 0) and 3 (left 1).
    let none = [0, 0, 0, 0, 0]
    #expect(tables.counts == [[3, 1, 0, 0, 0] + none + none + none + [1, 1, 1, 0, 0] + [0, 0, 0, 1, 0] + none + none])
    // A table's frequencies come from 2·count + 1: cell 1, neighbourhood 1 is 1 : 1 : 1 : 3 : 1.
    #expect(tables.frequencies(set: 0, cell: 1, channel: 0, neighbours: 1) == (try SymbolTable(lowest: 0, counts: [1, 1, 1, 3, 1])).frequencies[...])
    // Tables of any grid count the two cells together.
    let anyGrid = ContextTables(fitting: symbols, codeShape: [1, 2, 1], perCell: false)
    #expect(anyGrid.grid == nil && anyGrid.counts == [[4, 2, 1, 0, 0] + [0, 0, 0, 1, 0] + none + none])
  }

  @Test func everyStreamDecodesToItsSymbolsAndCostsWhatItsTablesSay() throws {
    var generator = SystemRandomNumberGenerator()
    for trial in 0..<40 {
      let shape = [Int.random(in: 1...5, using: &generator), Int.random(in: 1...5, using: &generator), Int.random(in: 1...4, using: &generator)]
      let size = shape.reduce(1, *), codes = Int.random(in: 1...12, using: &generator)
      // Small values near 0 and a few far from them, anywhere in 32 bits: escapes, beyond the 4,096
      // values a channel's tables keep, in coding, and in fitting the magnitude tables (tables of
      // signed neighbourhoods are fitted to values up to ±60, so they stay small).
      func draw(far: ClosedRange<Int32>) -> [Int32] {
        (0..<(size * codes)).map { _ in
          Int.random(in: 0..<20, using: &generator) == 0 ? Int32.random(in: far, using: &generator) : Int32.random(in: -3...3, using: &generator)
        }
      }
      let neighbourhood = [Neighbourhood.magnitude, .signed(limit: 1), .signed(limit: 2), .signed(limit: 3)][trial % 4]
      let tables = ContextTables(fitting: draw(far: neighbourhood == .magnitude ? Int32.min...Int32.max : -60...60), codeShape: shape, perCell: trial % 2 == 0, sets: trial % 3 + 1, neighbourhood: neighbourhood,
                                 priorWeight: [0, 1, 16, ContextTables.maximumPriorWeight][trial / 4 % 4])
      let symbols = trial == 0 ? [Int32](repeating: Int32.min, count: size * codes) : draw(far: Int32.min...Int32.max)  // adversarial: all escapes
      var encoder = RANSEncoder()
      tables.encode(symbols, codeShape: shape, into: &encoder)
      let stream = encoder.finish()
      var decoder = try RANSDecoder(stream)
      #expect(try tables.decode(symbols.count, codeShape: shape, from: &decoder) == symbols)
      try decoder.finish()
      // The stream is its cost in bits, plus the coder's 4-byte state, a byte of rounding, and what
      // each step loses to the integer state: coding a frequency f out of M = 2¹⁶ from a state of
      // at least L = 2²³ grows it by log2(M/f) + at most log2(1 + f/L), under 1/(128·ln 2) bit.
      let bits = tables.cost(of: symbols, codeShape: shape)
      let slack = 40 + Double(symbols.count) / (128 * log(2))
      #expect(abs(Double(stream.count * 8) - bits) <= slack, "\(stream.count) bytes for \(bits) bits")
      // A truncated stream is an error, not a crash.
      if stream.count > 5 {
        var short = try RANSDecoder(Array(stream.dropLast()))
        #expect(throws: EntropyCodingError.self) {
          _ = try tables.decode(symbols.count, codeShape: shape, from: &short)
          try short.finish()
        }
      }
    }
  }

  @Test func tablesPerCellLearnWhereValuesAreLarge() throws {
    // Values large in the middle cell of 3×3 codes and 0 elsewhere: per cell, the zeros cost
    // next to nothing; one table for every cell pays for not knowing where.
    var generator = SystemRandomNumberGenerator()
    let symbols: [Int32] = (0..<2000).flatMap { _ in (0..<9).map { $0 == 4 ? Int32.random(in: -8...8, using: &generator) : 0 } }
    let perCell = ContextTables(fitting: symbols, codeShape: [3, 3, 1]), anyGrid = ContextTables(fitting: symbols, codeShape: [3, 3, 1], perCell: false)
    let (cellBits, gridBits) = (perCell.cost(of: symbols, codeShape: [3, 3, 1]), anyGrid.cost(of: symbols, codeShape: [3, 3, 1]))
    #expect(cellBits < 0.85 * gridBits, "\(cellBits) against \(gridBits)")
    // Within 1% of the middle cell's entropy (log₂ 17 bits), the zeros a few hundredths of a bit each.
    #expect(cellBits < 2000 * (log2(17.0) * 1.01 + 0.25))
  }

  @Test func tablesApplyToCodesOfTheirGridAndChannels() {
    let tables = ContextTables(fitting: [Int32](repeating: 0, count: 24), codeShape: [2, 3, 2])
    #expect(tables.applies(to: [2, 3, 2]) && !tables.applies(to: [3, 2, 2]) && !tables.applies(to: [2, 3, 1]) && !tables.applies(to: [6, 2]))
    let anyGrid = ContextTables(fitting: [Int32](repeating: 0, count: 24), codeShape: [2, 3, 2], perCell: false)
    #expect(anyGrid.applies(to: [5, 7, 2]) && !anyGrid.applies(to: [5, 7, 3]))
    // A grid past `maximumCells` cells is fitted for any grid.
    #expect(ContextTables(fitting: [Int32](repeating: 0, count: 33 * 33), codeShape: [33, 33, 1]).grid == nil)
  }

  @Test func setsOfTablesCodeCodesOfTwoKindsInFewerBits() throws {
    // Half the codes hold a value at their first cell, half at their last; one set of tables per
    // cell has to allow both everywhere, two sets can learn a kind each. Fitting is k-means from a
    // hashed start, so it finds a good split, not always the best one (on these codes it may
    // group one kind's codes by their value instead): the test asserts a saving, on fixed codes.
    var state: UInt64 = 7
    func next(_ range: ClosedRange<Int32>) -> Int32 {  // a fixed sequence (64-bit LCG)
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return range.lowerBound + Int32((state >> 33) % UInt64(range.count))
    }
    let symbols: [Int32] = (0..<1000).flatMap { code in (0..<9).map { cell in cell == (code % 2 == 0 ? 0 : 8) ? next(1...6) : 0 } }
    let one = ContextTables(fitting: symbols, codeShape: [3, 3, 1]), two = ContextTables(fitting: symbols, codeShape: [3, 3, 1], sets: 2)
    #expect(two.sets == 2 && two.setCounts.reduce(0, +) == 1000 && two.setCounts.allSatisfy { $0 > 0 })
    let (oneBits, twoBits) = (one.cost(of: symbols, codeShape: [3, 3, 1]), two.cost(of: symbols, codeShape: [3, 3, 1]))
    // One set: 2 × (1 + ½ log₂ 6) = 4.58 bits a code; the best split 1 + log₂ 6 = 3.58.
    #expect(abs(oneBits / 1000 - 4.58) < 0.1 && twoBits / 1000 >= 3.5 && twoBits < oneBits - 300, "\(twoBits) against \(oneBits)")
    var encoder = RANSEncoder()
    two.encode(symbols, codeShape: [3, 3, 1], into: &encoder)
    let stream = encoder.finish()
    #expect(abs(Double(stream.count * 8) - twoBits) <= 40)
    var decoder = try RANSDecoder(stream)
    #expect(try two.decode(symbols.count, codeShape: [3, 3, 1], from: &decoder) == symbols)
    try decoder.finish()
    // More sets than codes: one per code at most.
    #expect(ContextTables(fitting: Array(symbols.prefix(27)), codeShape: [3, 3, 1], sets: 16).sets == 3)
  }

  @Test func codesMovedBetweenSetsTakeTheirCountsAlong() {
    // Fitting moves a code's counts from set to set as it moves: whatever the number of sets (one
    // vector of 16 sets' costs, or several, the last part full or not), the sets' counts add up
    // to one set's and each set holds its codes' symbols exactly.
    var state: UInt64 = 11
    func next(_ range: ClosedRange<Int32>) -> Int32 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return range.lowerBound + Int32((state >> 33) % UInt64(range.count))
    }
    let shape = [4, 4, 2], size = 32
    let symbols: [Int32] = (0..<600).flatMap { code in (0..<size).map { index in index % 7 == code % 5 ? next(-4...9) : next(-1...1) } }
    let one = ContextTables(fitting: symbols, codeShape: shape)
    for sets in [2, 16, 17, 40] {
      let tables = ContextTables(fitting: symbols, codeShape: shape, sets: sets)
      #expect(tables.sets == sets && tables.setCounts.reduce(0, +) == 600 && tables.lowest == one.lowest && tables.values == one.values)
      for channel in 0..<2 {
        let span = one.counts[channel].count
        let summed = (0..<span).map { index in (0..<sets).reduce(0) { $0 + tables.counts[channel][$1 * span + index] } }
        #expect(summed == one.counts[channel], "\(sets) sets, channel \(channel)")
        for set in 0..<sets {
          #expect(tables.counts[channel][(set * span)..<((set + 1) * span)].reduce(0, +) == tables.setCounts[set] * size / 2, "\(sets) sets, set \(set)")
        }
      }
    }
  }
}
