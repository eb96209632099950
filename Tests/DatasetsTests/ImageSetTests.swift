import Datasets
import Testing

@Suite struct ImageSetTests {
  let set = ImageSet(storage: .bytes((0..<40).map(UInt8.init)), exampleShape: [2, 2], labels: (0..<10).map(UInt8.init), source: "test")

  @Test func splitTakesTheLastFractionForValidationLikeKeras() {
    let (training, validation) = set.split(validationFraction: 0.2)
    #expect(training.count == 8 && validation.count == 2)
    #expect(validation.labels.map(Array.init) == [8, 9])
    #expect(validation.example(0) == [32, 33, 34, 35].map { Float($0) / 255 })
  }

  @Test func prefixKeepsTheFirstExamples() {
    #expect(set.prefix(3).count == 3 && set.prefix(30).count == 10)
    #expect(set.prefix(3).labels.map(Array.init) == [0, 1, 2])
  }

  @Test func floatStorageIsUsedAsIs() {
    let floats = ImageSet(storage: .floats([0.5, 2, -1, 3]), exampleShape: [2], source: "floats")
    #expect(floats.count == 2 && floats.example(1) == [-1, 3])
  }
}
