import Foundation

/// Rate-distortion curves of several codecs on the same images: PSNR and SSIM against bits per
/// pixel, side by side, one colour per codec; and each codec's Bjøntegaard delta rate against
/// an anchor codec (JPEG, by convention).
public struct RateDistortionFigure {
  /// One codec's points, in any order (drawn by rate).
  public struct Curve: Equatable {
    public var codec: String
    public var points: [Point]
    public init(codec: String, points: [Point]) { (self.codec, self.points) = (codec, points) }
  }

  public struct Point: Equatable {
    public var bitsPerPixel: Double, psnr: Double, ssim: Double
    public init(bitsPerPixel: Double, psnr: Double, ssim: Double) { (self.bitsPerPixel, self.psnr, self.ssim) = (bitsPerPixel, psnr, ssim) }
  }

  public var curves: [Curve]
  /// What the images are, for the titles ("Fashion-MNIST test images").
  public var subject: String

  public init(curves: [Curve], subject: String) { (self.curves, self.subject) = (curves, subject) }

  /// The curves of a CSV file with the columns `codec`, `bits_per_pixel`, `psnr` and `ssim` (any
  /// order, others ignored), one row per point.
  ///
  /// - Throws: `FileError` naming the file and the missing column or bad value.
  public static func curves(fromCSV path: String) throws -> [Curve] {
    let table = try CSV.readTable(path, header: true, labelColumn: "codec", threads: 1)
    guard let codecs = table.labels?.cells else { throw FileError(path, "has no codec column") }
    func column(_ name: String) throws -> Int {
      guard let index = table.columnNames.firstIndex(of: name) else { throw FileError(path, "has no \(name) column (columns: codec, bits_per_pixel, psnr, ssim)") }
      return index
    }
    let (rate, psnr, ssim) = (try column("bits_per_pixel"), try column("psnr"), try column("ssim"))
    var curves: [Curve] = []
    for row in 0..<table.rows {
      let value = { (column: Int) in Double(table.values[row * table.columns + column]) }
      let point = Point(bitsPerPixel: value(rate), psnr: value(psnr), ssim: value(ssim))
      guard point.bitsPerPixel > 0, point.bitsPerPixel.isFinite, point.psnr.isFinite, point.ssim.isFinite else {
        throw FileError(path, "row \(row + 2): a rate that is not positive, or a quality that is not a number")
      }
      if let index = curves.firstIndex(where: { $0.codec == codecs[row] }) { curves[index].points.append(point) } else {
        curves.append(Curve(codec: codecs[row], points: [point]))
      }
    }
    guard !curves.isEmpty else { throw FileError(path, "holds no points") }
    return curves
  }

  /// Each other codec's Bjøntegaard delta rate against `anchor` in PSNR and in SSIM (nil where the
  /// curves do not overlap or have under two points); the PSNR one over `psnrWindow` only, where given.
  public func deltaRates(against anchor: String, psnrWindow: ClosedRange<Double>? = nil) -> [(codec: String, psnr: Double?, ssim: Double?)] {
    guard let base = curves.first(where: { $0.codec == anchor }) else { return [] }
    return curves.filter { $0.codec != anchor }.map { curve in
      (curve.codec,
       BjontegaardDelta.rate(of: curve.points.map { ($0.bitsPerPixel, $0.psnr) }, against: base.points.map { ($0.bitsPerPixel, $0.psnr) },
                             within: psnrWindow),
       BjontegaardDelta.rate(of: curve.points.map { ($0.bitsPerPixel, $0.ssim) }, against: base.points.map { ($0.bitsPerPixel, $0.ssim) }))
    }
  }

  /// The two charts side by side, `2 · width` × `height` pixels.
  public func render(width: Int = 720, height: Int = 480) -> Image {
    func chart(_ title: String, _ quality: (Point) -> Double) -> Image {
      let series = curves.enumerated().map { index, curve in
        LineChart.Series(name: curve.codec, points: curve.points.sorted { $0.bitsPerPixel < $1.bitsPerPixel }.map { ($0.bitsPerPixel, quality($0)) },
                         color: LineChart.palette[index % LineChart.palette.count])
      }
      var chart = LineChart(title: title, xLabel: "bits per pixel", series: series)
      chart.integerX = false
      return chart.render(width: width, height: height)
    }
    let left = chart("PSNR (dB) of \(subject)", \.psnr), right = chart("SSIM of \(subject)", \.ssim)
    var pixels = [UInt8](repeating: 255, count: 2 * width * height * 3)
    for row in 0..<height {
      pixels.replaceSubrange((row * 2 * width * 3)..<((row * 2 + 1) * width * 3), with: left.pixels[(row * width * 3)..<((row + 1) * width * 3)])
      pixels.replaceSubrange(((row * 2 + 1) * width * 3)..<((row + 1) * 2 * width * 3), with: right.pixels[(row * width * 3)..<((row + 1) * width * 3)])
    }
    return Image(width: 2 * width, height: height, channels: 3, pixels: pixels)
  }
}
