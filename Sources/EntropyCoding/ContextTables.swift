/// Probability tables for the symbols of codes laid out `[height, width, channels]` (raster order,
/// channels innermost), each symbol coded under the table of its context: its channel, its cell
/// (row and column, for tables fitted to codes of one grid; none for tables of any grid), and its
/// neighbourhood, `min(|left| + |above|, 3)` of the same channel's symbols coded before it (0 off
/// the grid). A context is an integer function of symbols already decoded, so a decoder picks the
/// table its encoder picked on any machine.
///
/// Fitted to a training set's codes, such tables code a rate-trained codec's Fashion-MNIST codes
/// in 9 to 12% fewer bits than one table per channel: an object's code is larger where the
/// object usually is, and next to large values.
public struct ContextTables: Equatable, Sendable {
  /// Neighbourhood classes: `min(|left| + |above|, neighbourhoods - 1)`.
  public static let neighbourhoods = 4
  /// The most cells a table set keeps apart (beyond them `fitting` fits tables of any grid).
  public static let maximumCells = 1024

  /// The code grid `[height, width]` the tables are per cell of, or nil for tables of any grid.
  public let grid: [Int]?
  public let channels: Int
  /// How many codes the tables were counted from.
  public let codes: Int
  /// Each channel's first value with its own frequency.
  public let lowest: [Int32]
  /// Each channel's number of values with their own frequency (from `lowest` on).
  public let values: [Int]
  /// Each channel's occurrence counts, table after table (cell by cell, then neighbourhood by
  /// neighbourhood), each the counts of the channel's values from `lowest`, then its escapes
  /// (values outside the range).
  public let counts: [[Int]]
  /// The tables, `(cell · channels + channel) · neighbourhoods + neighbourhood`; each value's
  /// frequency comes from twice its count plus one, so a value never seen still codes.
  let tables: [SymbolTable]

  /// The number of cells the tables keep apart (1 for tables of any grid).
  public var cells: Int { grid.map { $0[0] * $0[1] } ?? 1 }

  /// Tables from counts as `counts` holds them.
  ///
  /// - Throws: `EntropyCodingError.table` when the grid, channels or counts do not fit together
  ///   or a channel's counts are not tables (`SymbolTable(lowest:counts:)`).
  public init(grid: [Int]?, channels: Int, codes: Int, lowest: [Int32], values: [Int], counts: [[Int]]) throws(EntropyCodingError) {
    if let grid {
      guard grid.count == 2, grid.allSatisfy({ $0 >= 1 }), grid[0] <= Self.maximumCells, grid[0] * grid[1] <= Self.maximumCells else {
        throw .table("a grid of \(grid); context tables keep 1 to \(Self.maximumCells) cells apart")
      }
    }
    guard (1...4096).contains(channels), lowest.count == channels, values.count == channels, counts.count == channels, codes >= 0 else {
      throw .table("\(lowest.count) lowest values, \(values.count) value counts and \(counts.count) count lists for \(channels) channels")
    }
    let groups = (grid.map { $0[0] * $0[1] } ?? 1) * Self.neighbourhoods
    var tables = [SymbolTable?](repeating: nil, count: groups * channels)
    for channel in 0..<channels {
      guard (1...SymbolTable.maximumCount).contains(values[channel]), counts[channel].count == (values[channel] + 1) * groups else {
        throw .table("channel \(channel): \(counts[channel].count) counts for \(groups) tables of \(values[channel]) values and an escape")
      }
      let perTable = values[channel] + 1
      for group in 0..<groups {
        let occurrences = counts[channel][(group * perTable)..<((group + 1) * perTable)]
        guard occurrences.allSatisfy({ $0 >= 0 && $0 <= SymbolTable.maximumTotalCount / 4 }) else {
          throw .table("channel \(channel): a count that is negative or past \(SymbolTable.maximumTotalCount / 4)")
        }
        let cell = group / Self.neighbourhoods, neighbourhood = group % Self.neighbourhoods
        tables[(cell * channels + channel) * Self.neighbourhoods + neighbourhood] =
          try SymbolTable(lowest: lowest[channel], counts: occurrences.map { 2 * $0 + 1 })
      }
    }
    (self.grid, self.channels, self.codes, self.lowest, self.values, self.counts) = (grid, channels, codes, lowest, values, counts)
    self.tables = tables.map { $0! }
  }

