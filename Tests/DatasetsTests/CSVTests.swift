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
    #expect(throws: FileError(bad, "line 2: \"x\" is not a finite number")) { try CSV.read(bad) }
    let ragged = try directory.write(Array("1,2\n3\n".utf8), to: "ragged.csv")
    #expect(throws: FileError(ragged, "line 2 has 1 fields, earlier lines have 2")) { try CSV.read(ragged) }
  }
}
