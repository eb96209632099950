import Foundation

/// A line chart drawn by the project, for figures the tool writes (training curves): axes with
/// round tick values, light grid lines, each series a coloured polyline with a dot per point (a
/// NaN point breaks the line; no dots past 100 points), a
/// legend, and labelled vertical markers (an epoch of note). Text uses `Canvas`'s font.
public struct LineChart {
  /// An RGB colour.
  public typealias Color = (red: UInt8, green: UInt8, blue: UInt8)
  /// matplotlib's first colours, which readers know: blue, orange, green, red.
  public static let palette: [Color] = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
                                       (227, 119, 194), (127, 127, 127)]

  public struct Series {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var color: Color
    public init(name: String, points: [(x: Double, y: Double)], color: Color) {
      (self.name, self.points, self.color) = (name, points, color)
    }
  }

  public var title: String
  public var xLabel: String
  public var series: [Series]
  /// Dashed vertical lines at these x values, each labelled.
  public var markers: [(x: Double, label: String)]
  /// Pixels per font pixel.
  public var scale = 2
  /// Whether x ticks are whole numbers and the x axis spans at least 1 (epochs); false for
  /// continuous x values (rates, scores).
  public var integerX = true

  public init(title: String, xLabel: String, series: [Series], markers: [(x: Double, label: String)] = []) {
    (self.title, self.xLabel, self.series, self.markers) = (title, xLabel, series, markers)
  }

  /// Round tick values covering `range`: steps of 1, 2 or 5 times a power of ten, about `count` of them.
  static func ticks(_ range: ClosedRange<Double>, count: Int = 6, integers: Bool = false) -> (values: [Double], decimals: Int) {
    let span = max(range.upperBound - range.lowerBound, 1e-12)
    let rough = span / Double(max(count - 1, 1))
    let power = pow(10, floor(log10(rough)))
    var step = ([1.0, 2, 5, 10].first { $0 * power >= rough } ?? 10) * power
    if integers { step = max(step.rounded(), 1) }
    let first = (range.lowerBound / step).rounded(.up) * step
    let values = stride(from: first, through: range.upperBound + step * 1e-9, by: step).map { $0 }
    return (values, max(0, Int(-floor(log10(step)))))
  }

  /// A tick value with `decimals` decimals, rounded first so that a hair below zero reads "0", not "-0".
  public static func tickLabel(_ value: Double, decimals: Int) -> String {
    let scale = pow(10, Double(decimals))
    return String(format: "%.\(decimals)f", (value * scale).rounded() / scale + 0)
  }

  /// The chart as an RGB image of `width`×`height` pixels.
  public func render(width: Int = 720, height: Int = 440) -> Image {
    var pixels = [UInt8](repeating: 255, count: width * height * 3)
    func set(_ x: Int, _ y: Int, _ color: Color) {
      guard (0..<width).contains(x), (0..<height).contains(y) else { return }
      let i = (y * width + x) * 3
      (pixels[i], pixels[i + 1], pixels[i + 2]) = (color.red, color.green, color.blue)
    }
    func text(_ string: String, _ x: Int, _ y: Int, _ color: Color = (0, 0, 0)) {
      Canvas.forEachPixel(of: string, x: x, y: y, scale: scale) { set($0, $1, color) }
    }
    func textWidth(_ string: String) -> Int { Canvas.width(of: string, scale: scale) }
    let lineHeight = Canvas.lineHeight(scale: scale), gap = 5 * scale

    let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    let xs = points.map(\.x), ys = points.map(\.y)
    let xRange = (xs.min() ?? 0)...max(xs.max() ?? 1, (xs.min() ?? 0) + (integerX ? 1 : 1e-9))
    let (low, high) = (ys.min() ?? 0, ys.max() ?? 1)
    let pad = max(high - low, abs(high) * 1e-3, 1e-9) * 0.08
    let yRange = (low - pad)...(high + pad)
    let xTicks = Self.ticks(xRange, count: integerX ? 8 : 6, integers: integerX), yTicks = Self.ticks(yRange)
    let yLabels = yTicks.values.map { Self.tickLabel($0, decimals: yTicks.decimals) }

    // The legend: a swatch and a name per series, in the title's row at the right where it fits
    // there, else in rows of their own under the x label.
    let swatch = 8 * scale
    func entryWidth(_ series: Series) -> Int { swatch + gap + textWidth(series.name) + 2 * gap }
    let rowWidth = series.reduce(0) { $0 + entryWidth($1) } - 2 * gap
    let left0 = (yLabels.map(textWidth).max() ?? 0) + 2 * gap  // the plot's left edge
    let legendInTitleRow = left0 + textWidth(title) + 3 * gap + rowWidth <= width - 3 * gap
    var legendRows: [[Series]] = [[]]
    if !legendInTitleRow {
      var used = 0
      for entry in series {
        if left0 + used + entryWidth(entry) - 2 * gap > width - 3 * gap, !legendRows[legendRows.count - 1].isEmpty {
          legendRows.append([])
          used = 0
        }
        legendRows[legendRows.count - 1].append(entry)
        used += entryWidth(entry)
      }
    }
    let legendHeight = legendInTitleRow ? 0 : legendRows.count * (lineHeight + scale) + gap

    // The plot area, inside the margins for the title, the tick labels, the x label and the legend.
    let left = left0
    let top = lineHeight + 3 * gap
    let right = width - 3 * gap, bottom = height - 2 * lineHeight - 3 * gap - legendHeight
    func px(_ x: Double) -> Int { left + Int(((x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Double(right - left)).rounded()) }
    func py(_ y: Double) -> Int { bottom - Int(((y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * Double(bottom - top)).rounded()) }

    text(title, left, gap)
    // Grid lines and tick labels.
    let grid: Color = (225, 225, 225), axis: Color = (60, 60, 60)
    for (value, label) in zip(yTicks.values, yLabels) where yRange.contains(value) {
      for x in left...right { set(x, py(value), grid) }
      text(label, left - gap - textWidth(label), py(value) - lineHeight / 2)
    }
    for value in xTicks.values where xRange.contains(value) {
      for y in top...bottom { set(px(value), y, grid) }
      let label = Self.tickLabel(value, decimals: xTicks.decimals)
      text(label, px(value) - textWidth(label) / 2, bottom + gap)
    }
    text(xLabel, left + (right - left - textWidth(xLabel)) / 2, bottom + 2 * gap + lineHeight)
    for x in left...right { set(x, bottom, axis) }
    for y in top...bottom { set(left, y, axis) }

    // Markers: dashed grey lines, labelled at the top, stacked where several.
    for (index, marker) in markers.enumerated() where xRange.contains(marker.x) {
      let x = px(marker.x)
      for y in stride(from: top, through: bottom, by: 1) where (y / (3 * scale)) % 2 == 0 { set(x, y, (120, 120, 120)) }
      let labelY = top + scale + index * (lineHeight + scale)
      let labelX = x + textWidth(marker.label) + 2 * scale < right ? x + 2 * scale : x - 2 * scale - textWidth(marker.label)
      text(marker.label, labelX, labelY, (90, 90, 90))
    }

    // Series: two-pixel polylines, a dot at each point.
    func line(_ a: (Int, Int), _ b: (Int, Int), _ color: Color) {
      let steps = max(abs(b.0 - a.0), abs(b.1 - a.1), 1)
      for step in 0...steps {
        let x = a.0 + (b.0 - a.0) * step / steps, y = a.1 + (b.1 - a.1) * step / steps
        for dy in 0..<scale { for dx in 0..<scale { set(x + dx - scale / 2, y + dy - scale / 2, color) } }
      }
    }
    for series in series {
      let drawn = series.points.filter { $0.x.isFinite && $0.y.isFinite }.map { (px($0.x), py($0.y)) }
      // A point that is not finite breaks the line: segments apart.
      for (a, b) in zip(series.points, series.points.dropFirst()) where a.x.isFinite && a.y.isFinite && b.x.isFinite && b.y.isFinite {
        line((px(a.x), py(a.y)), (px(b.x), py(b.y)), series.color)
      }
      if drawn.count <= 100 {
        for point in drawn { for dy in -scale...scale { for dx in -scale...scale { set(point.0 + dx, point.1 + dy, series.color) } } }
      }
    }

    if legendInTitleRow {
      var legendX = right - rowWidth
      for series in series {
        line((legendX, gap + lineHeight / 2), (legendX + swatch, gap + lineHeight / 2), series.color)
        text(series.name, legendX + swatch + gap, gap)
        legendX += entryWidth(series)
      }
    } else {
      for (row, entries) in legendRows.enumerated() {
        let y = bottom + 3 * gap + 2 * lineHeight + row * (lineHeight + scale)
        var legendX = left
        for series in entries {
          line((legendX, y + lineHeight / 2), (legendX + swatch, y + lineHeight / 2), series.color)
          text(series.name, legendX + swatch + gap, y)
          legendX += entryWidth(series)
        }
      }
    }
    return Image(width: width, height: height, channels: 3, pixels: pixels)
  }
}
