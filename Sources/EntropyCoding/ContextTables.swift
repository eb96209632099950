import Foundation

/// Probability tables for the symbols of codes laid out `[height, width, channels]` (raster order,
/// channels innermost), each symbol coded under the table of its context: its channel, its cell
/// (row and column, for tables fitted to codes of one grid; none for tables of any grid), and its
/// neighbourhood's class (`Neighbourhood`), of the same channel's symbols left of it and above it,
/// coded before it (0 off the grid). A context is an integer function of symbols already decoded,
/// so a decoder picks the table its encoder picked on any machine.
///
/// With several **sets** of such tables, each code is coded under the set that codes it in the
/// fewest bits, its index first (under a table of how often each set was chosen in fitting): a
/// forward-adapted choice, like a class per image, that the encoder makes and the decoder reads.
/// Fitting finds the sets as k-means does: codes assigned to sets (first at random), each set's
/// tables counted from its codes, each code moved to its cheapest set, until none moves.
///
/// Fitted to a training set's codes, one set of magnitude tables codes a rate-trained codec's
/// Fashion-MNIST test codes in 10 to 12% fewer bits than its density's one table per channel (an
/// object's code is larger where objects usually are, and next to large values), 16 sets in 22 to
/// 29% fewer; 16 sets of signed tables smoothed toward their pooled table in 23 to 34% fewer.
public struct ContextTables: Equatable, Sendable {
  /// The most cells a table set keeps apart (beyond them `fitting` fits tables of any grid).
  public static let maximumCells = 1024
  public static let maximumSets = 256
  /// The sets `fit-tables` and a codec's training fit.
  public static let defaultSets = 16
  /// The most occurrences one value of one table counts: its weight (`weights`, at most about
  /// 2⁴³), over a table's 4,097 values, stays within what `SymbolTable.normalized` scales exactly.
  public static let maximumOccurrences = 1 << 27
  /// The most counts a set of tables holds in all (16 sets of a 7×7×16 code take about a million).
  public static let maximumCounts = 1 << 24
  /// The neighbourhood and prior weight `fit-tables` and a codec's training fit: the fewest bits
  /// on Fashion-MNIST's codecs of those tried (magnitude, signed ±1 to ±3; α 0 and 1 to 1024).
  public static let defaultNeighbourhood = Neighbourhood.signed(limit: 2)
  public static let defaultPriorWeight = 16
  public static let maximumPriorWeight = 1 << 16
  /// How many times fitting moves codes between sets at most.
  static let fittingRounds = 12

  /// The code grid `[height, width]` the tables are per cell of, or nil for tables of any grid.
  public let grid: [Int]?
  /// How a symbol's left and above neighbours pick its table.
  public let neighbourhood: Neighbourhood
  /// How tables are smoothed (`weights`): 0, add-½ over their values (the tables before December
  /// 2026); α > 0, α occurrences' worth of their context's table pooled over the sets.
  public let priorWeight: Int
  public let channels: Int
  /// How many codes the tables were counted from.
  public let codes: Int
  /// Each channel's first value with its own frequency.
  public let lowest: [Int32]
  /// Each channel's number of values with their own frequency (from `lowest` on).
  public let values: [Int]
  /// How many of the fitted codes each set coded (one entry per set).
  public let setCounts: [Int]
  /// Each channel's occurrence counts, table after table (set by set, cell by cell, then
  /// neighbourhood class by class), each the counts of the channel's `values` values from
  /// `lowest`, then its escapes (values outside the range).
  public let counts: [[Int]]
  /// The tables, `((set · cells + cell) · channels + channel) · classes + class`,
  /// one after another in `frequencies` (each value's frequency, `SymbolTable.normalized` of its
  /// weight, `weights`, never 0, so a value never seen still codes; the escape's last) and `cumulative`
  /// (one entry more per table), from `starts[table]` and `starts[table] + table`.
  let frequencies: [UInt32]
  let cumulative: [UInt32]
  let starts: [Int]
  /// The set index's table (several sets), made the same way from `setCounts`.
  let setTable: SymbolTable?
  /// With several sets, each table's bits per value (escapes' 32 raw bits included), at
  /// `starts[table]`: the encoder's costs for its choice of set.
  let bits: [Float]

