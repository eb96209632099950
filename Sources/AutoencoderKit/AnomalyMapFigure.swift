import Foundation

/// The figure of `score --maps`: an image, its reconstruction, and its error map in a heat scale
/// (black, red, yellow, white) that is the same for every example of a run, with a caption giving
/// the score and the scale.
public enum AnomalyMapFigure {
  /// Renders one example of `height × width × channels` values in 0...1 (channels last).
  ///
  /// - Parameters:
  ///   - errors: The example's error map (one error per value; channels averaged for the heat map).
  ///   - ceiling: The error drawn white; larger ones are clipped to it.
  public static func render(input: [Float], reconstruction: [Float], errors: [Float], height: Int, width: Int, channels: Int,
                            score: Float, ceiling: Float, anomalous: Bool?) -> Image {
    let plane = height * width
    func rgb(_ values: [Float]) -> [Float] {
      channels == 3 ? values.map { min(max($0, 0), 1) } : values.flatMap { value in Array(repeating: min(max(value, 0), 1), count: 3) }
    }
    var heat = [Float](repeating: 0, count: plane * 3)
    for p in 0..<plane {
      var error: Float = 0
      for channel in 0..<channels { error += errors[p * channels + channel] }
      let t = min(max(error / Float(channels) / max(ceiling, .leastNormalMagnitude), 0), 1)
      (heat[3 * p], heat[3 * p + 1], heat[3 * p + 2]) = heatColor(t)
    }
    let (scale, padding) = (max(1, min(8, 112 / max(height, width))), 4)
    let grid = ImageGrid(width: width, height: height, padding: padding, scale: scale, channels: 3).tile([[rgb(input), rgb(reconstruction), heat]])
    let (tile, line) = (width * scale, Canvas.lineHeight() + 4)
    func left(_ column: Int) -> Int { padding + column * (tile + padding) }
    // Under the tiles: their names; under the heat map, its colour bar from 0 to the ceiling;
    // then the score and, where calibrated, the verdict.
    let figureWidth = max(grid.width, left(2) + tile + padding)
    let barTop = grid.height + line, figureHeight = barTop + 6 + 2 + 2 * line + padding
    var pixels = [UInt8](repeating: 255, count: figureWidth * figureHeight * 3)
    for y in 0..<grid.height {
      for x in 0..<grid.width {
        for c in 0..<3 { pixels[(y * figureWidth + x) * 3 + c] = grid.pixels[(y * grid.width + x) * 3 + c] }
      }
    }
    func write(_ text: String, x: Int, y: Int) {
      Canvas.forEachPixel(of: text, x: x, y: y) { px, py in
        guard (0..<figureWidth).contains(px), (0..<figureHeight).contains(py) else { return }
        for c in 0..<3 { pixels[(py * figureWidth + px) * 3 + c] = 0 }
      }
    }
    for (column, name) in ["image", "reconstruction", "error"].enumerated() {
      write(name, x: left(column) + (tile - Canvas.width(of: name)) / 2, y: grid.height + 1)
    }
    for x in 0..<tile {
      let (r, g, b) = heatColor(Float(x) / Float(max(tile - 1, 1)))
      for y in barTop..<(barTop + 6) {
        (pixels[(y * figureWidth + left(2) + x) * 3], pixels[(y * figureWidth + left(2) + x) * 3 + 1], pixels[(y * figureWidth + left(2) + x) * 3 + 2])
          = (Image.byte(r), Image.byte(g), Image.byte(b))
      }
    }
    let top = String(format: "%.3g", ceiling)
    write("0", x: left(2), y: barTop + 8)
    write(top, x: left(2) + tile - Canvas.width(of: top), y: barTop + 8)
    write(String(format: "score %.5g", score) + (anomalous.map { $0 ? ", anomalous" : ", normal" } ?? ""), x: padding, y: barTop + 8 + line)
    return Image(width: figureWidth, height: figureHeight, channels: 3, pixels: pixels)
  }

  /// Black through red and yellow to white as `t` goes from 0 to 1.
  static func heatColor(_ t: Float) -> (Float, Float, Float) {
    (min(1, 3 * t), min(1, max(0, 3 * t - 1)), min(1, max(0, 3 * t - 2)))
  }

  /// The error drawn white: the 99.5th percentile of every value's error in `maps`, so that a few
  /// extreme pixels do not leave every other map black.
  public static func ceiling(of maps: [Float]) -> Float {
    guard !maps.isEmpty else { return 1 }
    var sample = maps.count > 1_000_000 ? stride(from: 0, to: maps.count, by: maps.count / 1_000_000).map { maps[$0] } : maps
    sample.sort()
    return max(sample[min(sample.count - 1, Int(Double(sample.count) * 0.995))], 1e-6)
  }
}