  /// Tables counted from `symbols`, codes of shape `codeShape` (`[height, width, channels]`) one
  /// after another: per cell where the grid has at most `maximumCells` cells and `perCell`, else
  /// for any grid. Each channel's range is what `SymbolTable.counts(fitting:)` gives its values.
  public init(fitting symbols: [Int32], codeShape: [Int], perCell: Bool = true) {
    precondition(codeShape.count == 3 && codeShape.allSatisfy { $0 >= 1 }, "codes are [height, width, channels]")
    let (height, width, channels) = (codeShape[0], codeShape[1], codeShape[2])
    let size = height * width * channels
    precondition(symbols.count % size == 0, "\(symbols.count) symbols are not whole codes of \(codeShape)")
    let grid = perCell && height * width <= Self.maximumCells ? [height, width] : nil
    let cells = grid == nil ? 1 : height * width
    var lowest = [Int32](), perTable = [Int](), counts = [[Int]]()
    var channelSymbols = [Int32](repeating: 0, count: symbols.count / channels)
    for channel in 0..<channels {
      for index in channelSymbols.indices { channelSymbols[index] = symbols[index * channels + channel] }
      let (low, range) = SymbolTable.counts(fitting: channelSymbols)
      lowest.append(low)
      perTable.append(range.count)
      counts.append([Int](repeating: 0, count: cells * Self.neighbourhoods * range.count))
    }
    symbols.withUnsafeBufferPointer { symbols in
      Self.walk(symbols, codeShape: codeShape) { index, cell, channel, neighbourhood in
        let offset = Int64(symbols[index]) - Int64(lowest[channel]), slots = perTable[channel]
        let slot = offset >= 0 && offset < Int64(slots - 1) ? Int(offset) : slots - 1
        counts[channel][((grid == nil ? 0 : cell) * Self.neighbourhoods + neighbourhood) * slots + slot] += 1
      }
    }
    try! self.init(grid: grid, channels: channels, codes: symbols.count / size, lowest: lowest, values: perTable.map { $0 - 1 }, counts: counts)
  }

  /// For people: "per cell of a 7×7 code and neighbourhood, 16 channels, counted from 60000 codes".
  public var summary: String {
    (grid.map { "per cell of a \($0[0])×\($0[1]) code and neighbourhood" } ?? "per neighbourhood, for codes of any size")
      + ", \(channels) channels, counted from \(codes) codes"
  }

  /// Whether the tables code codes of `codeShape`: of their channels, and of their grid if they have one.
  public func applies(to codeShape: [Int]) -> Bool {
    codeShape.count == 3 && codeShape[2] == channels && (grid == nil || grid! == Array(codeShape.prefix(2)))
  }

  /// Adds `symbols` (whole codes of `codeShape`, which the tables apply to) to `encoder`, each
  /// under its context's table.
  public func encode(_ symbols: [Int32], codeShape: [Int], into encoder: inout RANSEncoder) {
    precondition(applies(to: codeShape))
    symbols.withUnsafeBufferPointer { symbols in
      Self.walk(symbols, codeShape: codeShape) { index, cell, channel, neighbourhood in
        encoder.encode(symbols[index], with: table(cell: cell, channel: channel, neighbourhood: neighbourhood))
      }
    }
  }

