/// A figure of originals above their reconstructions, as in Keras's autoencoder tutorial:
/// rows of `columns` originals, each followed by a row of the model's reconstructions of them.
public struct ReconstructionFigure {
  public var count = 10
  public var columns = 10
  public var scale = 2

  public init(count: Int = 10, columns: Int = 10, scale: Int = 2) {
    self.count = count
    self.columns = columns
    self.scale = scale
  }

  /// The figure for the first `count` examples of `set`.
  ///
  /// - Throws: `FigureError` when the model's examples cannot be shown as images.
  public func render(_ model: Autoencoder, on set: ImageSet) throws -> Image {
    let shown = set.prefix(count)
    let reconstructions = try model.reconstruct(shown)
    // Originals first, then reconstructions: image i's reconstruction is image count + i.
    let images = Tensor(shape: [2 * shown.count, set.exampleSize],
                        scalars: (0..<shown.count).flatMap { shown.example($0) } + reconstructions.scalars)
    let rows = stride(from: 0, to: shown.count, by: columns).flatMap { start in
      let indices = Array(start..<min(start + columns, shown.count))
      return [indices, indices.map { shown.count + $0 }]
    }
    return try model.architecture.grid(rows: rows, of: images, scale: scale)
  }
}

/// Outputs that cannot be drawn.
public enum FigureError: Error, Equatable, CustomStringConvertible {
  case notImages([Int])

  public var description: String {
    switch self {
    case .notImages(let shape): "examples of shape \(shape) cannot be shown as images (no image shape is known)"
    }
  }
}

extension Architecture {
  /// A figure of `images` (`[count] + inputShape`, in order) in rows of `columns`, each pixel a
  /// `scale`×`scale` block.
  ///
  /// - Throws: `FigureError` when the model's examples cannot be shown as images.
  public func grid(of images: Tensor, columns: Int, scale: Int = 2) throws -> Image {
    try grid(rows: stride(from: 0, to: images.shape.first ?? 0, by: max(columns, 1)).map { start in
      Array(start..<min(start + columns, images.shape[0]))
    }, of: images, scale: scale)
  }

  /// A figure of `images` arranged as `rows` of indices into them.
  public func grid(rows: [[Int]], of images: Tensor, scale: Int = 2) throws -> Image {
    let colour = imageShape.map { $0.count == 3 && $0[2] == 3 } ?? false
    guard let (height, width) = colour ? (imageShape![0], imageShape![1]) : displayShape else { throw FigureError.notImages(inputShape) }
    let channels = colour ? 3 : 1
    let size = height * width * channels, values = images.scalars
    precondition(values.count == (images.shape.first ?? 0) * size, "images of \(images.shape) for \(height)×\(width)×\(channels)")
    return ImageGrid(width: width, height: height, padding: 2, scale: scale, background: 1, channels: channels)
      .tile(rows.map { $0.map { Array(values[($0 * size)..<(($0 + 1) * size)]) } })
  }
}
