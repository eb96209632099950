import Datasets
import FileIO
import TestSupport
import Testing

@Suite struct CSVTests {
  @Test func roundTripsWithAHeader() throws {
    let directory = try TemporaryDirectory()
    try CSV.write(header: ["label", "z0", "z1"], rows: [[7, 0.5, -1.25], [2, 3, 1e-3]], to: directory.path("codes.csv"))
    #expect(String(decoding: try FileIO.read(directory.path("codes.csv")), as: UTF8.self) == "label,z0,z1\n7,0.5,-1.25\n2,3,0.001\n")
    let (header, rows) = try CSV.read(directory.path("codes.csv"))
    #expect(header == ["label", "z0", "z1"] && rows == [[7, 0.5, -1.25], [2, 3, 0.001]])
  }

  @Test func errorsNameTheLine() throws {
    let directory = try TemporaryDirectory()
    let bad = try directory.write(Array("1,2\n3,x\n".utf8), to: "bad.csv")
    #expect(throws: FileError(bad, "line 2, column 2: \"x\" is not a finite number")) { try CSV.read(bad) }
    let ragged = try directory.write(Array("1,2\n3\n".utf8), to: "ragged.csv")
    #expect(throws: FileError(ragged, "line 2 has 1 field, the first row has 2")) { try CSV.read(ragged) }
  }
}

@Suite struct CSVHeaderTests {
  func decode(_ text: String) -> String {
    do {
      let (header, rows) = try CSV.decode(text)
      return "header \(header ?? []), rows \(rows)"
    } catch {
      return "\(error)"
    }
  }

  @Test func aFirstRowIsAHeaderOnlyWhenItHoldsNoNumbers() {
    #expect(decode("a,b\n1,2\n") == "header [\"a\", \"b\"], rows [[1.0, 2.0]]")
    #expect(decode("1,2\n3,4\n") == "header [], rows [[1.0, 2.0], [3.0, 4.0]]")
    // A first row with a bad field among numbers is data with an error, not a header.
    #expect(decode("1,x\n3,4\n") == "line 1, column 2: \"x\" is not a finite number")
  }

  @Test func nonFiniteNumbersBlankLinesAndWidths() {
    #expect(decode("1,nan\n") == "line 1, column 2: \"nan\" is not a finite number")
    #expect(decode("a,b\n1,2\n3,inf\n") == "line 3, column 2 (b): \"inf\" is not a finite number")
    #expect(decode("a,b\n\n1,2\n\n3,4\n") == "header [\"a\", \"b\"], rows [[1.0, 2.0], [3.0, 4.0]]")
    #expect(decode("a,b\n\n1,2,3\n") == "line 3 has more than 2 fields, the header has 2")
    #expect(decode("1,2\n\n\n1\n") == "line 4 has 1 field, the first row has 2")
  }
}
