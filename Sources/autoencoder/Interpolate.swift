import ArgumentParser
import AutoencoderKit
import Foundation

struct Interpolate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Decode a path between two images' codes: a strip from one image to the other.",
    discussion: """
      The strip shows image --from, the decoded codes along the path (--steps of them, ends included), and image --to. \
      The path is a line, or with --spherical the great circle a Gaussian prior favours. A variational model's codes are its means.
      """)

  @Argument(help: "The model file.") var model: String
  @OptionGroup var data: DataOptions
  @Option(help: "Which split.") var split: SplitOption = .test
  @Option(name: .customLong("from"), help: ArgumentHelp("The first image's index in the split.", valueName: "index")) var start: Int
  @Option(name: .customLong("to"), help: ArgumentHelp("The last image's index in the split.", valueName: "index")) var end: Int
  @Option(help: "Codes along the path, both ends included.") var steps = 10
  @Flag(help: "Interpolate along the great circle (slerp) instead of the line.") var spherical = false
  @Option(help: "Pixels per image pixel.") var scale = 2
  @Option(name: .shortAndLong, help: "The PNG to write (or .npy for the decoded images).") var output = "interpolation.png"
  @OptionGroup var threads: ThreadOptions

  func validate() throws {
    guard start >= 0, end >= 0 else { throw ValidationError("--from and --to are indices from 0") }
    guard (2...1000).contains(steps) else { throw ValidationError("--steps \(steps): give 2 to 1000") }
    try validateImageOutput(output, scale: scale)
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    try refuseTextModel(file, model, command: "interpolate")
    let set = try data.examples(for: file, split: split)
    for (option, index) in [("--from", start), ("--to", end)] where index >= set.count {
      throw ValidationError("\(option) \(index): the \(split.rawValue) split of \(data.data) has \(grouped(set.count)) images (0 to \(grouped(set.count - 1)))")
    }
    let ends = ImageSet(storage: .floats(set.example(start) + set.example(end)), exampleShape: set.exampleShape, source: set.source)
    let codes = try file.model.encode(ends)
    let width = codes.count / 2, values = codes.scalars
    let path = Autoencoder.interpolate(from: Array(values[..<width]), to: Array(values[width...]), steps: steps, spherical: spherical)
    let decoded = try file.model.decode(codes: Tensor(shape: [steps] + Array(codes.shape.dropFirst()), scalars: path.flatMap { $0 }))
    if output.hasSuffix(".npy") {
      try writeImages(decoded, of: file, to: output, columns: steps, scale: scale)
    } else {
      // The originals at both ends of the decoded path.
      let strip = Tensor(shape: [steps + 2, set.exampleSize], scalars: set.example(start) + decoded.scalars + set.example(end))
      try PNG.write(try file.model.architecture.grid(rows: [Array(0..<(steps + 2))], of: strip, scale: scale), to: output)
    }
    say("Wrote \(output): \(split.rawValue) image \(start), \(steps) codes along the \(spherical ? "great circle" : "line") to image \(end)'s, decoded, and image \(end)")
  }
}
