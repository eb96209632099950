/// Tiles equally sized grayscale (or RGB) images into one image, as for a figure of originals above
/// their reconstructions.
public struct ImageGrid {
  /// Each image's width and height in pixels.
  public let width: Int
  public let height: Int
  /// Pixels of background between images and around the edge.
  public var padding = 2
  /// Each source pixel becomes a `scale`×`scale` block (nearest neighbour), so 28×28 digits are
  /// visible at a glance.
  public var scale = 2
  /// The background intensity in [0, 1].
  public var background: Float = 1
  /// Samples per pixel: 1 (gray) or 3 (RGB, interleaved).
  public var channels = 1

  public init(width: Int, height: Int, padding: Int = 2, scale: Int = 2, background: Float = 1, channels: Int = 1) {
    precondition(width > 0 && height > 0 && padding >= 0 && scale >= 1 && (channels == 1 || channels == 3))
    self.channels = channels
    self.width = width
    self.height = height
    self.padding = padding
    self.scale = scale
    self.background = background
  }

  /// One image of `rows` rows of images, each row a list of images of `width · height · channels`
  /// intensities in [0, 1]. Shorter rows leave background.
  public func tile(_ rows: [[[Float]]]) -> Image {
    let columns = rows.map(\.count).max() ?? 0
    let cellWidth = width * scale + padding, cellHeight = height * scale + padding
    let totalWidth = columns * cellWidth + padding, totalHeight = rows.count * cellHeight + padding
    var pixels = [UInt8](repeating: Image.byte(background), count: totalWidth * totalHeight * channels)
    for (r, row) in rows.enumerated() {
      for (c, image) in row.enumerated() {
        precondition(image.count == width * height * channels, "an image of \(image.count) intensities in a grid of \(width)x\(height)x\(channels)")
        let left = padding + c * cellWidth, top = padding + r * cellHeight
        for y in 0..<(height * scale) {
          for x in 0..<(width * scale) {
            for channel in 0..<channels {
              pixels[((top + y) * totalWidth + left + x) * channels + channel] = Image.byte(image[((y / scale) * width + x / scale) * channels + channel])
            }
          }
        }
      }
    }
    return Image(width: totalWidth, height: totalHeight, channels: channels, pixels: pixels)
  }
}
