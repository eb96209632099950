import Foundation

/// What a variational autoencoder generates: decoded draws from its prior, paths between codes,
/// and the grid of its decoded latent space (the Keras blog's "manifold").
extension Autoencoder {
  /// `count` images decoded from codes drawn from the prior `N(0, I)`, code `i` from stream `i`
  /// of `seed`: the same seed gives the same images. `[count] + inputShape`.
  ///
  /// - Throws: `EvaluationError.notVariational` for a plain autoencoder, whose codes have no prior.
  public func sample(count: Int, seed: UInt64) throws -> Tensor {
    guard let latent else { throw EvaluationError.notVariational("sampling") }
    return try decode(codes: Tensor.randomNormal(rows: count, columns: latent.latentSize, seed: seed, firstRow: 0))
  }

  /// `steps` codes from `start` to `end` (both included): along the line between them, or with
  /// `spherical`, along the great circle (slerp, White 2016), which keeps draws from a Gaussian
  /// prior at a typical distance from the origin.
  public static func interpolate(from start: [Float], to end: [Float], steps: Int, spherical: Bool = false) -> [[Float]] {
    precondition(start.count == end.count && steps >= 2, "interpolation needs codes of one size and at least 2 steps")
    let dot = zip(start, end).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    let norms = (start.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot(), end.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
    let angle = norms.0 > 0 && norms.1 > 0 ? acos(max(-1, min(1, dot / (norms.0 * norms.1)))) : 0
    return (0..<steps).map { step in
      let t = Double(step) / Double(steps - 1)
      let (a, b) = spherical && sin(angle) > 1e-6 ? (sin((1 - t) * angle) / sin(angle), sin(t * angle) / sin(angle)) : (1 - t, t)
      return zip(start, end).map { Float(a * Double($0) + b * Double($1)) }
    }
  }

  /// The decoded latent space over two dimensions: a `size`×`size` grid of codes whose
  /// `dimensions` run over the standard normal's quantiles from `quantiles.lowerBound` to
  /// `quantiles.upperBound` (the Keras blog's 0.05 to 0.95), the other dimensions at the prior's
  /// mean, 0. Row `r` (top first) holds the largest second-dimension value first; column `c` the
  /// smallest first dimension first. Returns the images, `[size·size] + inputShape`, row by row,
  /// and the values along each axis.
  ///
  /// - Throws: `EvaluationError.notVariational`; `ManifoldError` for dimensions the latent lacks.
  public func manifold(size: Int = 15, dimensions: (Int, Int) = (0, 1), quantiles: ClosedRange<Double> = 0.05...0.95) throws
    -> (images: Tensor, values: [Double])
  {
    guard let latent else { throw EvaluationError.notVariational("the manifold") }
    let width = latent.latentSize
    guard width >= 2, dimensions.0 != dimensions.1, (0..<width).contains(dimensions.0), (0..<width).contains(dimensions.1) else {
      throw ManifoldError.dimensions(dimensions, latent: width)
    }
    let values = (0..<size).map { Self.normalQuantile(quantiles.lowerBound + (quantiles.upperBound - quantiles.lowerBound) * Double($0) / Double(max(size - 1, 1))) }
    var codes = [Float](repeating: 0, count: size * size * width)
    for row in 0..<size {
      for column in 0..<size {
        let code = (row * size + column) * width
        codes[code + dimensions.0] = Float(values[column])
        codes[code + dimensions.1] = Float(values[size - 1 - row])
      }
    }
    return (try decode(codes: Tensor(shape: [size * size, width], scalars: codes)), values)
  }

  /// The standard normal's quantile function Φ⁻¹(p), by bisection on Φ(x) = (1 + erf(x/√2))/2.
  static func normalQuantile(_ p: Double) -> Double {
    var (low, high) = (-12.0, 12.0)
    for _ in 0..<80 {
      let middle = (low + high) / 2
      if (1 + erf(middle / 2.0.squareRoot())) / 2 < p { low = middle } else { high = middle }
    }
    return (low + high) / 2
  }
}

/// Latent dimensions a manifold cannot be drawn over.
public enum ManifoldError: Error, Equatable, CustomStringConvertible {
  case dimensions((Int, Int), latent: Int)

