import ArgumentParser
import AutoencoderKit
import Foundation

struct Encode: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Encode a dataset split to codes (.npy, or .csv with a label column).")

  @Argument(help: "The model file.") var model: String
  @OptionGroup var data: DataOptions
  @Option(help: "Which split.") var split: SplitOption = .test
  @Option(help: ArgumentHelp("Encode the first N examples only.", valueName: "n")) var limit: Int?
  @Option(name: .shortAndLong, help: "Where to write the codes: a .npy or .csv file.") var output = "codes.npy"
  @OptionGroup var threads: ThreadOptions

  func validate() throws {
    guard output.hasSuffix(".npy") || output.hasSuffix(".csv") else { throw ValidationError("--output \(output): must end in .npy or .csv") }
    if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
    try checkWritable(output, option: "--output")
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    var set = try IDXFolder(data.data).load(split.split)
    if let limit { set = set.prefix(limit) }
    let codes = try file.model.encode(set)
    let width = codes.count / max(set.count, 1)
    if output.hasSuffix(".npy") {
      try NPY.write(codes.scalars, shape: codes.shape, to: output)
    } else {
      let values = codes.scalars
      let labels = set.labels.map(Array.init)
      let rows = (0..<set.count).map { row in
        (labels.map { [Float($0[row])] } ?? []) + Array(values[(row * width)..<((row + 1) * width)])
      }
      try CSV.write(header: (labels == nil ? [] : ["label"]) + (0..<width).map { "z\($0)" }, rows: rows, to: output)
    }
    say("Wrote \(output): \(grouped(set.count)) codes of \(width) values from the \(split.rawValue) split of \(data.data)")
  }
}
