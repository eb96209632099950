import NN
import Datasets
import TensorCore
import TestSupport
import Testing
import Training

@Suite struct BatchesTests {
  let set = ImageSet(storage: .bytes((0..<40).map(UInt8.init)), exampleShape: [2, 2], source: "test")

  @Test func batchesCoverTheSetWithAShortLastBatch() throws {
    var batches = try Batches(set, batchSize: 4, exampleShape: [4])
    #expect(batches.count == 3)
    #expect(batches.batch(0).shape == [4, 4])
    #expect(batches.batch(2).shape == [2, 4])
    #expect(batches.batch(0).scalars == (0..<16).map { Float($0) / 255 })
    #expect(batches.batch(2).scalars == (32..<40).map { Float($0) / 255 })
  }

  @Test func shufflingIsAPermutationFixedBySeed() throws {
    func order(seed: UInt64) throws -> [Float] {
      var batches = try Batches(set, batchSize: 10, exampleShape: [4])
      var generator = SplitMix64(seed: seed)
      batches.shuffle(using: &generator)
      return batches.batch(0).scalars
    }
    let first = try order(seed: 1)
    #expect(try order(seed: 1) == first)
    #expect(try order(seed: 2) != first)
    #expect(first.sorted() == (0..<40).map { Float($0) / 255 })
  }

  @Test func fullBatchesReuseOneBuffer() throws {
    var batches = try Batches(set, batchSize: 4, exampleShape: [4])
    let address = batches.batch(0).withUnsafeBufferPointer { $0.baseAddress }
    #expect(batches.batch(1).withUnsafeBufferPointer { $0.baseAddress } == address)
  }

  @Test func aBatchStillHeldIsNotOverwritten() throws {
    var batches = try Batches(set, batchSize: 4, exampleShape: [4])
    let held = batches.batch(0)
    _ = batches.batch(1)
    #expect(held.scalars == (0..<16).map { Float($0) / 255 })
  }

  @Test func examplesOfTheWrongSizeAreNamed() {
    #expect(throws: DataError.shapeMismatch(source: "test", examples: [2, 2], model: [784])) {
      try Batches(set, batchSize: 4, exampleShape: [784])
    }
    #expect("\(DataError.shapeMismatch(source: "test", examples: [32, 32], model: [784]))"
      == "test: examples of shape [32, 32] (1,024 values) do not fit the model's input [784] (784 values)")
  }

  @Test func aShardOfABatchIsThoseRowsOfIt() throws {
    var batches = try Batches(set, batchSize: 4, exampleShape: [4])
    var generator = SplitMix64(seed: 3)
    batches.shuffle(using: &generator)
    for index in 0..<batches.count {
      let whole = batches.batch(index)
      #expect(batches.positions(ofBatch: index) == index * 4..<min(index * 4 + 4, 10))
      #expect(batches.batch(index, rows: 1..<whole.shape[0]) == whole.rows(1..<whole.shape[0]))
      #expect(batches.batch(index, rows: 0..<1).shape == [1, 4])
    }
  }

  @Test func aBatchLargerThanTheSetIsTheSet() throws {
    let set = syntheticImages(count: 10)
    let batches = try Batches(set, batchSize: Int.max, exampleShape: [64])
    #expect(batches.batchSize == 10 && batches.count == 1 && batches.positions(ofBatch: 0) == 0..<10)
  }

  @Test func imagesOfTheSameSizeButAnotherShapeDoNotFit() throws {
    var architecture = Architecture.dense(inputSize: 64, hiddenSizes: [4])
    architecture.imageShape = [8, 8]
    let wide = ImageSet(storage: .floats([Float](repeating: 0, count: 128)), exampleShape: [4, 16], source: "wide")
    #expect(throws: DataError.shapeMismatch(source: "wide", examples: [4, 16], model: [64], images: [8, 8])) {
      try Batches(wide, batchSize: 2, for: architecture)
    }
    #expect("\(DataError.shapeMismatch(source: "wide", examples: [4, 16], model: [64], images: [8, 8]))"
      == "wide: examples of shape [4, 16] (64 values) do not fit the model's input [64] (64 values; images 8×8)")
    // Flat examples of the right size, and images with an explicit single channel, fit.
    _ = try Batches(ImageSet(storage: .floats([Float](repeating: 0, count: 128)), exampleShape: [64], source: "flat"), batchSize: 2, for: architecture)
    _ = try Batches(ImageSet(storage: .floats([Float](repeating: 0, count: 128)), exampleShape: [8, 8, 1], source: "c"), batchSize: 2, for: architecture)
  }
}