  /// The number of cells the tables keep apart (1 for tables of any grid).
  public var cells: Int { grid.map { $0[0] * $0[1] } ?? 1 }
  public var sets: Int { setCounts.count }

  /// Tables from counts as `counts` holds them.
  ///
  /// - Throws: `EntropyCodingError.table` when the grid, channels, sets or counts do not fit
  ///   together or a channel's counts are not tables (`SymbolTable(lowest:counts:)`).
  public init(grid: [Int]?, neighbourhood: Neighbourhood = .magnitude, priorWeight: Int = 0, channels: Int, codes: Int, lowest: [Int32],
              values: [Int], setCounts: [Int], counts: [[Int]]) throws(EntropyCodingError)
  {
    let classes = neighbourhood.classes
    guard (0...Self.maximumPriorWeight).contains(priorWeight) else { throw .table("a prior weight of \(priorWeight) (0 to \(Self.maximumPriorWeight))") }
    if case .signed(let limit) = neighbourhood, !(1...Neighbourhood.maximumLimit).contains(limit) {
      throw .table("a signed neighbourhood clamped to ±\(limit) (1 to \(Neighbourhood.maximumLimit))")
    }
    if let grid {
      guard grid.count == 2, grid.allSatisfy({ $0 >= 1 }), grid[0] <= Self.maximumCells, grid[0] * grid[1] <= Self.maximumCells else {
        throw .table("a grid of \(grid); context tables keep 1 to \(Self.maximumCells) cells apart")
      }
    }
    guard (1...4096).contains(channels), lowest.count == channels, values.count == channels, counts.count == channels, codes >= 0 else {
      throw .table("\(lowest.count) lowest values, \(values.count) value counts and \(counts.count) count lists for \(channels) channels")
    }
    guard (1...Self.maximumSets).contains(setCounts.count), setCounts.allSatisfy({ $0 >= 0 && $0 <= Self.maximumOccurrences }) else {
      throw .table("\(setCounts.count) sets (1 to \(Self.maximumSets)) or a set count out of range")
    }
    guard counts.reduce(0, { $0 + $1.count }) <= Self.maximumCounts else { throw .table("more than \(Self.maximumCounts) counts") }
    let sets = setCounts.count
    let cells = grid.map { $0[0] * $0[1] } ?? 1
    let groups = cells * classes
    for channel in 0..<channels {
      guard (1...SymbolTable.maximumCount).contains(values[channel]), counts[channel].count == (values[channel] + 1) * groups * sets else {
        throw .table("channel \(channel): \(counts[channel].count) counts for \(sets * groups) tables of \(values[channel]) values and an escape")
      }
      guard counts[channel].allSatisfy({ $0 >= 0 && $0 <= Self.maximumOccurrences }) else {
        throw .table("channel \(channel): a count that is negative or past \(Self.maximumOccurrences)")
      }
      guard Int64(lowest[channel]) + Int64(values[channel] - 1) <= Int64(Int32.max) else { throw .table("values beyond the 32-bit range") }
    }
    var frequencies = [UInt32](), cumulative = [UInt32](), starts = [Int]()
    let tableCount = sets * groups * channels
    let pooled = priorWeight == 0 ? [] : (0..<channels).map { Self.pooled(counts[$0], sets: sets, values: values[$0]) }
    for table in 0..<tableCount {
      let (channel, neighbour) = (table / classes % channels, table % classes)
      let (set, cell) = (table / (classes * channels) / cells, table / (classes * channels) % cells)
      let perTable = values[channel] + 1
      let first = ((set * cells + cell) * classes + neighbour) * perTable
      starts.append(frequencies.count)
      let prior = (cell * classes + neighbour) * perTable
      let tableFrequencies = SymbolTable.normalized(
        Self.weights(counts[channel][first..<(first + perTable)], prior: priorWeight == 0 ? nil : pooled[channel][prior..<(prior + perTable)], priorWeight: priorWeight))
      frequencies += tableFrequencies
      var running: UInt32 = 0
      cumulative.append(0)
      for frequency in tableFrequencies {
        running += frequency
        cumulative.append(running)
      }
    }
    (self.grid, self.neighbourhood, self.channels, self.codes, self.lowest, self.values, self.counts) = (grid, neighbourhood, channels, codes, lowest, values, counts)
    self.priorWeight = priorWeight
    (self.setCounts, self.frequencies, self.cumulative, self.starts) = (setCounts, frequencies, cumulative, starts)
    setTable = sets == 1 ? nil : try SymbolTable(lowest: 0, counts: setCounts.map { 2 * $0 + 1 } + [0])
    var bits = [Float]()
    if sets > 1 {
      bits.reserveCapacity(frequencies.count)
      for table in 0..<tableCount {
        let escape = starts[table] + values[table / classes % channels]
        for slot in starts[table]...escape {
          bits.append(Float(SymbolTable.precisionBits) - log2(Float(frequencies[slot])) + (slot == escape ? 32 : 0))
        }
      }
    }
    self.bits = bits
  }

