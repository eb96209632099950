import ImageFiles
import Testing

@Suite struct ScatterPlotTests {
  func count(_ image: Image, _ color: ScatterPlot.Color) -> Int {
    stride(from: 0, to: image.pixels.count, by: 3).filter { image.pixels[$0] == color.red && image.pixels[$0 + 1] == color.green && image.pixels[$0 + 2] == color.blue }.count
  }

  @Test func eachClassHasItsColourAndALegendEntry() {
    // Two classes far apart: class 1's points only at the right, class 0's only at the left.
    let points: [(x: Float, y: Float)] = (0..<40).map { index in
      let side: Float = index % 2 == 0 ? -10 : 10
      return (x: side + Float(index) * 0.01, y: Float(index))
    }
    let plot = ScatterPlot(title: "Map", xLabel: "PC 1", yLabel: "PC 2", points: points, labels: (0..<40).map { $0 % 2 }, classNames: ["Left", "Right"])
    let image = plot.render(width: 500, height: 400)
    #expect(image.width == 500 && image.height == 400 && image.channels == 3)
    // Legend swatches are solid (4·scale pixels square): each class's colour appears exactly.
    #expect(count(image, ScatterPlot.palette[0]) >= 64 && count(image, ScatterPlot.palette[1]) >= 64)
    // Half-opaque discs: class 0's blended blue lies in the left half, class 1's orange in the right.
    func columns(where match: (UInt8, UInt8, UInt8) -> Bool) -> [Int] {
      stride(from: 0, to: image.pixels.count, by: 3).filter { match(image.pixels[$0], image.pixels[$0 + 1], image.pixels[$0 + 2]) }.map { ($0 / 3) % 500 }
    }
    let blue = columns { $0 < 120 && $2 > 180 && $1 > 150 && $1 < 200 }  // 60% of (31, 119, 180) over white
    let orange = columns { $0 > 250 && $1 > 160 && $1 < 190 && $2 < 120 }  // 60% of (255, 127, 14) over white
    #expect(!blue.isEmpty && !orange.isEmpty)
    #expect(blue.max()! < 250 && orange.min()! > 250)
    #expect(count(image, (0, 0, 0)) > 300)  // title, ticks, axis labels and names
  }

  @Test func unlabelledAndNonFinitePointsAreDrawnOrSkipped() {
    let plot = ScatterPlot(title: "t", xLabel: "x", yLabel: "y", points: [(0, 0), (1, 1), (.nan, 2), (3, .infinity)])
    let image = plot.render(width: 200, height: 150)
    #expect(image.pixels.count == 200 * 150 * 3)
  }
}
