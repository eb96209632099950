import Datasets
import Testing

@Suite struct FeatureScalingTests {
  let set = ImageSet(storage: .floats([1, 10, 3, 10, 5, 10]), exampleShape: [2], source: "t")

  @Test func standardScalingUsesThePopulationDeviation() {
    let scaling = FeatureScaling(fitting: .standard, to: set)
    // Column 0: mean 3, deviation sqrt(8/3); column 1 is constant: scale 1.
    #expect(scaling.offset == [3, 10])
    #expect(abs(scaling.scale[0] - (8.0 / 3).squareRoot()) < 1e-6 && scaling.scale[1] == 1)
    let scaled = scaling.apply(to: set)
    #expect(scaled.scaling == scaling)
    #expect(abs(scaled.example(0)[0] + 2 / (8.0 / 3).squareRoot()) < 1e-6 && scaled.example(0)[1] == 0)
    let restored = scaling.restore((0..<3).flatMap { scaled.example($0) })
    #expect(zip(restored, [1, 10, 3, 10, 5, 10] as [Float]).allSatisfy { abs($0 - $1) < 1e-5 })
  }

  @Test func minMaxScalingMapsToTheUnitInterval() {
    let scaled = FeatureScaling(fitting: .minMax, to: set).apply(to: set)
    #expect((0..<3).map { scaled.example($0)[0] } == [0, 0.5, 1] && scaled.example(2)[1] == 0)
  }

  @Test func storedScalingsAreChecked() {
    #expect(FeatureScaling(kind: .standard, offset: [0], scale: [0]).problem == "offsets must be finite and scales positive")
    #expect(DataDescription(scaling: FeatureScaling(kind: .standard, offset: [0, 0], scale: [1, 1])).problem(inputSize: 3)
      == "a scaling of 2 columns for a model of 3 inputs")
    // A time series' windows: rows of the columns.
    #expect(DataDescription(scaling: FeatureScaling(kind: .standard, offset: [0, 0], scale: [1, 1])).problem(inputSize: 8) == nil)
    #expect(DataDescription(columnNames: ["a", "b"]).problem(inputSize: 2) == nil)
  }
}

@Suite struct FeatureScalingOfWindowsTests {
  /// The windows of a series are standardized per channel with the series' statistics, each step
  /// counted once, however the windows overlap.
  @Test(arguments: [1, 2, 3, 5]) func windowsAreScaledPerChannelWithTheSeriesStatistics(stride: Int) throws {
    let steps = (0..<11).map { Float($0 * $0) }
    let series = ImageSet(storage: .floats(steps.flatMap { [$0, -2 * $0] }), exampleShape: [2], source: "s")
    let windows = try series.windows(length: 4, stride: stride)
    let scaling = FeatureScaling(fitting: .standard, to: windows)
    // The steps the windows cover, each once (a stride past the length skips some).
    let covered = (0..<steps.count).filter { t in (0..<windows.count).contains { (($0 * stride)..<($0 * stride + 4)).contains(t) } }.map { steps[$0] }
    let mean = covered.reduce(0, +) / Float(covered.count)
    let deviation = (covered.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(covered.count)).squareRoot()
    #expect(scaling.columns == 2)
    #expect(abs(scaling.offset[0] - mean) < 1e-3 && abs(scaling.offset[1] + 2 * mean) < 1e-3)
    #expect(abs(scaling.scale[0] - deviation) < 1e-3 && abs(scaling.scale[1] - 2 * deviation) < 1e-3)
    // Applied row by row to each window.
    let scaled = scaling.apply(to: windows).example(0)
    #expect(abs(scaled[0] - (steps[0] - mean) / deviation) < 1e-5 && abs(scaled[3] - (-2 * steps[1] + 2 * mean) / (2 * deviation)) < 1e-5)
  }
}