  /// Tables counted from `symbols`, codes of shape `codeShape` (`[height, width, channels]`) one
  /// after another: per cell where the grid has at most `maximumCells` cells and `perCell`, else
  /// for any grid; `sets` sets of them (at most one per code); `neighbourhood`'s classes. Each
  /// channel's range is what `SymbolTable.counts(fitting:)` gives its values.
  ///
  /// Tables hold at most `maximumCounts` counts: where one set of them would hold more, tables of
  /// any grid are fitted, then of the magnitude neighbourhood, then of narrower ranges (the values
  /// beyond them escapes); and as many sets as fit. The tables say what they are.
  public init(fitting symbols: [Int32], codeShape: [Int], perCell: Bool = true, sets: Int = 1, neighbourhood: Neighbourhood = .magnitude,
              priorWeight: Int = 0) {
    precondition(codeShape.count == 3 && codeShape.allSatisfy { $0 >= 1 }, "codes are [height, width, channels]")
    precondition((1...Self.maximumSets).contains(sets))
    let (height, width, channels) = (codeShape[0], codeShape[1], codeShape[2])
    let size = height * width * channels, codes = symbols.count / size
    precondition(symbols.count % size == 0, "\(symbols.count) symbols are not whole codes of \(codeShape)")
    var lowest = [Int32](), slots = [Int]()
    var channelSymbols = [Int32](repeating: 0, count: symbols.count / channels)
    for channel in 0..<channels {
      for index in channelSymbols.indices { channelSymbols[index] = symbols[index * channels + channel] }
      let (low, range) = SymbolTable.counts(fitting: channelSymbols)
      lowest.append(low)
      slots.append(range.count)
    }
    var grid = perCell && height * width <= Self.maximumCells ? [height, width] : nil, neighbourhood = neighbourhood
    func countsPerSet() -> Int { (grid == nil ? 1 : height * width) * neighbourhood.classes * slots.reduce(0, +) }
    if countsPerSet() > Self.maximumCounts { grid = nil }
    if countsPerSet() > Self.maximumCounts { neighbourhood = .magnitude }
    if countsPerSet() > Self.maximumCounts {
      let most = max(2, Self.maximumCounts / (neighbourhood.classes * channels))
      slots = slots.map { min($0, most) }
    }
    let cells = grid == nil ? 1 : height * width
    let sets = max(1, min(sets, codes, Self.maximumCounts / countsPerSet())), classes = neighbourhood.classes
    // Each symbol's place among one set's counts: its table's first count plus its value's index.
    let perSet = cells * channels * classes
    var offsets = [Int](), setSize = 0
    for table in 0..<perSet {
      offsets.append(setSize)
      setSize += slots[table / classes % channels]
    }
    var places = [Int32](repeating: 0, count: symbols.count)
    symbols.withUnsafeBufferPointer { symbols in
      for code in 0..<codes {
        Self.walk(symbols, code: code, codeShape: codeShape, neighbourhood: neighbourhood) { index, cell, channel, neighbour in
          let slot = Self.slot(of: symbols[index], lowest: lowest[channel], values: slots[channel] - 1)
          let table = ((grid == nil ? 0 : cell) * channels + channel) * classes + neighbour
          places[index] = Int32(offsets[table] + slot)
        }
      }
    }
    // First sets at random (a hash of each code's number, so the same codes give the same tables).
    var assignment = (0..<codes).map { code in
      var hash = UInt64(code) &* 0x9E37_79B9_7F4A_7C15
      hash = (hash ^ hash >> 31) &* 0xBF58_476D_1CE4_E5B9
      return Int((hash ^ hash >> 29) % UInt64(sets))
    }
    var flat = [Int](repeating: 0, count: sets * setSize)
    for code in 0..<codes {
      let base = assignment[code] * setSize
      for index in (code * size)..<((code + 1) * size) { flat[base + Int(places[index])] += 1 }
    }
    if sets > 1 {
      // Each place's bits under every set, side by side (rows padded to whole vectors of 16): a
      // code's costs add one row per symbol, 16 sets to a register.
      let row = (sets + 15) / 16 * 16
      var bits = [Float](repeating: 0, count: setSize * row)
      var costs = [Float](repeating: 0, count: row)
      // The tables pooled over the sets, which no move changes (flat's layout, one set's worth).
      var prior = [UInt32](repeating: 0, count: setSize)
      if priorWeight > 0 {
        for table in 0..<perSet {
          let start = offsets[table], end = start + slots[table / classes % channels]
          var sums = [Int](repeating: 0, count: end - start)
          for set in 0..<sets {
            for index in start..<end { sums[index - start] += flat[set * setSize + index] }
          }
          prior.replaceSubrange(start..<end, with: Self.pooledFrequencies(sums[...]))
        }
      }
      for _ in 0..<Self.fittingRounds {
        // Each table's bits per value under its smoothed counts (`weights`).
        for table in 0..<(sets * perSet) {
          let start = table / perSet * setSize + offsets[table % perSet], end = start + slots[table % perSet / classes % channels]
          let first = offsets[table % perSet] - start  // the prior's index of flat's
          @inline(__always) func weight(_ index: Int) -> Int {
            Self.weight(flat[index], prior: priorWeight == 0 ? nil : prior[first + index], priorWeight: priorWeight)
          }
          let total = log2(Float((start..<end).reduce(0) { $0 + weight($1) }))
          let set = table / perSet
          for index in start..<end { bits[(index - set * setSize) * row + set] = total - log2(Float(weight(index))) }
        }
        // Each code to its cheapest set; a code that moves takes its counts along.
        var moved = 0
        bits.withUnsafeBufferPointer { bits in
          places.withUnsafeBufferPointer { places in
            costs.withUnsafeMutableBufferPointer { costs in
              flat.withUnsafeMutableBufferPointer { flat in
                for code in 0..<codes {
                  let symbols = places[(code * size)..<((code + 1) * size)]
                  for first in stride(from: 0, to: row, by: 16) {
                    var sums = SIMD16<Float>()
                    for place in symbols { sums += UnsafeRawPointer(bits.baseAddress! + Int(place) * row + first).loadUnaligned(as: SIMD16<Float>.self) }
                    UnsafeMutableRawPointer(costs.baseAddress! + first).storeBytes(of: sums, as: SIMD16<Float>.self)
                  }
                  let best = (0..<sets).min { (costs[$0], $0) < (costs[$1], $1) }!
                  guard best != assignment[code] else { continue }
                  let (from, to) = (assignment[code] * setSize, best * setSize)
                  for place in symbols {
                    flat[from + Int(place)] -= 1
                    flat[to + Int(place)] += 1
                  }
                  (assignment[code], moved) = (best, moved + 1)
                }
              }
            }
          }
        }
        if moved == 0 { break }
      }
    }
    var counts = slots.map { [Int](repeating: 0, count: sets * cells * classes * $0) }
    for set in 0..<sets {
      for table in 0..<perSet {
        let (channel, cell, neighbour) = (table / classes % channels, table / (classes * channels), table % classes)
        let target = ((set * cells + cell) * classes + neighbour) * slots[channel]
        for slot in 0..<slots[channel] { counts[channel][target + slot] = flat[set * setSize + offsets[table] + slot] }
      }
    }
    var setCounts = [Int](repeating: 0, count: sets)
    for set in assignment { setCounts[set] += 1 }
    try! self.init(grid: grid, neighbourhood: neighbourhood, priorWeight: priorWeight, channels: channels, codes: codes, lowest: lowest, values: slots.map { $0 - 1 }, setCounts: setCounts, counts: counts)
  }

