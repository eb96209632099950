import Datasets
import FileIO
import Foundation
import ImageFiles
import TestSupport
import Testing

@Suite struct ImageFolderTests {
  /// Writes a `width`×`height` PNG whose pixels are `value(x, y)` (gray, or RGB when `channels` is 3).
  @discardableResult
  func png(_ directory: TemporaryDirectory, _ name: String, width: Int = 3, height: Int = 2, channels: Int = 1,
           value: (Int, Int, Int) -> UInt8 = { x, y, c in UInt8(10 * x + 100 * y + c) }) throws -> String {
    let folder = (directory.path(name) as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var pixels: [UInt8] = []
    for y in 0..<height { for x in 0..<width { for c in 0..<channels { pixels.append(value(x, y, c)) } } }
    try PNG.write(Image(width: width, height: height, channels: channels, pixels: pixels), to: directory.path(name))
    return directory.path(name)
  }

  @Test func imagesOfSeveralSizesComeGroupedBySizeInTheOrderTheSizesOccur() throws {
    let directory = try TemporaryDirectory()
    try png(directory, "a.png", width: 3, height: 2)
    try png(directory, "b.png", width: 4, height: 4, value: { _, _, _ in 9 })
    try png(directory, "c.png", width: 3, height: 2, value: { _, _, _ in 255 })
    let groups = try ImageFolder(directory.path).loadGroupedBySize()
    #expect(groups.map(\.indices) == [[0, 2], [1]])
    #expect(groups.map { $0.paths.map { ($0 as NSString).lastPathComponent } } == [["a.png", "c.png"], ["b.png"]])
    #expect(groups[0].set.exampleShape == [2, 3] && groups[1].set.exampleShape == [4, 4])
    #expect(groups[0].set.example(1) == Array(repeating: 1, count: 6) && groups[1].set.example(0) == Array(repeating: Float(9) / 255, count: 16))
    // Files given in another order keep it; a folder with subfolders is not flat.
    let files = try ImageFolder(directory.path).loadGroupedBySize(files: [directory.path("b.png"), directory.path("c.png"), directory.path("a.png")])
    #expect(files.map(\.indices) == [[0], [1, 2]])
    try png(directory, "sub/d.png")
    #expect(throws: FileError(directory.path("sub"), "is a subfolder: images of several sizes are read from a flat folder")) {
      try ImageFolder(directory.path).loadGroupedBySize()
    }
  }

  /// A flat folder of one size read by size gives the one set `load` gives, named by the folder.
  @Test func aFolderOfOneSizeGroupsIntoTheSetLoadGives() throws {
    let directory = try TemporaryDirectory()
    try png(directory, "a.png")
    try png(directory, "b.png", value: { _, _, _ in 7 })
    let groups = try ImageFolder(directory.path).loadGroupedBySize()
    let loaded = try ImageFolder(directory.path).load()
    #expect(groups.count == 1 && groups[0].indices == [0, 1])
    #expect(groups[0].set.source == loaded.source && groups[0].set.source == directory.path)
    #expect(groups[0].set.exampleShape == loaded.exampleShape && groups[0].set.example(1) == loaded.example(1))
  }

  @Test func classFoldersGiveSortedLabelsAndNames() throws {
    let directory = try TemporaryDirectory()
    try png(directory, "cats/b.png")
    try png(directory, "cats/a.png", value: { _, _, _ in 7 })
    try png(directory, "ants/x.png", value: { _, _, _ in 255 })
    let set = try ImageFolder(directory.path).load()
    #expect(set.count == 3 && set.exampleShape == [2, 3] && set.classNames == ["ants", "cats"])
    #expect(Array(set.labels!) == [0, 1, 1])
    #expect(set.example(0) == Array(repeating: 1, count: 6))  // ants/x.png first
    #expect(set.example(1) == Array(repeating: Float(7) / 255, count: 6))  // then cats/a.png before cats/b.png
    #expect(set.example(2) == [0, 10, 20, 100, 110, 120].map { Float($0) / 255 })
  }

