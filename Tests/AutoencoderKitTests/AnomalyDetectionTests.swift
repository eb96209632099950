@testable import AutoencoderKit
import Foundation
import TestSupport
import Testing

@Suite struct AnomalyDetectionTests {
  /// 300 random 16×16 images and an untrained dense model for them.
  func setUp() throws -> (Autoencoder, ImageSet) {
    var generator = SplitMix64(seed: 5)
    let model = try Autoencoder(.dense(inputSize: 256, hiddenSizes: [12]), using: &generator)
    let bytes = (0..<(300 * 256)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    return (model, ImageSet(storage: .bytes(bytes), exampleShape: [16, 16], source: "random"))
  }

  @Test func threadedScoresAreEachExamplesOwn() throws {
    let (model, set) = try setUp()
    let scorer = try AnomalyScorer(kind: .mse, loss: .binaryCrossEntropy, exampleShape: [16, 16])
    #expect(scorer.smoothing == 1)
    // Whole small batches per thread, and batch by batch with a callback: the same scores, each
    // the example's own (its reconstruction scored alone).
    let threaded = try Parallel.withThreads(2) { try model.anomalyScores(set, scorer: scorer) }
    var seen = 0
    let serial = try model.anomalyScores(set, scorer: scorer, batchSize: 64) { first, input, _ in
      #expect(first == seen)
      seen += input.shape[0]
    }
    // (Matrix products blocked differently round differently: equal to float precision.)
    #expect(seen == 300 && zip(threaded, serial).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
    for index in [0, 129, 299] {
      let input = Tensor(shape: [1, 256], scalars: set.example(index))
      let output = model.reconstruct(input)
      let alone = input.withUnsafeBufferPointer { x in
        output.withUnsafeBufferPointer { y in scorer.errorMap(input: x.baseAddress!, output: y.baseAddress!) }
      }
      #expect(abs(alone.reduce(0, +) / 256 - threaded[index]) < 1e-6 * max(1, threaded[index]))
    }
  }

  @Test func mapFiguresShowTheErrorsInOneScale() throws {
    let image = [Float](repeating: 0.5, count: 64)
    var errors = [Float](repeating: 0, count: 64)
    errors[0] = 2  // above the ceiling: white
    errors[1] = 0.5  // half the ceiling
    let figure = AnomalyMapFigure.render(input: image, reconstruction: image, errors: errors, height: 8, width: 8, channels: 1,
                                         score: 0.25, ceiling: 1, anomalous: true)
    #expect(figure.channels == 3)
    // Tiles of 8 × 8 pixels drawn at scale 8 (at most), 4 apart: the heat map is the third.
    let heatLeft = 4 + 2 * (8 * 8 + 4)
    func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(figure.pixels[((y * figure.width + x) * 3)..<((y * figure.width + x) * 3 + 3)]) }
    #expect(pixel(heatLeft + 2, 4 + 2) == [255, 255, 255])
    #expect(pixel(heatLeft + 8 + 2, 4 + 2) == [255, 128, 0])  // t = 0.5: full red, half green
    #expect(pixel(heatLeft + 2, 4 + 8 + 2) == [0, 0, 0])
    #expect(AnomalyMapFigure.ceiling(of: (0..<1000).map(Float.init)) == 995)
  }
}
