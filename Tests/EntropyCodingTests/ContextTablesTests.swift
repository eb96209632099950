import Foundation
import Testing

@testable import EntropyCoding

struct ContextTablesTests {
  /// Every symbol's (cell, channel, neighbourhood), in coding order.
  func contexts(_ symbols: [Int32], codeShape: [Int]) -> [[Int]] {
    var seen: [[Int]] = []
    symbols.withUnsafeBufferPointer { symbols in
      ContextTables.walk(symbols, codeShape: codeShape) { index, cell, channel, neighbourhood in
        #expect(index == seen.count)
        seen.append([cell, channel, neighbourhood])
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
  }

  @Test func fittingCountsEachContextsValuesByHand() throws {
    // One channel, codes of 1×2 cells: per cell the left one (neighbourhood 0), then the right
    // one after its left neighbour.
    let symbols: [Int32] = [0, 1, 0, 2, 1, 3, 0, 0]
    let tables = ContextTables(fitting: symbols, codeShape: [1, 2, 1])
    #expect(tables.grid == [1, 2] && tables.channels == 1 && tables.codes == 4 && tables.lowest == [0] && tables.values == [4])
    // Values 0 to 3 and the escape, per (cell, neighbourhood): cell 0 sees 0, 0, 1, 0 in
    // neighbourhood 0; cell 1 sees 1, 2, 0 (left 0) and 3 (left 1).
    let none = [0, 0, 0, 0, 0]
    #expect(tables.counts == [[3, 1, 0, 0, 0] + none + none + none + [1, 1, 1, 0, 0] + [0, 0, 0, 1, 0] + none + none])
    // A table's frequencies come from 2·count + 1: cell 1, neighbourhood 1 is 1 : 1 : 1 : 3 : 1.
    #expect(tables.table(cell: 1, channel: 0, neighbourhood: 1) == (try SymbolTable(lowest: 0, counts: [1, 1, 1, 3, 1])))
    // Tables of any grid count the two cells together.
    let anyGrid = ContextTables(fitting: symbols, codeShape: [1, 2, 1], perCell: false)
    #expect(anyGrid.grid == nil && anyGrid.counts == [[4, 2, 1, 0, 0] + [0, 0, 0, 1, 0] + none + none])
  }

  @Test func everyStreamDecodesToItsSymbolsAndCostsWhatItsTablesSay() throws {
    var generator = SystemRandomNumberGenerator()
    for trial in 0..<40 {
      let shape = [Int.random(in: 1...5, using: &generator), Int.random(in: 1...5, using: &generator), Int.random(in: 1...4, using: &generator)]
      let size = shape.reduce(1, *), codes = Int.random(in: 1...12, using: &generator)
      // Small values near 0, with a few far outside what the tables were fitted to (escapes).
      func draw() -> [Int32] {
        (0..<(size * codes)).map { _ in
          Int.random(in: 0..<20, using: &generator) == 0 ? Int32.random(in: Int32.min...Int32.max, using: &generator) : Int32.random(in: -3...3, using: &generator)
        }
      }
      let tables = ContextTables(fitting: draw(), codeShape: shape, perCell: trial % 2 == 0)
      let symbols = trial == 0 ? [Int32](repeating: Int32.min, count: size * codes) : draw()  // adversarial: all escapes
      var encoder = RANSEncoder()
      tables.encode(symbols, codeShape: shape, into: &encoder)
      let stream = encoder.finish()
      var decoder = try RANSDecoder(stream)
      #expect(try tables.decode(symbols.count, codeShape: shape, from: &decoder) == symbols)
      try decoder.finish()
      // The stream is its cost in bits, plus the coder's 4-byte state and a byte of rounding.
      let bits = tables.cost(of: symbols, codeShape: shape)
      #expect(abs(Double(stream.count * 8) - bits) <= 40, "\(stream.count) bytes for \(bits) bits")
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

  @Test func jsonRoundTripsAndCorruptCountsAreRefused() throws {
    let tables = ContextTables(fitting: [0, 1, -1, 2, 0, 0, 3, 1], codeShape: [2, 2, 1])
    let json = try JSONEncoder().encode(tables)
    #expect(try JSONDecoder().decode(ContextTables.self, from: json) == tables)
    let text = String(decoding: json, as: UTF8.self)
    for corrupt in [text.replacingOccurrences(of: "\"channels\":1", with: "\"channels\":2"),  // counts for one channel
                    text.replacingOccurrences(of: "\"grid\":[2,2]", with: "\"grid\":[2,3]"),  // too few counts for 6 cells
                    text.replacingOccurrences(of: "\"grid\":[2,2]", with: "\"grid\":[0,2]"),
                    text.replacingOccurrences(of: "\"values\":[5]", with: "\"values\":[3]"),
                    text.replacingOccurrences(of: "\"counts\":[[", with: "\"counts\":[[-1,")] {
      #expect(corrupt != text)
      #expect(throws: DecodingError.self) { try JSONDecoder().decode(ContextTables.self, from: Data(corrupt.utf8)) }
    }
  }
}
