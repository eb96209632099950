import AutoencoderKit
import TestSupport
import Testing

@Suite struct CodeMapsTests {
  /// Two classes on either side of a plane in 6 values, labelled.
  func set(count: Int, seed: UInt64) -> ImageSet {
    var generator = SplitMix64(seed: seed)
    var values: [Float] = [], labels: [UInt8] = []
    for row in 0..<count {
      let label = row % 2
      labels.append(UInt8(label))
      values += (0..<6).map { column in (column == 0 ? Float(4 * label - 2) : 0) + generator.nextUnitFloat() - 0.5 }
    }
    return ImageSet(storage: .floats(values), exampleShape: [6], labels: labels, classNames: ["a", "b"], source: "synthetic")
  }

  @Test func rawCodesAreTheValuesAndMapsAreTwoWide() throws {
    let data = set(count: 60, seed: 1)
    let codes = try CodeMaps.codes(of: data, model: nil)
    #expect(codes.rows == 60 && codes.columns == 6 && Array(codes.point(3)) == data.example(3))
    let pca = try CodeMaps.project(codes, with: .pca)
    #expect(pca.columns == 2 && pca.rows == 60)
    // The first principal axis is the class axis: PC 1's sign splits the classes.
    #expect((0..<60).allSatisfy { ((pca[$0, 0] > 0) == (pca[0, 0] > 0)) == ($0 % 2 == 0) })
    #expect(throws: EmbeddingError.self) { try CodeMaps.project(codes, with: .none) }
  }

  @Test func separationCountsTheClassesAndNamesWhatLacksLabels() throws {
    let separation = try CodeMaps.separation(training: set(count: 80, seed: 2), test: set(count: 40, seed: 3), model: nil, k: 3, width: 1)
    #expect(separation.rawKNNAccuracy == 1 && separation.rawProbeAccuracy == 1 && separation.pcaKNNAccuracy == 1)
    #expect(separation.knnAccuracy == nil && separation.width == 1 && separation.trainingExamples == 80)
    let unlabelled = ImageSet(storage: .floats(Array(repeating: 0, count: 12)), exampleShape: [6], source: "plain")
    #expect(throws: DataError.self) { try CodeMaps.separation(training: unlabelled, test: unlabelled, model: nil, k: 1) }
  }

  @Test func aModelsCodesAreItsEncoding() throws {
    var generator = SplitMix64(seed: 4)
    let model = try Autoencoder(.dense(inputSize: 6, hiddenSizes: [3]), using: &generator)
    let data = set(count: 10, seed: 5)
    let codes = try CodeMaps.codes(of: data, model: model)
    let encoded = try model.encode(data)
    #expect(codes.columns == 3 && codes.values == encoded.scalars)
  }

  @Test func theFigureHasALegendOfClassNames() {
    let map = PointSet([0, 0, 1, 1, 2, 0], rows: 3, columns: 2)
    let image = CodeMaps.figure(of: map, labels: [0, 1, 1], classNames: ["Coat", "Bag"], title: "Map", projection: .tsne)
    #expect(image.channels == 3 && image.width == 900)
  }
}
