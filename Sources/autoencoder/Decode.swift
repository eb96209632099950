import ArgumentParser
import AutoencoderKit
import Foundation

struct Decode: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Decode codes (.npy or .csv) to images (a .png grid or a .npy array) or table rows (.npy or .csv, in the data's units).")

  @Argument(help: "The model file.") var model: String
  @Argument(help: "The codes: .npy (one row per code) or .csv (a \"label\" column is ignored).") var codes: String
  @Option(name: .shortAndLong, help: "Where to write: a .png grid, a .npy array, or a .csv table.") var output = "decoded.png"
  @Option(help: "Images per row of the grid.") var columns = 10
  @OptionGroup var threads: ThreadOptions

  func validate() throws {
    guard output.hasSuffix(".png") || output.hasSuffix(".npy") || output.hasSuffix(".csv") else {
      throw ValidationError("--output \(output): must end in .png, .npy or .csv")
    }
    guard columns > 0 else { throw ValidationError("--columns must be positive") }
    try checkWritable(output, option: "--output")
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    try refuseTextModel(file, model, command: "decode")
    let codeShape = try file.model.architecture.codeShape()
    let width = codeShape.reduce(1, *)
    var values: [Float], rows: Int
    if codes.hasSuffix(".csv") {
      let (header, table) = try CSV.read(codes)
      let labelColumn = header?.firstIndex(of: "label")
      values = table.flatMap { row in row.enumerated().filter { $0.offset != labelColumn }.map(\.element) }
      rows = table.count
    } else {
      let (array, shape) = try NPY.read(codes)
      values = array
      rows = shape.first ?? 0
    }
    guard rows > 0, values.count / width == rows, values.count % width == 0 else {
      throw FileError(codes, "holds \(values.count) values in \(rows) rows; the model's codes have \(width) values each")
    }
    guard values.allSatisfy(\.isFinite) else { throw FileError(codes, "holds NaN or infinite values") }
    let images = try file.model.decode(codes: Tensor(shape: [rows] + codeShape, scalars: values))
    try writeImages(images, of: file, to: output, columns: columns, scale: 2)
    say("Wrote \(output): \(grouped(rows)) decoded \(file.data?.scaling == nil ? "images" : "rows, in the data's units")")
  }
}