  @Test func aFlatFolderHasNoLabelsAndTrainTestFoldersAreSplits() throws {
    let flat = try TemporaryDirectory()
    try png(flat, "1.png")
    try png(flat, "2.png")
    let set = try ImageFolder(flat.path).load()
    #expect(set.count == 2 && set.labels == nil && set.classNames == nil)

    let splits = try TemporaryDirectory()
    try png(splits, "train/a/1.png")
    try png(splits, "train/b/2.png")
    try png(splits, "test/b/3.png")
    let folder = ImageFolder(splits.path)
    #expect(folder.splitFolders != nil)
    let train = try folder.load(split: .train), test = try folder.load(split: .test, classNames: train.classNames)
    #expect(train.count == 2 && test.count == 1 && Array(test.labels!) == [1])
    #expect(try DataSource(splits.path).hasSplits)
  }

  @Test func rgbImagesKeepThreeChannelsAndGrayConverts() throws {
    let directory = try TemporaryDirectory()
    try png(directory, "a.png", channels: 3, value: { _, _, c in [200, 100, 0][c] })
    let rgb = try ImageFolder(directory.path).load()
    #expect(rgb.exampleShape == [2, 3, 3] && Array(rgb.example(0).prefix(3)) == [200, 100, 0].map { Float($0) / 255 })
    let gray = try ImageFolder(directory.path, colour: .gray).load()
    #expect(gray.exampleShape == [2, 3])
    expectClose(gray.example(0), Array(repeating: (0.299 * 200 + 0.587 * 100) / 255, count: 6))
  }

  @Test func sixteenBitImagesKeepTheirPrecision() throws {
    let directory = try TemporaryDirectory()
    let fixture = try #require(Bundle.module.path(forResource: "gray16", ofType: "png", inDirectory: "Fixtures"))
    try FileManager.default.copyItem(atPath: fixture, toPath: directory.path("gray16.png"))
    let set = try ImageFolder(directory.path).load()
    #expect(set.example(0) == [1000, 40000, 65535].map { Float($0) / 65535 })
  }

  @Test func resizingIsBilinearWithHalfPixelCentres() throws {
    // A 2×1 image [0, 255] resized to 4×1: centres at -0.25, 0.25, 0.75, 1.25 of the source, clamped.
    let directory = try TemporaryDirectory()
    try png(directory, "a.png", width: 2, height: 1, value: { x, _, _ in x == 0 ? 0 : 255 })
    try png(directory, "b.png", width: 4, height: 2)
    let set = try ImageFolder(directory.path, resize: (4, 1)).load()
    #expect(set.exampleShape == [1, 4])
    expectClose(set.example(0), [0, 0.25, 0.75, 1])
  }

  @Test func badFoldersAreNamed() throws {
    let mixed = try TemporaryDirectory()
    try png(mixed, "a.png")
    let other = try png(mixed, "b.png", width: 4)
    #expect(throws: FileError(other, "is 4×2, the first image (\(mixed.path("a.png"))) 3×2; give --resize WxH to read images of several sizes")) {
      try ImageFolder(mixed.path).load()
    }
    let stray = try TemporaryDirectory()
    try png(stray, "a.png")
    let text = try stray.write(Array("notes".utf8), to: "notes.txt")
    #expect(throws: FileError(text, "is not a PNG image (only .png files may sit among the images)")) { try ImageFolder(stray.path).load() }
    let fake = try TemporaryDirectory()
    let bad = try fake.write(Array("not a png".utf8), to: "x.png")
    #expect(throws: FileError(bad, "not a PNG file (bad signature)")) { try ImageFolder(fake.path).load() }
    let empty = try TemporaryDirectory()
    try FileManager.default.createDirectory(atPath: empty.path("cats"), withIntermediateDirectories: true)
    #expect(throws: FileError(empty.path, "holds no PNG images")) { try ImageFolder(empty.path).load() }
  }
}
