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
    if let windowing = set.windowing { return try renderSeries(model, on: set, windowing: windowing) }
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

extension ReconstructionFigure {
  /// Windows of a time series the series figure shows: back to back from the set's first, at most
  /// `windowCount`.
  public static let windowCount = 4

  /// What `render` draws for a time series' windows: its first steps (`windowCount` windows back to
  /// back) and the model's reconstruction of them, in the data's units, one chart per channel
  /// (at most 3) stacked.
  func renderSeries(_ model: Autoencoder, on set: ImageSet, windowing: Windowing) throws -> Image {
    let (length, channels) = (set.exampleShape[0], set.exampleShape.count > 1 ? set.exampleShape[1] : 1)
    let apart = max(1, length / windowing.stride)  // windows this far apart follow each other
    let picked = Array(Swift.stride(from: 0, to: set.count, by: apart).prefix(Self.windowCount))
    let shown = set.selecting(picked)
    let originals = picked.flatMap { set.unscaledExample($0) }
    var outputs = try model.reconstruct(shown).scalars
    if let scaling = set.scaling { outputs = scaling.restore(outputs) }
    // Window k starts at step (first + picked[k]) · stride of the series.
    let first = windowing.inOrder ? set.range.lowerBound : 0
    let charts = (0..<min(channels, 3)).map { channel -> Image in
      func points(_ values: [Float]) -> [(x: Double, y: Double)] {
        picked.enumerated().flatMap { k, window in
          (0..<length).map { t in (Double((first + window) * windowing.stride + t), Double(values[(k * length + t) * channels + channel])) }
        }
      }
      let name = set.columnNames.map { $0.count == channels ? " (\($0[channel]))" : "" } ?? (channels > 1 ? " (channel \(channel + 1))" : "")
      var chart = LineChart(title: "\(picked.count) window\(picked.count == 1 ? "" : "s") of \(length) steps\(name) and their reconstruction",
                            xLabel: "time step", series: [
                              LineChart.Series(name: "data", points: points(originals), color: LineChart.palette[0]),
                              LineChart.Series(name: "reconstruction", points: points(outputs), color: LineChart.palette[1]),
                            ])
      chart.scale = scale
      return chart.render(width: 480 * scale, height: 220 * scale)
    }
    return Image.stacked(charts)
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