  /// For people: "16 sets per cell of a 7×7 code and neighbourhood, 16 channels, counted from 60000 codes"
  /// ("signed neighbourhood (±2)" for `.signed(limit: 2)`).
  public var summary: String {
    let neighbours = neighbourhood == .magnitude ? "neighbourhood" : "signed neighbourhood (±\(neighbourhood.limit))"
    return (sets > 1 ? "\(sets) sets " : "")
      + (grid.map { "per cell of a \($0[0])×\($0[1]) code and \(neighbours)" } ?? "per \(neighbours), for codes of any size")
      + ", \(channels) channels, counted from \(codes) codes"
  }

  /// Whether the tables code codes of `codeShape`: of their channels, and of their grid if they have one.
  public func applies(to codeShape: [Int]) -> Bool {
    codeShape.count == 3 && codeShape[2] == channels && (grid == nil || grid! == Array(codeShape.prefix(2)))
  }

  /// Adds `symbols` (whole codes of `codeShape`, which the tables apply to) to `encoder`: each
  /// code's set index (with several sets: the set that codes it in the fewest bits), then its
  /// symbols, each under its context's table (a value outside its channel's range as the escape
  /// and its 32 bits).
  public func encode(_ symbols: [Int32], codeShape: [Int], into encoder: inout RANSEncoder) {
    precondition(applies(to: codeShape))
    var costs = [Float](repeating: 0, count: sets)
    let setSpan = frequencies.count / sets
    symbols.withUnsafeBufferPointer { symbols in
      for code in 0..<(symbols.count / codeShape.reduce(1, *)) {
        var set = 0
        if let setTable {
          for index in costs.indices { costs[index] = 0 }
          Self.walk(symbols, code: code, codeShape: codeShape, neighbourhood: neighbourhood) { index, cell, channel, neighbours in
            let place = starts[tableIndex(set: 0, cell: cell, channel: channel, neighbours: neighbours)] + slot(of: symbols[index], channel: channel)
            for set in 0..<sets { costs[set] += bits[set * setSpan + place] }
          }
          set = costs.indices.min { (costs[$0], $0) < (costs[$1], $1) }!
          encoder.encode(Int32(set), with: setTable)
        }
        Self.walk(symbols, code: code, codeShape: codeShape, neighbourhood: neighbourhood) { index, cell, channel, neighbours in
          let table = tableIndex(set: set, cell: cell, channel: channel, neighbours: neighbours)
          let slot = slot(of: symbols[index], channel: channel)
          encoder.encode(start: cumulative[starts[table] + table + slot], frequency: frequencies[starts[table] + slot])
          if slot == values[channel] {
            encoder.encodeRaw(UInt32(bitPattern: symbols[index]) >> 16)
            encoder.encodeRaw(UInt32(bitPattern: symbols[index]))
          }
        }
      }
    }
  }

