import Datasets
import FileIO
import Foundation
import TestSupport
import Testing

@Suite struct IDXFolderTests {
  func folder(images: Int, labels: Int?, gzip: Bool = true, stem: String = "train") throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory()
    let imageBytes = IDX.encode(IDX.Array(shape: [images, 2, 2], bytes: (0..<(images * 4)).map { UInt8($0 % 256) }))
    try directory.write(gzip ? Zlib.gzip(imageBytes) : imageBytes, to: "\(stem)-images-idx3-ubyte\(gzip ? ".gz" : "")")
    if let labels {
      try directory.write(IDX.encode(IDX.Array(shape: [labels], bytes: (0..<labels).map { UInt8($0 % 10) })), to: "\(stem)-labels-idx1-ubyte")
    }
    return directory
  }

  @Test func loadsImagesAndLabels() throws {
    let directory = try folder(images: 5, labels: 5)
    let set = try IDXFolder(directory.path).load(.train)
    #expect(set.count == 5 && set.exampleShape == [2, 2])
    #expect(set.labels.map(Array.init) == [0, 1, 2, 3, 4])
    #expect(set.example(1) == [4, 5, 6, 7].map { Float($0) / 255 })
  }

  @Test func findsTheTestSplitUnderEitherName() throws {
    let t10k = try folder(images: 3, labels: nil, stem: "t10k")
    #expect(try IDXFolder(t10k.path).load(.test).count == 3)
    let test = try folder(images: 3, labels: nil, gzip: false, stem: "test")
    #expect(try IDXFolder(test.path).load(.test).labels == nil)
  }

  @Test func missingSplitsFoldersAndMismatchedCountsAreNamed() throws {
    let directory = try folder(images: 5, labels: 4)
    #expect(throws: FileError(directory.path("train-labels-idx1-ubyte"), "4 labels for 5 images in \(directory.path("train-images-idx3-ubyte.gz"))")) {
      try IDXFolder(directory.path).load(.train)
    }
    #expect(throws: FileError(directory.path, "no test images (looked for t10k-images-idx3-ubyte or .gz)")) {
      try IDXFolder(directory.path).load(.test)
    }
    #expect(throws: FileError(directory.path("nowhere"), "no such folder")) { try IDXFolder(directory.path("nowhere")).load(.train) }
    let file = directory.path("train-labels-idx1-ubyte")
    #expect(throws: FileError(file, "is a file; --data takes the folder holding the IDX files")) { try IDXFolder(file).load(.train) }
  }

  @Test(.enabled(if: RealData.hasFashionMNIST)) func fashionMNISTFromDebian() throws {
    let test = try IDXFolder(IDXFolder.fashionMNIST).load(.test)
    #expect(test.count == 10_000 && test.exampleShape == [28, 28])
    #expect(Array(test.labels!.prefix(10)) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
    #expect(test.example(0).reduce(0) { $0 + Double($1) * 255 }.rounded() == 33_456)
    #expect(try IDXFolder(IDXFolder.fashionMNIST).load(.train).count == 60_000)
  }

  @Test(.enabled(if: RealData.hasMNISTTest)) func officialMNISTTestSet() throws {
    let test = try IDXFolder(RealData.mnistTest).load(.test)
    #expect(test.count == 10_000)
    #expect(Array(test.labels!.prefix(10)) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    #expect(throws: FileError.self) { try IDXFolder(RealData.mnistTest).load(.train) }
  }
}
