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

  /// Reads a matrix of numbers from `path`; a first row with no numbers in it is a header,
  /// returned separately.
  ///
  /// - Throws: `FileError` naming the file and the line: a field that is not a finite number,
  ///   rows of unequal length.
  public static func read(_ path: String) throws -> (header: [String]?, rows: [[Float]]) {
    do {
      return try decode(String(decoding: try FileIO.read(path), as: UTF8.self))
    } catch let problem as Problem {
      throw FileError(path, problem.description)
    }
  }

  /// What is wrong with a CSV file's text.
  public struct Problem: Error, CustomStringConvertible {
    public let description: String
  }

  /// The header (a first row with no numbers in it) and rows of numbers of a CSV file's text.
  /// Blank lines are skipped; line numbers in errors count every line.
  ///
  /// - Throws: `CSV.Problem`: a field that is not a finite number (in the first row, one among
  ///   numbers), rows of unequal length.
  public static func decode(_ text: String) throws -> (header: [String]?, rows: [[Float]]) {
    var header: [String]?
    var rows: [[Float]] = []
    var first = true
    for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      guard !line.allSatisfy(\.isWhitespace) else { continue }
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
      let numbers = fields.map { Float($0) }
      if first, numbers.allSatisfy({ $0 == nil }) {
        header = fields
        first = false
        continue
      }
      first = false
      if let bad = zip(fields, numbers).first(where: { !($0.1?.isFinite ?? false) }) {
        throw Problem(description: "line \(index + 1): \"\(bad.0.prefix(40))\" is not a finite number")
      }
      if let columns = rows.first?.count ?? header?.count, columns != numbers.count {
        throw Problem(description: "line \(index + 1) has \(numbers.count) fields, \(rows.isEmpty ? "the header has" : "earlier lines have") \(columns)")
      }
      rows.append(numbers.map { $0! })
    }
    return (header, rows)
  }
}