  /// `count` symbols (whole codes of `codeShape`, which the tables apply to) decoded from `decoder`.
  ///
  /// - Throws: `EntropyCodingError` when the stream runs out or names a set the tables lack.
  public func decode(_ count: Int, codeShape: [Int], from decoder: inout RANSDecoder) throws(EntropyCodingError) -> [Int32] {
    precondition(applies(to: codeShape))
    var symbols = [Int32](repeating: 0, count: count)
    var failure: EntropyCodingError?
    cumulative.withUnsafeBufferPointer { cumulative in
      symbols.withUnsafeMutableBufferPointer { out in
        for code in 0..<(count / codeShape.reduce(1, *)) {
          var set = 0
          if let setTable {
            do {
              let index = try decoder.decode(with: setTable)
              guard index >= 0 && Int(index) < sets else { throw EntropyCodingError.corrupt("set \(index) of \(sets)") }
              set = Int(index)
            } catch let error as EntropyCodingError {
              failure = error
              return
            } catch {}
          }
          // `walk` reads only symbols before `index`, which are decoded by then.
          Self.walk(UnsafeBufferPointer(out), code: code, codeShape: codeShape, neighbourhood: neighbourhood) { index, cell, channel, neighbours in
            guard failure == nil else { return }
            let table = tableIndex(set: set, cell: cell, channel: channel, neighbours: neighbours)
            let first = starts[table] + table
            do {
              let slot = try decoder.decode(cumulative: UnsafeBufferPointer(rebasing: cumulative[first...(first + values[channel] + 1)]))
              if slot < values[channel] {
                out[index] = lowest[channel] &+ Int32(slot)
              } else {
                let high = try decoder.decodeRaw(), low = try decoder.decodeRaw()
                out[index] = Int32(bitPattern: high << 16 | low)
              }
            } catch let error as EntropyCodingError {
              failure = error
            } catch {}
          }
          if failure != nil { return }
        }
      }
    }
    if let failure { throw failure }
    return symbols
  }

