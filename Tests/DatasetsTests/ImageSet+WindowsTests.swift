import Datasets
import FileIO
import Testing

@Suite struct ImageSetWindowsTests {
  /// A series of 7 steps of 2 channels: step t holds (t, 10·t).
  static let series = ImageSet(storage: .floats((0..<7).flatMap { [Float($0), Float(10 * $0)] }), exampleShape: [2], source: "s.csv")

  @Test func windowsSlideOverTheStepsByTheStride() throws {
    let windows = try Self.series.windows(length: 3, stride: 2)
    #expect(windows.count == 3 && windows.exampleShape == [3, 2])
    #expect(windows.example(0) == [0, 0, 1, 10, 2, 20] && windows.example(2) == [4, 40, 5, 50, 6, 60])
    #expect(windows.windowing == Windowing(length: 3, stride: 2, steps: 7))
    // Every window with stride 1; a stride past the end leaves the last steps out.
    #expect(try Self.series.windows(length: 7, stride: 1).count == 1)
    #expect(try Self.series.windows(length: 2, stride: 4).count == 2)
    // Slices keep their windows' places.
    #expect(windows.slice(1..<3).windowing?.length == 3)
  }

  @Test func aSeriesShorterThanAWindowOrNotOfStepsIsNamed() {
    #expect(throws: FileError("s.csv", "a window of 8 steps is longer than the series of 7 steps")) {
      try Self.series.windows(length: 8, stride: 1)
    }
    let images = ImageSet(storage: .bytes([UInt8](repeating: 0, count: 8)), exampleShape: [2, 2], source: "i")
    #expect(throws: FileError.self) { try images.windows(length: 1, stride: 1) }
  }

  @Test func aStepScoresTheLowestOfItsWindows() throws {
    let windowing = Windowing(length: 3, stride: 2, steps: 7)  // windows 0: 0-2, 1: 2-4, 2: 4-6
    #expect(windowing.stepScores(windowScores: [5, 1, 3]) == [5, 5, 1, 1, 1, 3, 3])
    // A stride past the window leaves steps no window covers.
    #expect(Windowing(length: 2, stride: 3, steps: 8).stepScores(windowScores: [4, 6]) == [4, 4, nil, 6, 6])
    // Labels of the steps ride along with the windows.
    let labelled = ImageSet(storage: .floats([0, 1, 2, 3]), exampleShape: [1], labels: [0, 0, 1, 0], source: "s")
    #expect(try labelled.windows(length: 2, stride: 1).windowing?.stepLabels == [0, 0, 1, 0])
  }

  @Test func theWindowsCoveringAStep() {
    let windowing = Windowing(length: 3, stride: 2, steps: 7)  // windows 0: 0-2, 1: 2-4, 2: 4-6
    #expect(windowing.windows(covering: 0, count: 3) == 0...0)
    #expect(windowing.windows(covering: 2, count: 3) == 0...1)
    #expect(windowing.windows(covering: 3, count: 3) == 1...1)
    #expect(windowing.windows(covering: 6, count: 3) == 2...2)
    #expect(Windowing(length: 2, stride: 4, steps: 7).windows(covering: 3, count: 2) == nil)
  }
}
