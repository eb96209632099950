import Datasets
import FileIO
import Foundation
import TestSupport
import Testing

@Suite struct DataSourceTests {
  func fixture(_ name: String) throws -> String {
    try #require(Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures"))
  }

  @Test func theKindFollowsThePath() throws {
    let directory = try TemporaryDirectory()
    let csv = try directory.write(Array("a,b\n1,2\n".utf8), to: "t.csv")
    #expect(try DataSource(csv).kind == .csv)
    #expect(try DataSource(try fixture("float32.npy")).kind == .npy)
    #expect(try DataSource(try fixture("arrays.npz")).kind == .npz)
    #expect(throws: FileError(directory.path("none.csv"), "no such file")) { try DataSource(directory.path("none.csv")) }
    let other = try directory.write([1, 2], to: "x.bin")
    #expect(throws: FileError.self) { try DataSource(other) }
    #expect(throws: FileError(csv, "--labels goes with an .npy array; a CSV file carries its own labels")) {
      try DataSource(csv, options: ReadingOptions(labels: "y.npy"))
    }
  }

  @Test func csvLabelsOfTextAreNumberedInSortedOrder() throws {
    let directory = try TemporaryDirectory()
    let csv = try directory.write(Array("x,kind\n1,b\n2,a\n3,b\n".utf8), to: "t.csv")
    let set = try DataSource(csv, options: ReadingOptions(labelColumn: "kind")).load()
    #expect(set.classNames == ["a", "b"] && Array(set.labels!) == [1, 0, 1] && set.columnNames == ["x"])
    // A model's classes keep their numbers on new data; an unknown class is named.
    let again = try DataSource(csv, options: ReadingOptions(labelColumn: "kind")).load(classNames: ["b", "a"])
    #expect(Array(again.labels!) == [0, 1, 0])
    #expect(throws: FileError(csv, "data row 2: label \"a\" is not one of the classes b")) {
      try DataSource(csv, options: ReadingOptions(labelColumn: "kind")).load(classNames: ["b"])
    }
    // A saved label column the new data lacks is skipped, not refused.
    let unlabelled = try directory.write(Array("x\n4\n".utf8), to: "u.csv")
    var options = ReadingOptions(labelColumn: "kind")
    options.labelColumnIsOptional = true
    #expect(try DataSource(unlabelled, options: options).load().labels == nil)
    #expect(throws: FileError.self) { try DataSource(unlabelled, options: ReadingOptions(labelColumn: "kind")).load() }
  }

  @Test func npyArraysTakeLabelsFromAnotherFile() throws {
    let directory = try TemporaryDirectory()
    let data = directory.path("x.npy")
    try NPY.write([1, 2, 3, 4, 5, 6], shape: [3, 2], to: data)
    try NPY.write([0, 2, 1], shape: [3], to: directory.path("y.npy"))
    let set = try DataSource(data, options: ReadingOptions(labels: directory.path("y.npy"))).load()
    #expect(set.count == 3 && set.exampleShape == [2] && Array(set.labels!) == [0, 2, 1])
    #expect(try DataSource(data).defaultScaling(for: set) == .standard)
    try NPY.write([0, 1], shape: [2], to: directory.path("short.npy"))
    #expect(throws: FileError(directory.path("short.npy"), "2 labels for 3 examples in \(data)")) {
      try DataSource(data, options: ReadingOptions(labels: directory.path("short.npy"))).load()
    }
    try NPY.write([0.5, 1, 2], shape: [3], to: directory.path("frac.npy"))
    #expect(throws: FileError(directory.path("frac.npy"), "label 1 is 0.5; labels are class numbers 0 to 255")) {
      try DataSource(data, options: ReadingOptions(labels: directory.path("frac.npy"))).load()
    }
    #expect(throws: FileError(try fixture("vector.npy"), "an array of shape [2]: give examples along the first dimension and their values along the rest (at least 2 dimensions)")) {
      try DataSource(try fixture("vector.npy")).load()
    }
  }

  @Test func npzArchivesGiveDataLabelsAndSplits() throws {
    let arrays = try DataSource(try fixture("arrays.npz"))
    #expect(!arrays.hasSplits)
    let set = try arrays.load()
    #expect(set.count == 3 && Array(set.labels!) == [2, 0, 1])
    let splits = try DataSource(try fixture("splits.npz"))
    #expect(splits.hasSplits)
    let train = try splits.load(.train), test = try splits.load(.test)
    #expect(train.count == 2 && train.exampleShape == [2, 2] && Array(train.labels!) == [1, 3] && test.count == 1 && Array(test.labels!) == [9])
    #expect(train.example(0) == [0, 1, Float(128) / 255, Float(7) / 255])
    #expect(try splits.defaultScaling(for: train) == .none)
  }

  @Test func idxFoldersOfKnownDatasetsNameTheirClasses() {
    #expect(IDXFolder.knownClassNames("/usr/share/datasets/fashion-mnist")?[9] == "Ankle boot")
    #expect(IDXFolder.knownClassNames("../shared/datasets/mnist") == (0...9).map(String.init))
    #expect(IDXFolder.knownClassNames("/data/mine") == nil)
  }
}

