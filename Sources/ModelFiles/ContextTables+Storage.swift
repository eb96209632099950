import EntropyCoding
import FileIO
import Foundation

/// A codec's context tables as its model file's `context_tables` metadata holds them: the
/// shape fields as JSON, and the counts, every channel's one after another (`ContextTables.counts`
/// order), as LEB128 varints, zlib-deflated, base64-encoded. A million counts, most of them 0,
/// take a few hundred KB this way and read in milliseconds, where JSON integers took megabytes
/// and most of a second.
struct StoredContextTables: Codable {
  var grid: [Int]?
  /// `Neighbourhood.name`; absent for `.magnitude` (the only one before December 2026).
  var neighbourhood: String?
  /// `ContextTables.priorWeight`; absent for 0 (add-½, the only smoothing before December 2026).
  var priorWeight: Int?
  var channels: Int
  var codes: Int
  var lowest: [Int32]
  var values: [Int]
  var setCounts: [Int]
  var counts: String

  enum CodingKeys: String, CodingKey {
    case grid, neighbourhood, channels, codes, lowest, values, counts
    case setCounts = "set_counts"
    case priorWeight = "prior_weight"
  }

  init(_ tables: ContextTables) {
    (grid, channels, codes, lowest, values, setCounts) = (tables.grid, tables.channels, tables.codes, tables.lowest, tables.values, tables.setCounts)
    neighbourhood = tables.neighbourhood == .magnitude ? nil : tables.neighbourhood.name
    priorWeight = tables.priorWeight == 0 ? nil : tables.priorWeight
    var bytes: [UInt8] = []
    for channel in tables.counts {
      for count in channel { bytes.appendVarint(UInt64(count)) }
    }
    counts = Data(Zlib.deflate(bytes, level: 9)).base64EncodedString()
  }

  /// The tables.
  ///
  /// - Throws: `SafeTensors.Problem` naming what is wrong.
  func tables() throws -> ContextTables {
    func problem(_ text: String) -> SafeTensors.Problem { SafeTensors.Problem("corrupt context_tables metadata: \(text)") }
    guard channels >= 1, channels <= 4096, values.count == channels, (1...ContextTables.maximumSets).contains(setCounts.count),
          values.allSatisfy({ (1...SymbolTable.maximumCount).contains($0) })
    else { throw problem("\(values.count) value counts for \(channels) channels, \(setCounts.count) sets") }
    let cells = grid.map { $0.count == 2 && (1...ContextTables.maximumCells).contains($0[0]) && (1...ContextTables.maximumCells).contains($0[1]) ? $0[0] * $0[1] : 0 } ?? 1
    guard cells >= 1, cells <= ContextTables.maximumCells else { throw problem("a grid of \(grid ?? [])") }
    guard let kind = neighbourhood.map(Neighbourhood.init(name:)) ?? .magnitude else { throw problem("an unknown neighbourhood \"\(neighbourhood!)\"") }
    let perTable = setCounts.count * cells * kind.classes
    let sizes = values.map { ($0 + 1) * perTable }
    let total = sizes.reduce(0, +)
    guard total <= ContextTables.maximumCounts else { throw problem("\(total) counts, more than \(ContextTables.maximumCounts)") }
    guard let deflated = Data(base64Encoded: counts) else { throw problem("counts that are not base64") }
    let bytes: [UInt8]
    do {
      bytes = try Zlib.inflate(deflated, limit: 10 * total)
    } catch {
      throw problem("counts that do not inflate (\(error))")
    }
    var reader = bytes[...]
    var lists: [[Int]] = []
    for size in sizes {
      var list: [Int] = []  // grown as the data holds counts, not as the header declares them
      for _ in 0..<size {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
          guard let byte = reader.popFirst(), shift < 42 else { throw problem("\(total) counts expected, the data ends early or holds a count past 2⁴²") }
          value |= UInt64(byte & 0x7F) << shift
          shift += 7
          if byte & 0x80 == 0 { break }
        }
        list.append(Int(value))
      }
      lists.append(list)
    }
    guard reader.isEmpty else { throw problem("\(reader.count) bytes after the \(total) counts") }
    do {
      return try ContextTables(grid: grid, neighbourhood: kind, priorWeight: priorWeight ?? 0, channels: channels, codes: codes, lowest: lowest, values: values, setCounts: setCounts, counts: lists)
    } catch {
      throw problem(error.description)
    }
  }
}