  /// The bits `symbols` (whole codes of `codeShape`) cost as `encode` codes them.
  public func cost(of symbols: [Int32], codeShape: [Int]) -> Double {
    precondition(applies(to: codeShape))
    var bits = 0.0
    symbols.withUnsafeBufferPointer { symbols in
      for code in 0..<(symbols.count / codeShape.reduce(1, *)) {
        var best = Double.infinity
        for set in 0..<sets {
          var total = setTable?.cost(of: Int32(set)) ?? 0
          Self.walk(symbols, code: code, codeShape: codeShape, neighbourhood: neighbourhood) { index, cell, channel, neighbours in
            let table = tableIndex(set: set, cell: cell, channel: channel, neighbours: neighbours)
            let slot = slot(of: symbols[index], channel: channel)
            total += Double(SymbolTable.precisionBits) - log2(Double(frequencies[starts[table] + slot])) + (slot == values[channel] ? 32 : 0)
          }
          best = min(best, total)
        }
        bits += best
      }
    }
    return bits
  }

  /// The frequencies of one table (`neighbours` its neighbourhood class), its escape's last.
  public func frequencies(set: Int, cell: Int, channel: Int, neighbours: Int) -> ArraySlice<UInt32> {
    let table = tableIndex(set: set, cell: cell, channel: channel, neighbours: neighbours)
    return frequencies[starts[table]...(starts[table] + values[channel])]
  }

  /// The weights a table's frequencies are `SymbolTable.normalized` from, one per value and the
  /// escape's: with no `prior`, twice each count plus one (add-½); with one (the frequencies of
  /// the table of the same cell, channel and class pooled over the sets), each count times
  /// `SymbolTable.total` plus `priorWeight` times the value's pooled frequency: a table seen
  /// a few times leans on what all sets saw there, not on every value alike. Integers only.
  static func weights(_ counts: ArraySlice<Int>, prior: ArraySlice<UInt32>?, priorWeight: Int) -> [Int] {
    guard let prior else { return counts.map { weight($0, prior: nil, priorWeight: 0) } }
    return zip(counts, prior).map { weight($0, prior: $1, priorWeight: priorWeight) }
  }

  /// One value's weight (`weights`): its count's, and its pooled frequency's where there is a prior.
  @inline(__always) static func weight(_ count: Int, prior: UInt32?, priorWeight: Int) -> Int {
    guard let prior else { return 2 * count + 1 }
    return count * Int(SymbolTable.total) + priorWeight * Int(prior)
  }

  /// A channel's tables (`counts`, of `values` values and the escape each, set after set) pooled
  /// over the sets: each cell's and class's frequencies from twice the sum of its counts plus one.
  static func pooled(_ counts: [Int], sets: Int, values: Int) -> [UInt32] {
    let perTable = values + 1, perSet = counts.count / sets
    var sums = [Int](repeating: 0, count: perSet)
    for set in 0..<sets {
      for index in sums.indices { sums[index] += counts[set * perSet + index] }
    }
    return stride(from: 0, to: perSet, by: perTable).flatMap { pooledFrequencies(sums[$0..<($0 + perTable)]) }
  }

