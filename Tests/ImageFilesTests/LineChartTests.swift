@testable import ImageFiles
import Testing

@Suite struct LineChartTests {
  @Test func ticksAreRoundStepsCoveringTheRange() {
    #expect(LineChart.ticks(0.26...0.71).values.map { ($0 * 100).rounded() / 100 } == [0.3, 0.4, 0.5, 0.6, 0.7])
    #expect(LineChart.ticks(0.26...0.71).decimals == 1)
    #expect(LineChart.ticks(1...60, count: 8, integers: true).values == [10, 20, 30, 40, 50, 60])
    #expect(LineChart.ticks(1...3, count: 8, integers: true).values == [1, 2, 3])
    #expect(LineChart.ticks(240...252).values == [240, 245, 250] && LineChart.ticks(240...252).decimals == 0)
  }

  @Test func itDrawsEachSeriesInItsColourWithAxesAndALegend() {
    let chart = LineChart(title: "loss per epoch", xLabel: "epoch", series: [
      .init(name: "loss", points: (1...10).map { (Double($0), 1 / Double($0)) }, color: LineChart.palette[0]),
      .init(name: "val_loss", points: (1...10).map { (Double($0), 1.2 / Double($0)) }, color: LineChart.palette[1]),
    ], markers: [(4, "best: epoch 4")])
    let image = chart.render(width: 400, height: 300)
    #expect(image.width == 400 && image.height == 300 && image.channels == 3)
    func count(_ color: LineChart.Color) -> Int {
      stride(from: 0, to: image.pixels.count, by: 3).filter { image.pixels[$0] == color.red && image.pixels[$0 + 1] == color.green && image.pixels[$0 + 2] == color.blue }.count
    }
    #expect(count(LineChart.palette[0]) > 300 && count(LineChart.palette[1]) > 300)  // lines, dots and legend swatches
    #expect(count((0, 0, 0)) > 500)  // text
    #expect(count((120, 120, 120)) > 50)  // the dashed marker
  }

  @Test func nonFiniteAndSinglePointsDoNotBreakIt() {
    let chart = LineChart(title: "t", xLabel: "x", series: [.init(name: "a", points: [(1, 0.5), (2, .nan), (3, .infinity)], color: (0, 0, 255))])
    #expect(chart.render(width: 200, height: 150).pixels.count == 200 * 150 * 3)
  }

  @Test func aLegendTooWideForTheTitleRowGetsRowsUnderTheChart() {
    let names = ["a codec with a long name", "another codec", "a third codec with a long name", "jpeg (file per image)"]
    let series = names.enumerated().map { index, name in
      LineChart.Series(name: name, points: [(0.5, Double(index)), (2, Double(index) + 3)], color: LineChart.palette[index])
    }
    var chart = LineChart(title: "PSNR (dB) of the test images", xLabel: "bits per pixel", series: series)
    chart.integerX = false
    let image = chart.render(width: 600, height: 400)
    // Every series' colour appears in the bottom band, under the x label: its legend swatch.
    let band = (image.height - 60)..<image.height
    for color in LineChart.palette.prefix(4) {
      let found = band.contains { y in (0..<image.width).contains { x in
        let i = (y * image.width + x) * 3
        return image.pixels[i] == color.red && image.pixels[i + 1] == color.green && image.pixels[i + 2] == color.blue
      } }
      #expect(found, "no swatch of \(color) under the chart")
    }
  }
}
