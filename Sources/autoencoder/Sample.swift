import ArgumentParser
import AutoencoderKit
import Foundation

struct Sample: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Generate images: decode draws from a variational model's prior N(0, I), as a grid or an array.",
    discussion: "The same --seed gives the same images.")

  @Argument(help: "The model file (a variational autoencoder).") var model: String
  @Option(help: "How many images.") var count = 64
  @Option(help: "Images per row (default: the count's square root, rounded up).") var columns: Int?
  @Option(help: "Seed of the draws.") var seed: UInt64 = 0
  @Option(help: "Pixels per image pixel.") var scale = 2
  @Option(name: .shortAndLong, help: "A .png grid or a .npy array of the images.") var output = "samples.png"
  @OptionGroup var threads: ThreadOptions

  func validate() throws {
    guard (1...100_000).contains(count) else { throw ValidationError("--count \(count): give 1 to 100000") }
    if let columns, columns < 1 { throw ValidationError("--columns \(columns): give a positive number") }
    try validateImageOutput(output, scale: scale)
  }

  func run() throws {
    try threads.prepare()
    let file = try variationalModel(model, for: "sampling")
    let images = try file.model.sample(count: count, seed: seed)
    try writeImages(images, of: file, to: output, columns: columns ?? Int(Double(count).squareRoot().rounded(.up)), scale: scale)
    say("Wrote \(output): \(grouped(count)) images decoded from draws of N(0, I) in \(file.model.latent!.latentSize) dimensions, seed \(seed)")
  }
}

/// Writes a model's outputs (`[count] + inputShape`): images as a .png grid of `columns` per row
/// or a .npy array of `[count, height, width]` (or the input's shape); a table's rows as .npy or
/// .csv (under its column names), in the data's own units.
func writeImages(_ images: Tensor, of file: ModelFile, to output: String, columns: Int, scale: Int) throws {
  let architecture = file.model.architecture
  let values = file.inDataUnits(images)
  if output.hasSuffix(".npy") {
    let shape = architecture.displayShape.map { [images.shape[0], $0.height, $0.width] } ?? images.shape
    try NPY.write(values.scalars, shape: shape.reduce(1, *) == images.count ? shape : images.shape, to: output)
  } else if output.hasSuffix(".csv") {
    let width = images.count / max(images.shape[0], 1)
    let names = file.data?.columnNames ?? (0..<width).map { "x\($0)" }
    let scalars = values.scalars
    try CSV.write(header: names, rows: (0..<images.shape[0]).map { Array(scalars[($0 * width)..<(($0 + 1) * width)]) }, to: output)
  } else {
    try PNG.write(try architecture.grid(of: images, columns: columns, scale: scale), to: output)
  }
}
