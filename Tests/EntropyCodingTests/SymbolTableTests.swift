import Foundation
import Testing

@testable import EntropyCoding

struct SymbolTableTests {
  @Test func countsScaleToTheTotalByHand() throws {
    // 65,532 to share after the 1 each gets: 2/4, 1/4, 1/4 and 0 of it.
    let table = try SymbolTable(lowest: -1, counts: [2, 1, 1, 0])
    #expect(table.frequencies == [32767, 16384, 16384, 1])
    #expect(table.cumulative == [0, 32767, 49151, 65535, 65536])
    #expect(table.count == 3 && table.lowest == -1)
    // 65,531 / 4 rounds down to 16,382, leaving 3 that go to the largest counts, lowest index first.
    let quarters = try SymbolTable(lowest: 0, counts: [1, 1, 1, 1, 0])
    #expect(quarters.frequencies == [16384, 16384, 16384, 16383, 1])
  }

  @Test func everyTableSumsToTheTotalWithNoZeroFrequency() throws {
    var generator = SystemRandomNumberGenerator()
    for trial in 0..<200 {
      let size = trial < 100 ? Int.random(in: 2...20, using: &generator) : Int.random(in: 2...(SymbolTable.maximumCount + 1), using: &generator)
      let counts = (0..<size).map { _ in Bool.random(using: &generator) ? 0 : Int.random(in: 0...(1 << Int.random(in: 0...30, using: &generator)), using: &generator) }
      let table = try SymbolTable(lowest: Int32.random(in: -1000...1000, using: &generator), counts: counts)
      #expect(table.frequencies.reduce(UInt64(0)) { $0 + UInt64($1) } == UInt64(SymbolTable.total))
      #expect(table.frequencies.allSatisfy { $0 >= 1 })
      // Proportional: within 2 of 1 + count · spare / sum (no counts at all: uniform).
      let sum = counts.reduce(0, +), spare = Double(Int(SymbolTable.total) - size)
      for (count, frequency) in zip(counts, table.frequencies) {
        let expected = sum == 0 ? Double(SymbolTable.total) / Double(size) : 1 + Double(count) * spare / Double(sum)
        #expect(abs(Double(frequency) - expected) <= 2, "count \(count) of \(sum): \(frequency) against \(expected)")
      }
    }
  }

  @Test func slotsFindTheirSymbol() throws {
    let table = try SymbolTable(lowest: 5, counts: [0, 7, 0, 0, 100, 3])
    for slot in stride(from: UInt32(0), to: SymbolTable.total, by: 1) {
      let symbol = table.symbol(atSlot: slot)
      #expect(table.cumulative[symbol] <= slot && slot < table.cumulative[symbol + 1])
    }
    #expect(table.symbol(of: 5) == 0 && table.symbol(of: 9) == 4 && table.symbol(of: 10) == 5 && table.symbol(of: 4) == 5)
    #expect(table.symbol(of: .min) == table.escape && table.symbol(of: .max) == table.escape)
  }

  @Test func fittingCountsTheValuesAndEscapesTheFarOnes() throws {
    let (lowest, counts) = SymbolTable.counts(fitting: [3, -2, 3, 0, 3])
    #expect(lowest == -2 && counts == [1, 0, 1, 0, 0, 3, 0])
    // A span wider than the table: the 4,096 values around the median, the rest escapes.
    let wide: [Int32] = [0, 0, 0, 1, 2, 100_000, -50_000]
    let (low, wideCounts) = SymbolTable.counts(fitting: wide)
    #expect(low == -2048 && wideCounts.count == SymbolTable.maximumCount + 1)
    #expect(wideCounts.last == 2 && wideCounts[2048] == 3 && wideCounts[2049] == 1 && wideCounts[2050] == 1)
    #expect(SymbolTable.counts(fitting: []) == (0, [0, 0]))
    // Near the ends of the 32-bit range the window stays inside it.
    let (top, _) = SymbolTable.counts(fitting: [.max, .max - 10_000, .max])
    #expect(Int64(top) + Int64(SymbolTable.maximumCount) - 1 == Int64(Int32.max))
  }

  @Test func costIsMinusLogProbability() throws {
    let table = try SymbolTable(lowest: 0, counts: [2, 1, 1, 0])
    #expect(abs(table.cost(of: 0) - (16 - log2(32767.0))) < 1e-12)
    #expect(table.cost(of: 7) == 16 + 32)  // the escape's frequency is 1
  }

  @Test func badCountsAreRefused() {
    #expect(throws: EntropyCodingError.self) { try SymbolTable(lowest: 0, counts: [5]) }
    #expect(throws: EntropyCodingError.self) { try SymbolTable(lowest: 0, counts: [Int](repeating: 1, count: SymbolTable.maximumCount + 2)) }
    #expect(throws: EntropyCodingError.self) { try SymbolTable(lowest: 0, counts: [1, -1, 1]) }
    #expect(throws: EntropyCodingError.self) { try SymbolTable(lowest: 0, counts: [SymbolTable.maximumTotalCount, 1]) }
    #expect(throws: EntropyCodingError.self) { try SymbolTable(lowest: .max, counts: [1, 1, 0]) }
    #expect(throws: Never.self) { try SymbolTable(lowest: .max, counts: [1, 0]) }
  }
}
