import FileIO
import Foundation

/// Comma-separated numbers: matrices out (with a header row), matrices in (a header row of
/// names is skipped).
public enum CSV {
  /// Writes `rows` of numbers under `header` to `path` atomically.
  public static func write(header: [String], rows: [[Float]], to path: String) throws {
    try FileIO.writeAtomically(Data(encode(header: header, rows: rows).utf8), to: path)
  }

  /// The text `write` writes: a header line, then one line per row (whole numbers without a point).
  public static func encode(header: [String], rows: [[Float]]) -> String {
    var text = header.joined(separator: ",") + "\n"
    for row in rows {
      text += row.map { $0 == $0.rounded() && abs($0) < 1e7 ? String(Int($0)) : "\($0)" }.joined(separator: ",")
      text += "\n"
    }
    return text
  }

  /// Reads a matrix of numbers from `path`; a first row with no numbers in it is a header,
  /// returned separately.
  ///
  /// - Throws: `FileError` naming the file and the place: a cell that is not a finite number,
  ///   rows of unequal length, no rows.
  public static func read(_ path: String) throws -> (header: [String]?, rows: [[Float]]) {
    rowsAndHeader(try readTable(path))
  }

  /// What is wrong with a CSV file's text.
  public struct Problem: Error, CustomStringConvertible {
    public let description: String
  }

  /// The header (a first row with no numbers in it) and rows of numbers of a CSV file's text.
  /// Blank lines are skipped; line numbers in errors count every line.
  ///
  /// - Throws: `CSV.Problem` (see `parseTable`).
  public static func decode(_ text: String) throws -> (header: [String]?, rows: [[Float]]) {
    let bytes = Array(text.utf8)
    return rowsAndHeader(try bytes.withUnsafeBytes { try parseTable($0) })
  }

  private static func rowsAndHeader(_ table: Table) -> (header: [String]?, rows: [[Float]]) {
    let rows = (0..<table.rows).map { Array(table.values[($0 * table.columns)..<(($0 + 1) * table.columns)]) }
    return (table.hasHeader ? table.columnNames : nil, rows)
  }
}
