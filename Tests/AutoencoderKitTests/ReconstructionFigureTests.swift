import AutoencoderKit
import Testing

@Suite struct ReconstructionFigureTests {
  @Test func gridsPlaceEachImageInItsCell() throws {
    let architecture = Architecture.dense(inputSize: 4, hiddenSizes: [2])  // 2×2 images
    let images = Tensor(shape: [3, 4], scalars: [0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1])
    let image = try architecture.grid(of: images, columns: 2, scale: 1)
    // Two rows of two 2×2 cells with 2 pixels of white around and between.
    #expect(image.width == 2 + 2 * (2 + 2) && image.height == 2 + 2 * (2 + 2))
    #expect(image.pixels[2 * image.width + 2] == 0 && image.pixels[2 * image.width + 6] == 255)  // first and second images
    #expect(image.pixels[6 * image.width + 2] == 0 && image.pixels[6 * image.width + 3] == 255)  // the third: 0, 1 across
    #expect(image.pixels[6 * image.width + 6] == 255)  // no fourth image: background
    #expect(throws: FigureError.notImages([3])) {
      try Architecture.dense(inputSize: 3, hiddenSizes: [2]).grid(of: Tensor(shape: [1, 3], scalars: [0, 0, 0]), columns: 1)
    }
  }

  @Test func reconstructionFiguresShowOriginalsAboveReconstructions() throws {
    var generator = SplitMix64(seed: 2)
    let model = try Autoencoder(.dense(inputSize: 4, hiddenSizes: [2]), using: &generator)
    let set = ImageSet(storage: .floats([1, 1, 1, 1, 0, 0, 0, 0]), exampleShape: [2, 2], source: "test")
    let image = try ReconstructionFigure(count: 2, columns: 2, scale: 1).render(model, on: set)
    #expect(image.height == 2 + 2 * (2 + 2) && image.width == 2 + 2 * (2 + 2))
    #expect(image.pixels[2 * image.width + 2] == 255 && image.pixels[2 * image.width + 6] == 0)  // the originals, top row
    let reconstruction = model.reconstruct(Tensor(shape: [1, 4], scalars: [1, 1, 1, 1])).scalars[0]
    #expect(image.pixels[6 * image.width + 2] == Image.byte(reconstruction))
  }
}