  /// A pooled table's frequencies from its counts summed over the sets: add-½.
  static func pooledFrequencies(_ sums: ArraySlice<Int>) -> [UInt32] { SymbolTable.normalized(sums.map { 2 * $0 + 1 }) }

  /// The index of `value` in its channel's tables: its own, or the escape's (`values[channel]`).
  @inline(__always) func slot(of value: Int32, channel: Int) -> Int {
    Self.slot(of: value, lowest: lowest[channel], values: values[channel])
  }

  /// The index of `value` among `values` values from `lowest`, or the escape's (`values`).
  @inline(__always) static func slot(of value: Int32, lowest: Int32, values: Int) -> Int {
    let offset = Int64(value) - Int64(lowest)
    return offset >= 0 && offset < Int64(values) ? Int(offset) : values
  }

  @inline(__always) func tableIndex(set: Int, cell: Int, channel: Int, neighbours: Int) -> Int {
    ((set * cells + (grid == nil ? 0 : cell)) * channels + channel) * neighbourhood.classes + neighbours
  }

  /// Calls `body(index, cell, channel, class)` for every symbol of code number `code` of `symbols`
  /// in order, `class` its neighbourhood's; the neighbourhood reads only symbols before `index`.
  @inline(__always) static func walk(_ symbols: UnsafeBufferPointer<Int32>, code: Int, codeShape: [Int], neighbourhood: Neighbourhood,
                                     _ body: (_ index: Int, _ cell: Int, _ channel: Int, _ neighbours: Int) -> Void) {
    let (height, width, channels) = (codeShape[0], codeShape[1], codeShape[2])
    let rowStride = width * channels
    precondition((code + 1) * height * rowStride <= symbols.count)
    var index = code * height * rowStride
    for row in 0..<height {
      for column in 0..<width {
        let cell = row * width + column
        for channel in 0..<channels {
          let left = column > 0 ? symbols[index - channels] : 0
          let above = row > 0 ? symbols[index - rowStride] : 0
          body(index, cell, channel, neighbourhood.class(left: left, above: above))
          index += 1
        }
      }
    }
  }
}

/// What a symbol's neighbours, the same channel's symbols left of it and above it (0 off the
/// grid), tell its context: the class that picks its table.
public enum Neighbourhood: Hashable, Sendable {
  /// How large they are: `min(|left| + |above|, 3)`, 4 classes.
  case magnitude
  /// Their values, each clamped to `-limit...limit`: `(2·limit + 1)²` classes. Codes whose
  /// neighbours' signs predict a value's (a rate-trained codec's, near edges) take fewer bits.
  case signed(limit: Int)

  /// The largest `signed` limit.
  public static let maximumLimit = 7

  public var classes: Int {
    switch self {
    case .magnitude: 4
    case .signed(let limit): (2 * limit + 1) * (2 * limit + 1)
    }
  }

  /// The clamp of `.signed` (0 for `.magnitude`).
  public var limit: Int {
    if case .signed(let limit) = self { limit } else { 0 }
  }

  /// The class of a symbol whose left and above neighbours are `left` and `above`.
  @inline(__always) public func `class`(left: Int32, above: Int32) -> Int {
    switch self {
    case .magnitude:
      return Int(min(UInt32(3), min(left.magnitude, 3) + min(above.magnitude, 3)))
    case .signed(let limit):
      let bound = Int32(limit)
      return Int(min(max(left, -bound), bound) + bound) * (2 * limit + 1) + Int(min(max(above, -bound), bound) + bound)
    }
  }

  /// "magnitude" or "signed:L", as `init(name:)` reads it.
  public var name: String { self == .magnitude ? "magnitude" : "signed:\(limit)" }

  /// The neighbourhood `name` names ("signed" alone for limit 2), or nil.
  public init?(name: String) {
    if name == "magnitude" {
      self = .magnitude
    } else if name == "signed" {
      self = .signed(limit: 2)
    } else if name.hasPrefix("signed:"), let limit = Int(name.dropFirst(7)), (1...Self.maximumLimit).contains(limit) {
      self = .signed(limit: limit)
    } else {
      return nil
    }
  }
}
