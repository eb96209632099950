import Datasets
import Foundation
import ImageFiles
import TestSupport
import Testing

/// `autoencoder denoise` on PNG files and IDX data.
@Suite(.serialized) struct DenoiseTests {
  let data: TemporaryDirectory
  let work: TemporaryDirectory
  var model: String { work.path("d.safetensors") }

  init() throws {
    data = try CLI.dataFolder()
    work = try TemporaryDirectory()
    let result = try CLI.run(["train", "--data", data.path, "--architecture", "conv 8 3 relu, pool 2 | up 2, conv 1 3 sigmoid",
                              "--noise", "masking:0.3", "--epochs", "3", "--batch-size", "32", "--output", model, "--no-reconstruction"])
    precondition(result.status == 0, result.error)
  }

  @Test func pngFilesAreWrittenUnderTheirNamesInTheOutputFolder() throws {
    let images = try TemporaryDirectory()
    for (name, value) in [("a.png", Float(0.2)), ("b.png", 0.8)] {
      try PNG.write(Image(width: 8, height: 8, intensities: (0..<64).map { Float($0 % 8) / 8 * value }), to: images.path(name))
    }
    let result = try CLI.run(["denoise", model, images.path("a.png"), images.path("b.png"), "--output", work.path("clean")])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("Wrote 2 denoised PNG files to \(work.path("clean"))/"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: work.path("clean")).sorted() == ["a.png", "b.png"])
    let output = try PNG.read(work.path("clean/a.png"))
    #expect(output.width == 8 && output.height == 8 && output.channels == 1)
  }

  @Test func idxDataGivesAFigureOrAnArrayAndNoiseGivesPSNR() throws {
    let figure = try CLI.run(["denoise", model, data.path, "--noise", "masking:0.3", "--count", "5", "--output", work.path("figure.png")])
    #expect(figure.status == 0, "\(figure.error)")
    #expect(figure.output.contains("PSNR against the clean images, mean of 60: noisy (masking:0.3)"))
    #expect(figure.output.contains("clean, noisy and denoised images, the first 5"))
    let image = try PNG.read(work.path("figure.png"))
    #expect(image.height == 3 * (8 * 2 + 2) + 2)  // three rows of 8×8 images at scale 2, padded
    let array = try CLI.run(["denoise", model, data.path + "/t10k-images-idx3-ubyte.gz", "--output", work.path("all.npy")])
    #expect(array.status == 0, "\(array.error)")
    #expect(try NPY.read(work.path("all.npy")).shape == [60, 8, 8])
  }
}
