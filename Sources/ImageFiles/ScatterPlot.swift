import Foundation

/// A scatter plot drawn by the project, for maps of codes: each point a small disc coloured by
/// its class (matplotlib's `tab10`, then `tab20`'s light shades), axes with round ticks, a title,
/// axis labels and a legend of class names beside the plot. Discs are drawn half-opaque so dense
/// regions read as dense, in a seeded order so no class hides another.
public struct ScatterPlot {
  public typealias Color = LineChart.Color
  /// matplotlib's `tab10`, then the light halves of `tab20`.
  public static let palette: [Color] = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
    (188, 189, 34), (23, 190, 207), (174, 199, 232), (255, 187, 120), (152, 223, 138), (255, 152, 150), (197, 176, 213),
    (196, 156, 148), (247, 182, 210), (199, 199, 199), (219, 219, 141), (158, 218, 229),
  ]

  public var title: String
  public var xLabel: String
  public var yLabel: String
  /// The points, `(x, y)`.
  public var points: [(x: Float, y: Float)]
  /// Each point's class (an index into `classNames`), or nil for one colour.
  public var labels: [Int]?
  /// The classes' names, for the legend.
  public var classNames: [String]
  /// Pixels per font pixel.
  public var scale = 2
  /// Each disc's radius in pixels.
  public var radius = 2

  public init(title: String, xLabel: String, yLabel: String, points: [(x: Float, y: Float)], labels: [Int]? = nil, classNames: [String] = []) {
    precondition(labels == nil || labels!.count == points.count, "\(labels!.count) labels for \(points.count) points")
    (self.title, self.xLabel, self.yLabel, self.points, self.labels, self.classNames) = (title, xLabel, yLabel, points, labels, classNames)
  }

  /// The colour of class `label`.
  public static func color(_ label: Int) -> Color { palette[label % palette.count] }

  /// The plot as an RGB image of `width`×`height` pixels.
  public func render(width: Int = 900, height: Int = 700) -> Image {
    var pixels = [UInt8](repeating: 255, count: width * height * 3)
    func set(_ x: Int, _ y: Int, _ color: Color, opacity: Float = 1) {
      guard (0..<width).contains(x), (0..<height).contains(y) else { return }
      let i = (y * width + x) * 3
      func mix(_ old: UInt8, _ new: UInt8) -> UInt8 { UInt8((Float(old) * (1 - opacity) + Float(new) * opacity).rounded()) }
      (pixels[i], pixels[i + 1], pixels[i + 2]) = (mix(pixels[i], color.red), mix(pixels[i + 1], color.green), mix(pixels[i + 2], color.blue))
    }
    func text(_ string: String, _ x: Int, _ y: Int, _ color: Color = (0, 0, 0)) {
      Canvas.forEachPixel(of: string, x: x, y: y, scale: scale) { set($0, $1, color) }
    }
    func textWidth(_ string: String) -> Int { Canvas.width(of: string, scale: scale) }
    let lineHeight = Canvas.lineHeight(scale: scale), gap = 5 * scale

    let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
    func range(_ values: [Float]) -> ClosedRange<Double> {
      let (low, high) = (Double(values.min() ?? 0), Double(values.max() ?? 1))
      let pad = max(high - low, 1e-9) * 0.04
      return (low - pad)...(high + pad)
    }
    let xRange = range(finite.map(\.x)), yRange = range(finite.map(\.y))
    let xTicks = LineChart.ticks(xRange), yTicks = LineChart.ticks(yRange)
        let yTickLabels = yTicks.values.map { LineChart.tickLabel($0, decimals: yTicks.decimals) }

    // The legend's column at the right: a swatch and a name per class.
    let used = labels.map { Set($0).sorted() } ?? []
    let names = used.map { $0 < classNames.count ? classNames[$0] : String($0) }
    let swatch = 4 * scale
    let legendWidth = names.isEmpty ? 0 : (names.map(textWidth).max() ?? 0) + swatch + 3 * gap
    let left = lineHeight + 2 * gap + (yTickLabels.map(textWidth).max() ?? 0) + gap
    let top = lineHeight + 3 * gap
    let right = width - 2 * gap - legendWidth, bottom = height - 2 * lineHeight - 3 * gap
    func px(_ x: Float) -> Int { left + Int(((Double(x) - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Double(right - left)).rounded()) }
    func py(_ y: Float) -> Int { bottom - Int(((Double(y) - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * Double(bottom - top)).rounded()) }

    text(title, left, gap)
    let grid: Color = (230, 230, 230), axis: Color = (60, 60, 60)
    for (value, label) in zip(yTicks.values, yTickLabels) where yRange.contains(value) {
      let y = py(Float(value))
      for x in left...right { set(x, y, grid) }
      text(label, left - gap - textWidth(label), y - lineHeight / 2)
    }
    for value in xTicks.values where xRange.contains(value) {
      let x = px(Float(value))
      for y in top...bottom { set(x, y, grid) }
      let label = LineChart.tickLabel(value, decimals: xTicks.decimals)
      text(label, x - textWidth(label) / 2, bottom + gap)
    }
    text(xLabel, left + (right - left - textWidth(xLabel)) / 2, bottom + 2 * gap + lineHeight)
    // The y label, written downwards letter by letter at the left edge.
    let yLabelTop = top + (bottom - top - yLabel.count * (lineHeight + scale)) / 2
    for (index, character) in yLabel.enumerated() { text(String(character), gap, yLabelTop + index * (lineHeight + scale)) }
    for x in left...right { set(x, bottom, axis) }
    for y in top...bottom { set(left, y, axis) }

    // Points in a fixed shuffled order, so the last class drawn does not cover the others.
    var order = Array(points.indices)
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for index in order.indices.reversed() where index > 0 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      order.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
    }
    for index in order where points[index].x.isFinite && points[index].y.isFinite {
      let (cx, cy) = (px(points[index].x), py(points[index].y))
      let color = labels.map { Self.color($0[index]) } ?? Self.palette[0]
      for dy in -radius...radius {
        for dx in -radius...radius where dx * dx + dy * dy <= radius * radius + radius / 2 { set(cx + dx, cy + dy, color, opacity: 0.6) }
      }
    }

    // The legend.
    let legendX = right + 2 * gap
    for (row, (label, name)) in zip(used, names).enumerated() {
      let y = top + row * (lineHeight + 2 * scale)
      for dy in 0..<swatch { for dx in 0..<swatch { set(legendX + dx, y + (lineHeight - swatch) / 2 + dy, Self.color(label)) } }
      text(name, legendX + swatch + gap, y)
    }
    return Image(width: width, height: height, channels: 3, pixels: pixels)
  }
}
