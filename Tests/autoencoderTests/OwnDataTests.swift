import Datasets
import FileIO
import Foundation
import ImageFiles
import ModelFiles
import TensorCore
import TestSupport
import Testing

/// Your own data, end to end: CSV tables, PNG folders and NumPy arrays through train, evaluate,
/// encode and reconstruct.
@Suite(.serialized) struct OwnDataTests {
  let work: TemporaryDirectory

  init() throws { work = try TemporaryDirectory() }

  /// 200 rows of 6 columns on two clusters, in units far from [0, 1], with a text label column.
  func table() throws -> String {
    var generator = SplitMix64(seed: 7)
    var lines = ["a,b,kind,c,d,e,f"]
    for row in 0..<200 {
      let cluster = row % 2
      let values = (0..<6).map { column in Double(1000 * cluster + 10 * column) + Double(generator.next() % 1000) / 100 }
      let cells = values.map { String(format: "%.2f", $0) }
      lines.append((cells[0..<2] + [cluster == 0 ? "low" : "high"] + cells[2...]).joined(separator: ","))
    }
    return try work.write(Array(lines.joined(separator: "\n").utf8), to: "table.csv")
  }

  @Test func aCSVTableTrainsStandardizedAndComesBackInItsUnits() throws {
    let csv = try table()
    let model = work.path("t.safetensors")
    let result = try CLI.run(["train", "--data", csv, "--label-column", "kind", "--hidden", "4,2", "--epochs", "40", "--batch-size", "16", "--learning-rate", "0.01",
                              "--validation-split", "0.2", "-o", model])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("160 training and 40 validation examples") && result.output.contains("scaled to mean 0 and deviation 1"))
    #expect(result.output.contains("6 → 4 relu → 2 relu → 4 relu → 6 identity") && result.output.contains("No reconstruction figure"))
    let file = try ModelFile.read(model)
    #expect(file.data?.classNames == ["high", "low"] && file.data?.columnNames == ["a", "b", "c", "d", "e", "f"])
    #expect(file.data?.scaling?.kind == .standard && file.training?.loss == .meanSquaredError)
    // The two clusters differ by 1000 in every column: standardized, an MSE well under 1 is learning.
    let history = try #require(file.history?.epochs)
    #expect(history.last!.loss < 0.5 * history.first!.loss, "\(history.map(\.loss))")
    // encode reads new data the same way: the saved label column, the saved scaling.
    let codes = try CLI.run(["encode", model, "--data", csv, "-o", work.path("codes.csv")])
    #expect(codes.status == 0, "\(codes.error)")
    let (header, rows) = try CSV.read(work.path("codes.csv"))
    #expect(header == ["label", "z0", "z1"] && rows.count == 200 && rows[0][0] == 1 && rows[1][0] == 0)
    // Reconstructions come back in the table's units, under its column names: cluster 0 near 0-60, cluster 1 near 1000-1060.
    let reconstructed = try CLI.run(["reconstruct", model, "--data", csv, "-o", work.path("rec.csv")])
    #expect(reconstructed.status == 0, "\(reconstructed.error)")
    let (names, values) = try CSV.read(work.path("rec.csv"))
    #expect(names == ["a", "b", "c", "d", "e", "f"] && values.count == 200)
    #expect(abs(values[0][0] - 5) < 100 && abs(values[1][0] - 1005) < 100, "\(values[0]) \(values[1])")
  }

  @Test func aPNGFolderOfClassesTrainsAConvolutionalModelInColour() throws {
    let folder = work.path("shapes")
    for (label, name) in ["circle", "square"].enumerated() {
      for index in 0..<24 {
        var pixels = [UInt8]()
        for y in 0..<8 {
          for x in 0..<8 {
            let inside = label == 0 ? (x - 4) * (x - 4) + (y - 4) * (y - 4) < 9 + index % 4 : abs(x - 4) < 3 && abs(y - 4) < 3
            pixels += inside ? [UInt8(200 + index), 40, UInt8(label * 200)] : [10, 10, 10]
          }
        }
        try FileManager.default.createDirectory(atPath: "\(folder)/\(name)", withIntermediateDirectories: true)
        try PNG.write(Image(width: 8, height: 8, channels: 3, pixels: pixels), to: "\(folder)/\(name)/\(index).png")
      }
    }
    let model = work.path("rgb.safetensors")
    let result = try CLI.run(["train", "--data", folder, "--architecture", "conv 8 3 relu, pool 2 | up 2, conv 3 3 sigmoid", "--epochs", "3",
                              "--batch-size", "8", "--validation-split", "0.25", "-o", model])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("of shape [8, 8, 3]"))
    let figure = try PNG.read(work.path("rgb-reconstruction.png"))
    #expect(figure.channels == 3)
    #expect(try ModelFile.read(model).data?.classNames == ["circle", "square"])
    let evaluate = try CLI.run(["evaluate", model, "--data", folder, "--json"])
    #expect(evaluate.status == 0 && evaluate.output.contains("\"examples\":48"), "\(evaluate.error)")
  }

  @Test func arraysLargerThanMemoryAreMappedAndTrainToTheSameBits() throws {
    var generator = SplitMix64(seed: 9)
    let values = (0..<(120 * 10)).map { _ in generator.nextUnitFloat() * 4 - 2 }
    let data = work.path("big.npy")
    try NPY.write(values, shape: [120, 10], to: data)
    func train(_ output: String, environment: [String: String]) throws -> Data {
      let result = try CLI.run(["train", "--data", data, "--hidden", "4", "--epochs", "2", "--batch-size", "16",
                                "--threads", "1", "-q", "-o", work.path(output)], environment: environment)
      #expect(result.status == 0, "\(result.error)")
      let bytes = try Data(contentsOf: URL(fileURLWithPath: work.path(output)))
      let headerSize = bytes.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
      return bytes.dropFirst(8 + headerSize)
    }
    // Every file counts as larger than memory with a threshold of 0 bytes: read through the mapping.
    #expect(try train("mapped.safetensors", environment: ["AUTOENCODERKIT_MAP_THRESHOLD": "0"]) == train("read.safetensors", environment: [:]))
  }

  @Test func badOwnDataIsOneLineNamingTheFileAndPlace() throws {
    let ragged = try work.write(Array("a,b\n1,2\n3\n".utf8), to: "ragged.csv")
    try CLI.expectFailure(["train", "--data", ragged, "-o", work.path("m.safetensors")], mentions: [ragged, "line 3 has 1 field"])
    let text = try work.write(Array("a,b\n1,2\n3,x\n".utf8), to: "text.csv")
    try CLI.expectFailure(["train", "--data", text, "-o", work.path("m.safetensors")], mentions: [text, "line 3, column 2 (b)", "\"x\""])
    let empty = try work.write([], to: "empty.csv")
    try CLI.expectFailure(["train", "--data", empty, "-o", work.path("m.safetensors")], mentions: [empty, "holds no rows"])
    try FileManager.default.createDirectory(atPath: work.path("nothing"), withIntermediateDirectories: true)
    try CLI.expectFailure(["train", "--data", work.path("nothing"), "-o", work.path("m.safetensors")], mentions: ["nothing"])
    let data = work.path("x.npy")
    try NPY.write(Array(repeating: 0.5, count: 12), shape: [4, 3], to: data)
    try NPY.write([0, 1], shape: [2], to: work.path("y.npy"))
    try CLI.expectFailure(["train", "--data", data, "--labels", work.path("y.npy"), "-o", work.path("m.safetensors")],
                          mentions: [work.path("y.npy"), "2 labels for 4 examples"])
    #expect(!FileIO.exists(work.path("m.safetensors")))
    // Data whose width does not fit the model.
    let csv = try table()
    let model = work.path("t.safetensors")
    _ = try CLI.run(["train", "--data", csv, "--label-column", "kind", "--hidden", "2", "--epochs", "1", "-o", model, "-q"])
    try CLI.expectFailure(["encode", model, "--data", data, "-o", work.path("c.npy")], mentions: [data, "do not fit the model's input"])
    #expect(!FileIO.exists(work.path("c.npy")))
  }
}