  /// `count` symbols (whole codes of `codeShape`, which the tables apply to) decoded from `decoder`.
  ///
  /// - Throws: `EntropyCodingError` when the stream runs out.
  public func decode(_ count: Int, codeShape: [Int], from decoder: inout RANSDecoder) throws(EntropyCodingError) -> [Int32] {
    precondition(applies(to: codeShape))
    var symbols = [Int32](repeating: 0, count: count)
    var failure: EntropyCodingError?
    // `walk` reads only symbols before `index`, which are decoded by then.
    symbols.withUnsafeMutableBufferPointer { out in
      Self.walk(UnsafeBufferPointer(out), codeShape: codeShape) { index, cell, channel, neighbourhood in
        guard failure == nil else { return }
        do {
          out[index] = try decoder.decode(with: table(cell: cell, channel: channel, neighbourhood: neighbourhood))
        } catch let error as EntropyCodingError {
          failure = error
        } catch {}
      }
    }
    if let failure { throw failure }
    return symbols
  }

  /// The bits `symbols` (whole codes of `codeShape`) cost under the tables.
  public func cost(of symbols: [Int32], codeShape: [Int]) -> Double {
    precondition(applies(to: codeShape))
    var bits = 0.0
    symbols.withUnsafeBufferPointer { symbols in
      Self.walk(symbols, codeShape: codeShape) { index, cell, channel, neighbourhood in
        bits += table(cell: cell, channel: channel, neighbourhood: neighbourhood).cost(of: symbols[index])
      }
    }
    return bits
  }

  @inline(__always) func table(cell: Int, channel: Int, neighbourhood: Int) -> SymbolTable {
    tables[((grid == nil ? 0 : cell) * channels + channel) * Self.neighbourhoods + neighbourhood]
  }

  /// Calls `body(index, cell, channel, neighbourhood)` for every symbol of `symbols` in order; the
  /// neighbourhood reads only symbols before `index`.
  @inline(__always) static func walk(_ symbols: UnsafeBufferPointer<Int32>, codeShape: [Int],
                                     _ body: (_ index: Int, _ cell: Int, _ channel: Int, _ neighbourhood: Int) -> Void) {
    let (height, width, channels) = (codeShape[0], codeShape[1], codeShape[2])
    let rowStride = width * channels, size = height * rowStride
    precondition(symbols.count % size == 0)
    @inline(__always) func magnitude(_ index: Int) -> Int { Int(symbols[index].magnitude) }
    var index = 0
    for _ in 0..<(symbols.count / size) {
      for row in 0..<height {
        for column in 0..<width {
          let cell = row * width + column
          for channel in 0..<channels {
            let left = column > 0 ? magnitude(index - channels) : 0
            let above = row > 0 ? magnitude(index - rowStride) : 0
            body(index, cell, channel, min(left + above, neighbourhoods - 1))
            index += 1
          }
        }
      }
    }
  }
}

extension ContextTables: Codable {
  enum CodingKeys: String, CodingKey { case grid, channels, codes, lowest, values, counts }

  /// `{"grid": [7, 7], "channels": 16, "codes": 60000, "lowest": [...], "values": [...], "counts": [[...], ...]}`
  /// (no grid for tables of any grid); decoding checks them as `init(grid:channels:codes:lowest:values:counts:)` does.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    do {
      try self.init(grid: try container.decodeIfPresent([Int].self, forKey: .grid), channels: try container.decode(Int.self, forKey: .channels),
                    codes: try container.decode(Int.self, forKey: .codes), lowest: try container.decode([Int32].self, forKey: .lowest),
                    values: try container.decode([Int].self, forKey: .values), counts: try container.decode([[Int]].self, forKey: .counts))
    } catch let error as EntropyCodingError {
      throw DecodingError.dataCorruptedError(forKey: .counts, in: container, debugDescription: error.description)
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encodeIfPresent(grid, forKey: .grid)
    try container.encode(channels, forKey: .channels)
    try container.encode(codes, forKey: .codes)
    try container.encode(lowest, forKey: .lowest)
    try container.encode(values, forKey: .values)
    try container.encode(counts, forKey: .counts)
  }
}