@Suite struct DataSourceWindowsTests {
  @Test func aCSVTimeSeriesIsReadAsItsWindows() throws {
    let directory = try TemporaryDirectory()
    let csv = try directory.write(Array(("time,value\n" + (0..<10).map { "t\($0),\($0)" }.joined(separator: "\n")).utf8), to: "series.csv")
    let set = try DataSource(csv, options: ReadingOptions(columns: ["value"], window: 4, windowStride: 3)).load()
    #expect(set.count == 3 && set.exampleShape == [4, 1] && set.example(2) == [6, 7, 8, 9] && set.columnNames == ["value"])
    #expect(throws: FileError(csv, "a window of 11 steps is longer than the series of 10 steps")) {
      try DataSource(csv, options: ReadingOptions(columns: ["value"], window: 11)).load()
    }
    #expect(throws: FileError(csv, "--window-stride goes with --window LENGTH, and both must be positive")) {
      try DataSource(csv, options: ReadingOptions(columns: ["value"], windowStride: 2))
    }
  }

  @Test func aOneDimensionalNPYSeriesIsOneChannel() throws {
    let directory = try TemporaryDirectory()
    let path = directory.path("series.npy")
    try NPY.write((0..<6).map(Float.init), shape: [6], to: path)
    let set = try DataSource(path, options: ReadingOptions(window: 5)).load()
    #expect(set.count == 2 && set.exampleShape == [5, 1] && set.example(1) == [1, 2, 3, 4, 5])
    #expect(throws: FileError.self) { try DataSource(path).load() }
  }

  @Test func windowsAreForSeriesFiles() throws {
    #expect(throws: FileError.self) { try DataSource(IDXFolder.fashionMNIST, options: ReadingOptions(window: 4)) }
  }

  @Test func textFilesAreWindowsOfByteIds() throws {
    let work = try TemporaryDirectory()
    let path = try work.write(Array("abcdefghij".utf8) + [0, 255], to: "t.txt")
    let source = try DataSource(path, options: ReadingOptions(window: 4, text: true))
    #expect(source.kind == .text && !source.hasSplits)
    let set = try source.load()
    // Windows of 4 bytes, 4 apart (the default stride for text); the last 0 bytes left over.
    #expect(set.count == 3 && set.exampleShape == [4] && set.windowing?.stride == 4)
    #expect(set.unscaledExample(0) == [97, 98, 99, 100] && set.unscaledExample(2) == [105, 106, 0, 255])
    #expect(source.defaultScaling(for: set) == .none)
    let overlapping = try DataSource(path, options: ReadingOptions(window: 4, windowStride: 2, text: true)).load()
    #expect(overlapping.count == 5 && overlapping.unscaledExample(1) == [99, 100, 101, 102])
    // Without a window, windows of the default length: this text is too short for one.
    #expect(throws: FileError.self) { try DataSource(path, options: ReadingOptions(text: true)).load() }
    let empty = try work.write([], to: "empty.txt")
    #expect(throws: FileError(empty, "holds no characters (an empty text file)")) { try DataSource(empty, options: ReadingOptions(text: true)).load() }
    #expect(throws: FileError.self) { try DataSource(work.path, options: ReadingOptions(text: true)) }
  }
}
