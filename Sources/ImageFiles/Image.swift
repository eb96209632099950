/// An 8-bit image: `height` rows of `width` pixels of `channels` interleaved samples
/// (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA), top row first.
public struct Image: Equatable, Sendable {
  public let width: Int
  public let height: Int
  public let channels: Int
  /// `height · width · channels` samples, row-major, channels interleaved.
  public var pixels: [UInt8]

  public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
    precondition((1...4).contains(channels), "an image has 1 to 4 channels, not \(channels)")
    precondition(pixels.count == width * height * channels,
                 "\(pixels.count) samples for a \(width)x\(height) image of \(channels) channels")
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }

  /// The longest side of an image the tool reads (PNG files, IDX images): 16,384 pixels.
  public static let maximumSide = 1 << 14
  /// The most pixels of an image the tool reads: 2^24 = 16,777,216 (4096×4096).
  public static let maximumPixels = 1 << 24

  /// Why a `width`×`height` image is too large to read (naming the limit), or nil.
  public static func sizeProblem(width: Int, height: Int) -> String? {
    guard width <= maximumSide, height <= maximumSide, width * height <= maximumPixels else {
      return "\(width)×\(height) images exceed the limit of \(maximumSide) pixels a side and \(maximumPixels) pixels (4096×4096) in all"
    }
    return nil
  }

  /// A grayscale image from intensities in [0, 1] (clamped, rounded to the nearest of 256 levels).
  public init(width: Int, height: Int, intensities: some Collection<Float>) {
    self.init(width: width, height: height, channels: 1, pixels: intensities.map(Image.byte))
  }

  /// The image as gray intensities in [0, 1]: colour by Rec. 601 luma (as PIL's `convert("L")`),
  /// alpha dropped.
  public var grayIntensities: [Float] {
    switch channels {
    case 1: return pixels.map { Float($0) / 255 }
    case 2: return stride(from: 0, to: pixels.count, by: 2).map { Float(pixels[$0]) / 255 }
    default:
      return stride(from: 0, to: pixels.count, by: channels).map { i in
        (0.299 * Float(pixels[i]) + 0.587 * Float(pixels[i + 1]) + 0.114 * Float(pixels[i + 2])) / 255
      }
    }
  }

  /// An intensity in [0, 1] as the nearest 8-bit level (NaN as 0).
  @inlinable
  public static func byte(_ intensity: Float) -> UInt8 {
    guard intensity.isFinite else { return intensity == .infinity ? 255 : 0 }
    return UInt8(max(0, min(255, (intensity * 255).rounded())))
  }
}

extension Image {
  /// `images` (of one channel count) one above the other, left-aligned, on white.
  public static func stacked(_ images: [Image]) -> Image {
    precondition(!images.isEmpty && Set(images.map(\.channels)).count == 1, "images to stack need one channel count")
    let width = images.map(\.width).max()!, channels = images[0].channels
    var pixels = [UInt8]()
    pixels.reserveCapacity(width * images.map(\.height).reduce(0, +) * channels)
    for image in images {
      for row in 0..<image.height {
        pixels += image.pixels[(row * image.width * channels)..<((row + 1) * image.width * channels)]
        pixels += [UInt8](repeating: 255, count: (width - image.width) * channels)
      }
    }
    return Image(width: width, height: pixels.count / (width * channels), channels: channels, pixels: pixels)
  }
}
