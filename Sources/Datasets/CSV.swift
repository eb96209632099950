import FileIO
import Foundation

/// Comma-separated numbers: matrices out (with a header row), matrices in (a header row of
/// names is skipped).
public enum CSV {
  /// Writes `rows` of numbers under `header` to `path` atomically.
  public static func write(header: [String], rows: [[Float]], to path: String) throws {
    var text = header.joined(separator: ",") + "\n"
    for row in rows {
      text += row.map { $0 == $0.rounded() && abs($0) < 1e7 ? String(Int($0)) : "\($0)" }.joined(separator: ",")
      text += "\n"
    }
    try FileIO.writeAtomically(Data(text.utf8), to: path)
  }

  /// Reads a matrix of numbers from `path`; a first row that is not all numbers is a header,
  /// returned separately.
  ///
  /// - Throws: `FileError` naming the file and the line: a non-number, rows of unequal length.
  public static func read(_ path: String) throws -> (header: [String]?, rows: [[Float]]) {
    let text = String(decoding: try FileIO.read(path), as: UTF8.self)
    var header: [String]?
    var rows: [[Float]] = []
    for (index, line) in text.split(whereSeparator: \.isNewline).enumerated() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
      let numbers = fields.compactMap(Float.init)
      if numbers.count != fields.count {
        if index == 0 { header = fields; continue }
        let bad = fields.first { Float($0) == nil } ?? ""
        throw FileError(path, "line \(index + 1): \"\(bad)\" is not a number")
      }
      if let first = rows.first, first.count != numbers.count {
        throw FileError(path, "line \(index + 1) has \(numbers.count) fields, earlier lines have \(first.count)")
      }
      rows.append(numbers)
    }
    return (header, rows)
  }
}
