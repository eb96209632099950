import ImageFiles
import Testing

@Suite struct ImageGridTests {
  @Test func placesEachImageInItsCell() {
    let grid = ImageGrid(width: 2, height: 1, padding: 1, scale: 1, background: 1)
    let image = grid.tile([[[0, 0], [0.5, 0.5]], [[1, 0]]])
    // 2 columns of (2 + 1) plus 1 = 7 wide; 2 rows of (1 + 1) plus 1 = 5 high.
    #expect(image.width == 7 && image.height == 5)
    #expect(Array(image.pixels[7..<14]) == [255, 0, 0, 255, 128, 128, 255])
    #expect(Array(image.pixels[21..<28]) == [255, 255, 0, 255, 255, 255, 255])  // short row: background
  }

  @Test func scalesByNearestNeighbour() {
    let image = ImageGrid(width: 1, height: 1, padding: 0, scale: 3).tile([[[0.2]]])
    #expect(image.width == 3 && image.height == 3)
    #expect(Set(image.pixels) == [51])
  }

  @Test func tilesColourImagesChannelByChannel() {
    let image = ImageGrid(width: 1, height: 1, padding: 1, scale: 1, background: 1, channels: 3).tile([[[1, 0, 0.5]]])
    #expect(image.channels == 3 && image.width == 3 && image.height == 3)
    #expect(Array(image.pixels[12..<15]) == [255, 0, 128] && Array(image.pixels[0..<3]) == [255, 255, 255])
  }
}