  public static func == (lhs: ManifoldError, rhs: ManifoldError) -> Bool { lhs.description == rhs.description }

  public var description: String {
    switch self {
    case .dimensions(let dimensions, let latent):
      latent < 2
        ? "the manifold needs at least 2 latent dimensions; this model has \(latent)"
        : "--dimensions \(dimensions.0),\(dimensions.1): give two different dimensions from 0 to \(latent - 1) (the latent has \(latent))"
    }
  }
}

/// The Keras blog's figure of a variational model's latent space: the `manifold` grid, with each
/// row and column labelled by its latent value and the two axes named.
public struct ManifoldFigure {
  public var size = 15
  public var dimensions = (0, 1)
  public var quantiles: ClosedRange<Double> = 0.05...0.95
  /// Pixels per image pixel, and per font pixel of the labels.
  public var scale = 2

  public init(size: Int = 15, dimensions: (Int, Int) = (0, 1), quantiles: ClosedRange<Double> = 0.05...0.95, scale: Int = 2) {
    (self.size, self.dimensions, self.quantiles, self.scale) = (size, dimensions, quantiles, scale)
  }

  /// The figure, and the decoded images it shows (`[size·size] + inputShape`).
  public func render(_ model: Autoencoder) throws -> (figure: Image, images: Tensor, values: [Double]) {
    let (images, values) = try model.manifold(size: size, dimensions: dimensions, quantiles: quantiles)
    let grid = try model.architecture.grid(of: images, columns: size, scale: scale)
    let cell = (grid.width - 2) / size  // each image and the padding after it
    let labels = values.map { String(format: "%.1f", abs($0) < 0.05 ? 0 : $0) }  // no "-0.0"
    let (font, gap) = (scale, 4 * scale)
    let labelWidth = labels.map { Canvas.width(of: $0, scale: font) }.max()!
    let xTitle = "z[\(dimensions.0)]", yTitle = "z[\(dimensions.1)]"
    // Every column's value where the labels fit side by side, else every second or third.
    let every = (1...size).first { $0 * cell >= labelWidth + 2 * scale } ?? size
    let left = max(labelWidth, Canvas.width(of: yTitle, scale: font)) + gap
    let top = Canvas.lineHeight(scale: font) + 2 * gap
    let bottom = 2 * Canvas.lineHeight(scale: font) + 3 * gap
    var canvas = Canvas(width: left + grid.width + gap, height: top + grid.height + bottom)
    canvas.paste(grid, x: left, y: top)
    canvas.draw(yTitle, x: left - gap - Canvas.width(of: yTitle, scale: font), y: gap, scale: font)
    for row in 0..<size {
      let label = labels[size - 1 - row], y = top + 2 + row * cell + (cell - 2 - Canvas.lineHeight(scale: font)) / 2
      canvas.draw(label, x: left - gap - Canvas.width(of: label, scale: font), y: y, scale: font)
    }
    let ticks = top + grid.height + gap
    for column in stride(from: 0, to: size, by: every) {
      let center = left + 2 + column * cell + (cell - 2) / 2
      canvas.line(x: center, y0: top + grid.height, y1: top + grid.height + gap / 2)
      canvas.draw(labels[column], x: center - Canvas.width(of: labels[column], scale: font) / 2, y: ticks, scale: font)
    }
    canvas.draw(xTitle, x: left + (grid.width - Canvas.width(of: xTitle, scale: font)) / 2,
                y: ticks + Canvas.lineHeight(scale: font) + gap, scale: font)
    return (canvas.image, images, values)
  }
}
