import ArgumentParser
import AutoencoderKit
import Foundation

struct Reconstruct: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Draw dataset images above the model's reconstructions of them.")

  @Argument(help: "The model file.") var model: String
  @OptionGroup var data: DataOptions
  @Option(help: "Which split.") var split: SplitOption = .test
  @Option(help: "How many images.") var count = 10
  @Option(help: "Images per row.") var columns = 10
  @Option(help: "Pixels per image pixel.") var scale = 2
  @Option(name: .shortAndLong, help: "The PNG figure to write; or a .npy or .csv file of every reconstruction (tables: in the data's units).")
  var output = "reconstruction.png"
  @OptionGroup var threads: ThreadOptions

  func validate() throws {
    guard count > 0, columns > 0, (1...16).contains(scale) else { throw ValidationError("--count and --columns must be positive, --scale 1 to 16") }
    try checkWritable(output, option: "--output")
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    try refuseTextModel(file, model, command: "reconstruct")
    let set = try data.examples(for: file, split: split)
    guard !output.hasSuffix(".npy"), !output.hasSuffix(".csv") else {
      try writeImages(try file.model.reconstruct(set), of: file, to: output, columns: columns, scale: scale)
      return say("Wrote \(output): the reconstructions of \(grouped(set.count)) examples of \(set.source)\(file.data?.scaling == nil ? "" : ", in the data's units")")
    }
    try PNG.write(try ReconstructionFigure(count: count, columns: columns, scale: scale).render(file.model, on: set), to: output)
    say("Wrote \(output): \(min(count, set.count)) \(split.rawValue) images above their reconstructions")
  }
}
