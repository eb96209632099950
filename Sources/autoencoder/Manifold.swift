import ArgumentParser
import AutoencoderKit
import Foundation

struct Manifold: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Draw a variational model's latent space: a grid of images decoded over two latent dimensions.",
    discussion: """
      As the Keras blog's VAE figure: codes over the standard normal's quantiles (--quantiles, 0.05 to 0.95) along two latent \
      dimensions (--dimensions, the first two), the others at 0. Across: the first dimension, smallest at the left; down: the \
      second, largest at the top; each row and column is labelled with its value.
      """)

  @Argument(help: "The model file (a variational autoencoder).") var model: String
  @Option(help: "Images per side of the grid.") var size = 15
  @Option(help: ArgumentHelp("The two latent dimensions, across and down.", valueName: "i,j")) var dimensions = "0,1"
  @Option(help: ArgumentHelp("The quantiles of N(0, 1) at the grid's edges.", valueName: "low,high")) var quantiles = "0.05,0.95"
  @Option(help: "Pixels per image pixel (and per pixel of the labels' font).") var scale = 2
  @Option(name: .shortAndLong, help: "The PNG to write (or .npy for the images).") var output = "manifold.png"
  @OptionGroup var threads: ThreadOptions

  func pair<T: LosslessStringConvertible>(_ text: String, _ option: String) throws -> (T, T) {
    let parts = text.split(separator: ",").map { T(String($0).trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 2, let first = parts[0], let second = parts[1] else { throw ValidationError("\(option) \(text): give two values, e.g. \(option == "--dimensions" ? "0,1" : "0.05,0.95")") }
    return (first, second)
  }

  func validate() throws {
    guard (2...100).contains(size) else { throw ValidationError("--size \(size): give 2 to 100") }
    let (low, high): (Double, Double) = try pair(quantiles, "--quantiles")
    guard low > 0, high < 1, low < high else { throw ValidationError("--quantiles \(quantiles): give 0 < low < high < 1") }
    let _: (Int, Int) = try pair(dimensions, "--dimensions")
    try validateImageOutput(output, scale: scale)
  }

  func run() throws {
    try threads.prepare()
    let file = try variationalModel(model, for: "the manifold")
    let (low, high): (Double, Double) = try pair(quantiles, "--quantiles")
    let chosen: (Int, Int) = try pair(dimensions, "--dimensions")
    let (figure, images, values) = try ManifoldFigure(size: size, dimensions: chosen, quantiles: low...high, scale: scale).render(file.model)
    if output.hasSuffix(".npy") {
      try writeImages(images, of: file, to: output, columns: size, scale: scale)
    } else {
      try PNG.write(figure, to: output)
    }
    say("Wrote \(output): \(size)×\(size) images decoded over z[\(chosen.0)] (across) and z[\(chosen.1)] (down, largest at the top) "
      + String(format: "from %.2f to %.2f", values.first!, values.last!) + ", the other dimensions at 0")
  }
}
