import Datasets
import FileIO
import TensorCore
import TestSupport
import Testing

@Suite struct CSVTableTests {
  func table(_ text: String, header: Bool? = nil, labelColumn: String? = nil, threads: Int = 1) throws -> CSV.Table {
    let bytes = Array(text.utf8)
    return try bytes.withUnsafeBytes { try CSV.parseTable($0, header: header, labelColumn: labelColumn, threads: threads) }
  }

  func problem(_ text: String, header: Bool? = nil, labelColumn: String? = nil) -> String {
    do {
      _ = try table(text, header: header, labelColumn: labelColumn)
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  @Test func numbersInEveryNotation() throws {
    let parsed = try table("a,b,c,d\n1,-2.5,3e2,.5\n+4,1E-3,-0,\"7\"\r\n  8 , 9.000000000000000000001 ,1e-30,123456789012345678\n")
    #expect(parsed.columnNames == ["a", "b", "c", "d"] && parsed.rows == 3 && parsed.hasHeader)
    #expect(parsed.values == [1, -2.5, 300, 0.5, 4, 0.001, -0, 7, 8, 9, 1e-30, 123456789012345678])
  }

  @Test func parsedValuesAreTheNearestFloats() throws {
    // Against Swift's own correctly rounded parser, over awkward decimal strings.
    var generator = SplitMix64(seed: 3)
    var texts: [String] = []
    for _ in 0..<2000 {
      let mantissa = generator.next() % 10_000_000_000
      let exponent = Int(generator.next() % 50) - 30
      texts.append("\(mantissa)e\(exponent)")
      texts.append("0.\(generator.next() % 100_000_000)")
    }
    let parsed = try table(texts.joined(separator: "\n"), header: false)
    #expect(parsed.values == texts.map { Float($0)! })
  }

  @Test func aLabelColumnOfAnyTextIsSetApart() throws {
    let parsed = try table("x,species,y\n1,setosa,2\n3,virginica,4\n", labelColumn: "species")
    #expect(parsed.columnNames == ["x", "y"] && parsed.values == [1, 2, 3, 4])
    #expect(parsed.labels?.name == "species" && parsed.labels?.cells == ["setosa", "virginica"])
    let numbered = try table("1,a,2\n3,b,4\n", labelColumn: "2")
    #expect(numbered.labels?.cells == ["a", "b"] && numbered.columnNames == ["column 1", "column 3"])
    #expect(problem("x,y\n1,2\n", labelColumn: "z") == "no column \"z\" for the labels (columns: x, y)")
  }

  @Test func headerCanBeForced() throws {
    #expect(try table("1,2\n3,4\n", header: true).columnNames == ["1", "2"])
    #expect(problem("a,b\n1,2\n", header: false) == "line 1, column 1: \"a\" is not a finite number")
  }

  @Test func badCellsAreNamedByLineAndColumn() {
    #expect(problem("a,b\n1,2\n3,\n") == "line 3, column 2 (b): the cell is empty")
    #expect(problem("a,b\n1,2\n3,four\n") == "line 3, column 2 (b): \"four\" is not a finite number")
    #expect(problem("1,2\n3,1e39\n") == "line 2, column 2: \"1e39\" is not a finite number")
    #expect(problem("") == "holds no rows")
    #expect(problem("\n \n") == "holds no rows")
    #expect(problem("a,b\n") == "holds a header and no data rows")
  }

  @Test func theFirstBadRowIsReportedWhateverTheThreads() throws {
    var lines = (0..<5000).map { "\($0),\($0 + 1)" }
    lines[3000] = "x,1"
    lines[4500] = "1"
    let text = "a,b\n" + lines.joined(separator: "\n")
    for threads in [1, 2, 8] {
      let bytes = Array(text.utf8)
      #expect(throws: CSV.Problem.self) { try bytes.withUnsafeBytes { try CSV.parseTable($0, threads: threads) } }
      #expect(problem(text) == "line 3002, column 1 (a): \"x\" is not a finite number")
    }
    let good = (0..<5000).map { "\($0),\($0 + 1)" }.joined(separator: "\n")
    #expect(try table(good, threads: 1).values == table(good, threads: 4).values)
  }

  @Test func readsAFileAndNamesIt() throws {
    let directory = try TemporaryDirectory()
    let path = try directory.write(Array("a,b\n1,x\n".utf8), to: "t.csv")
    #expect(throws: FileError(path, "line 2, column 2 (b): \"x\" is not a finite number")) { try CSV.readTable(path) }
    #expect(try CSV.readHeader(path) == ["a", "b"])
  }
}


@Suite struct CSVColumnSelectionTests {
  @Test func selectedColumnsAreReadAndTheOthersMayHoldAnyText() throws {
    let text = "date,temp,wind\n2010/01/01 00:00,39.4,3\n2010/01/01 01:00,39.2,4\n"
    let table = try Array(text.utf8).withUnsafeBytes { try CSV.parseTable($0, columns: ["temp"]) }
    #expect(table.columnNames == ["temp"] && table.values == [39.4, 39.2])
    let both = try Array(text.utf8).withUnsafeBytes { try CSV.parseTable($0, columns: ["3", "temp"]) }
    #expect(both.columnNames == ["temp", "wind"] && both.values == [39.4, 3, 39.2, 4])
    #expect {
      try Array(text.utf8).withUnsafeBytes { try CSV.parseTable($0, columns: ["rain"]) }
    } throws: { error in
      "\(error)".contains(#"no column "rain" for --value-columns (columns: date, temp, wind)"#)
    }
    // Without a selection the timestamps are not numbers.
    #expect(throws: CSV.Problem.self) { try Array(text.utf8).withUnsafeBytes { try CSV.parseTable($0) } }
  }
}
