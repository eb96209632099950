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
    #expect(DataDescription(scaling: FeatureScaling(kind: .standard, offset: [0], scale: [1])).problem(inputSize: 2)
      == "a scaling of 1 columns for a model of 2 inputs")
    #expect(DataDescription(columnNames: ["a", "b"]).problem(inputSize: 2) == nil)
  }
}
