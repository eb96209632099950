import FileIO
import Foundation

extension CSV {
  /// A CSV file's numbers: a header (read or detected), the numeric columns' values row-major,
  /// and the label column's cells apart, as text.
  public struct Table: Sendable {
    /// The numeric columns' names: the header's, or `column 1`, `column 2`, ... without one.
    public var columnNames: [String]
    /// Whether the file's first row was a header.
    public var hasHeader: Bool
    /// Data rows (blank lines are skipped).
    public var rows: Int
    /// Numeric columns (the label column is not one).
    public var columns: Int { columnNames.count }
    /// `rows · columns` values, row-major.
    public var values: [Float]
    /// The label column's name and its cells, one per row, when a label column was asked for.
    public var labels: (name: String, cells: [String])?
  }

  /// Reads the table of numbers in the CSV file at `path`.
  ///
  /// - Parameters:
  ///   - header: Whether the first row is a header; nil detects it (a first row in which no field
  ///     is a number).
  ///   - labelColumn: The column holding labels: a header name, or a column number counting
  ///     from 1; its cells may be any text.
  ///   - columns: The columns read as numbers (header names, or numbers counting from 1), in the
  ///     file's order; nil reads every column but the label column. The others may hold any text
  ///     (a time series' timestamps).
  ///   - threads: Threads that parse rows (the result does not depend on it).
  /// - Throws: `FileError` naming the file and the place: a cell that is not a finite number or
  ///   is missing (line and column), rows of unequal length, no data rows, an unknown label column.
  public static func readTable(_ path: String, header: Bool? = nil, labelColumn: String? = nil, columns: [String]? = nil,
                               threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Table {
    do {
      return try FileIO.withMappedBytes(path) { try parseTable($0, header: header, labelColumn: labelColumn, columns: columns, threads: threads) }
    } catch let problem as Problem {
      throw FileError(path, problem.description)
    }
  }

  /// The names in the header of the CSV file at `path` (empty when it has none).
  public static func readHeader(_ path: String, header: Bool? = nil) throws -> [String] {
    try FileIO.withMappedBytes(path) { bytes in
      guard let first = dataLines(bytes, limit: 1).first else { return [] }
      let fields = fields(bytes, first.range)
      guard header ?? fields.allSatisfy({ parseNumber(bytes, $0) == nil }) else { return [] }
      return fields.map { text(bytes, $0) }
    }
  }

  /// The table in a CSV file's bytes (see `readTable`).
  ///
  /// - Throws: `CSV.Problem`.
  public static func parseTable(_ bytes: UnsafeRawBufferPointer, header: Bool? = nil, labelColumn: String? = nil, columns selection: [String]? = nil,
                                threads: Int = 1) throws -> Table {
    let lines = dataLines(bytes)
    guard let first = lines.first else { throw Problem(description: "holds no rows") }
    let firstFields = fields(bytes, first.range)
    let hasHeader = header ?? firstFields.allSatisfy { parseNumber(bytes, $0) == nil }
    let names = hasHeader ? firstFields.map { text(bytes, $0) } : (1...firstFields.count).map { "column \($0)" }
    let rowLines = hasHeader ? lines.dropFirst() : lines[...]
    guard !rowLines.isEmpty else { throw Problem(description: "holds a header and no data rows") }
    let width = names.count
    func index(of column: String, for role: String) throws -> Int {
      if let index = names.firstIndex(of: column) { return index }
      if let number = Int(column), (1...width).contains(number) { return number - 1 }
      throw Problem(description: "no column \"\(column)\" for \(role) (columns: \(names.prefix(8).joined(separator: ", "))\(width > 8 ? ", ..." : ""))")
    }
    let labelIndex = try labelColumn.map { try index(of: $0, for: "the labels") }
    // Which columns are numbers: the selection (in the file's order), or all but the labels.
    var numeric = [Bool](repeating: selection == nil, count: width)
    for column in selection ?? [] { numeric[try index(of: column, for: "--value-columns")] = true }
    if let labelIndex {
      guard !numeric[labelIndex] || selection == nil else { throw Problem(description: "column \"\(names[labelIndex])\" is both the labels and a value") }
      numeric[labelIndex] = false
    }
    guard numeric.contains(true) else { throw Problem(description: "has no column of values besides the labels") }
    let numericNames = names.enumerated().filter { numeric[$0.offset] }.map(\.element)
    let rows = rowLines.count, columns = numericNames.count
    var values = [Float](repeating: 0, count: rows * columns)
    var labelCells = [String](repeating: "", count: labelIndex == nil ? 0 : rows)
    let chunks = max(1, min(threads * 4, rows / 256))
    var problems = [Problem?](repeating: nil, count: chunks)
    let label = labelIndex
    values.withUnsafeMutableBufferPointer { out in
      labelCells.withUnsafeMutableBufferPointer { labelsOut in
        problems.withUnsafeMutableBufferPointer { problemsOut in
          let shared = Shared((bytes, out.baseAddress, labelsOut.baseAddress, problemsOut.baseAddress!))
          forEachConcurrently(chunks, threads: threads) { chunk in
            let (bytes, out, labelsOut, problemsOut) = shared.value
            do {
              for row in rows * chunk / chunks..<rows * (chunk + 1) / chunks {
                try parseRow(bytes, rowLines[rowLines.startIndex + row], width: width, labelIndex: label, numeric: numeric, names: names,
                             into: out! + row * columns, label: labelsOut.map { $0 + row })
              }
            } catch {
              problemsOut[chunk] = error as? Problem ?? Problem(description: "\(error)")
            }
          }
        }
      }
    }
    if let problem = problems.compactMap({ $0 }).first { throw problem }
    return Table(columnNames: numericNames, hasHeader: hasHeader, rows: rows, values: values,
                 labels: labelIndex.map { (names[$0], labelCells) })
  }

  /// A line of the file: its 1-based number and its bytes (no line break).
  struct Line {
    let number: Int
    let range: Range<Int>
  }

  /// The lines that are not blank, without their `\n` or `\r\n` (and a leading UTF-8 byte order mark).
  static func dataLines(_ bytes: UnsafeRawBufferPointer, limit: Int = .max) -> [Line] {
    var lines: [Line] = []
    var start = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    var number = 1
    let base = bytes.baseAddress
    while start < bytes.count, lines.count < limit {
      let found = memchr(base! + start, 0x0A, bytes.count - start)
      var end = found.map { base!.distance(to: UnsafeRawPointer($0)) } ?? bytes.count
      let next = end + 1
      if end > start, bytes[end - 1] == 0x0D { end -= 1 }
      if (start..<end).contains(where: { bytes[$0] != 0x20 && bytes[$0] != 0x09 && bytes[$0] != 0x0D }) {
        lines.append(Line(number: number, range: start..<end))
      }
      number += 1
      start = next
    }
    return lines
  }

  /// The ranges of a line's comma-separated fields, trimmed of spaces and one pair of quotes.
  static func fields(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> [Range<Int>] {
    var result: [Range<Int>] = []
    var start = range.lowerBound
    for index in range where bytes[index] == 0x2C {
      result.append(trimmed(bytes, start..<index))
      start = index + 1
    }
    result.append(trimmed(bytes, start..<range.upperBound))
    return result
  }

  @inline(__always)
  static func trimmed(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
    var (lower, upper) = (range.lowerBound, range.upperBound)
    while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
    while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
    if upper - lower >= 2, bytes[lower] == 0x22, bytes[upper - 1] == 0x22 { (lower, upper) = (lower + 1, upper - 1) }
    return lower..<upper
  }

  static func text(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
    String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
  }

  /// Parses one data line's cells into `out` (and its label cell into `label`).
  private static func parseRow(_ bytes: UnsafeRawBufferPointer, _ line: Line, width: Int, labelIndex: Int?, numeric: [Bool], names: [String],
                               into out: UnsafeMutablePointer<Float>, label: UnsafeMutablePointer<String>?) throws {
    var column = 0, written = 0
    var start = line.range.lowerBound
    var index = start
    let end = line.range.upperBound
    while true {
      // The common cell: an unsigned integer of up to 9 digits, straight up to its comma.
      if index == start, column < width, numeric[column] {
        var value = 0, digits = 0, position = index
        while position < end, case let digit = bytes[position] &- 0x30, digit < 10, digits < 9 {
          value = value * 10 + Int(digit)
          digits += 1
          position += 1
        }
        if digits > 0, position == end || bytes[position] == 0x2C {
          out[written] = Float(value)
          written += 1
          column += 1
          if position >= end { break }
          index = position + 1
          start = index
          continue
        }
      }
      if index < end, bytes[index] != 0x2C {
        index += 1
        continue
      }
      guard column < width else { throw Problem(description: "line \(line.number) has more than \(width) fields, \(names.first == "column 1" ? "the first row has" : "the header has") \(width)") }
      let field = trimmed(bytes, start..<index)
      if column == labelIndex {
        label!.pointee = text(bytes, field)
      } else if numeric[column] {
        guard let value = parseNumber(bytes, field), value.isFinite else {
          let where_ = "line \(line.number), column \(column + 1)\(names[column] == "column \(column + 1)" ? "" : " (\(names[column]))")"
          if field.isEmpty { throw Problem(description: "\(where_): the cell is empty") }
          throw Problem(description: "\(where_): \"\(text(bytes, field).prefix(40))\" is not a finite number")
        }
        out[written] = value
        written += 1
      }
      column += 1
      if index >= end { break }
      index += 1
      start = index
    }
    guard column == width else {
      throw Problem(description: "line \(line.number) has \(column) field\(column == 1 ? "" : "s"), \(names.first == "column 1" ? "the first row has" : "the header has") \(width)")
    }
  }

  /// Exact powers of ten in Double (10^0 ... 10^22).
  private static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

  /// The decimal number (`-1.5`, `3e-2`, `.5`) in `bytes[range]` as the nearest Float (through
  /// Double: exact for up to 15 significant digits and exponents within ±22, else `strtod`), or
  /// nil when the field is not a number. `inf` and `nan` are not numbers here.
  static func parseNumber(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Float? {
    var index = range.lowerBound
    let end = range.upperBound
    guard index < end else { return nil }
    var negative = false
    if bytes[index] == 0x2D || bytes[index] == 0x2B {
      negative = bytes[index] == 0x2D
      index += 1
    }
    var mantissa: UInt64 = 0, significant = 0, exponent = 0, digits = 0
    while index < end, case let digit = bytes[index] &- 0x30, digit < 10 {
      if significant < 19 {
        mantissa = mantissa * 10 + UInt64(digit)
        if mantissa > 0 { significant += 1 }
      } else {
        exponent += 1
      }
      digits += 1
      index += 1
    }
    if index < end, bytes[index] == 0x2E {
      index += 1
      while index < end, case let digit = bytes[index] &- 0x30, digit < 10 {
        if significant < 19 {
          mantissa = mantissa * 10 + UInt64(digit)
          exponent -= 1
          if mantissa > 0 { significant += 1 }
        }
        digits += 1
        index += 1
      }
    }
    guard digits > 0 else { return nil }
    if index < end, bytes[index] == 0x65 || bytes[index] == 0x45 {
      index += 1
      var exponentNegative = false
      if index < end, bytes[index] == 0x2D || bytes[index] == 0x2B {
        exponentNegative = bytes[index] == 0x2D
        index += 1
      }
      var value = 0, exponentDigits = 0
      while index < end, case let digit = bytes[index] &- 0x30, digit < 10 {
        value = min(value * 10 + Int(digit), 100_000)
        exponentDigits += 1
        index += 1
      }
      guard exponentDigits > 0 else { return nil }
      exponent += exponentNegative ? -value : value
    }
    guard index == end else { return nil }
    if mantissa == 0 { return negative ? -0.0 : 0 }
    var result: Double
    if significant <= 15, abs(exponent) <= 22 {
      result = exponent >= 0 ? Double(mantissa) * powersOfTen[exponent] : Double(mantissa) / powersOfTen[-exponent]
    } else {
      var text = [CChar](repeating: 0, count: range.count + 1)
      for (offset, position) in range.enumerated() { text[offset] = CChar(bitPattern: bytes[position]) }
      result = strtod(text, nil)
      negative = false
    }
    let float = Float(negative ? -result : result)
    return float
  }
}
