import Datasets
import FileIO
import Foundation
import ModelFiles
import NN
import Optimizers
import TensorCore
import TestSupport
import Testing
import Training

@Suite struct ModelFileDataTests {
  func file() throws -> ModelFile {
    var generator = SplitMix64(seed: 1)
    let model = try Autoencoder(.dense(inputSize: 2, hiddenSizes: [1]), using: &generator)
    var training = TrainingConfiguration(epochs: 1, batchSize: 4, seed: 0, loss: .meanSquaredError, reduction: .mean,
                                         optimizer: OptimizerConfiguration(name: .adam), data: "t.csv", validation: "none", threads: 1)
    training.reading = ReadingOptions(header: true, labelColumn: "kind")
    return ModelFile(model: model, training: training,
                     data: DataDescription(classNames: ["b", "a"], columnNames: ["x", "y"],
                                           scaling: FeatureScaling(kind: .standard, offset: [10, 0], scale: [2, 1])))
  }

  @Test func newDataIsReadAsTheModelsTrainingReadIt() throws {
    let file = try file()
    let directory = try TemporaryDirectory()
    let csv = try directory.write(Array("x,y,kind\n12,5,a\n10,1,b\n".utf8), to: "new.csv")
    let source = try DataSource(csv, options: file.readingOptions(given: ReadingOptions()))
    let set = try file.examples(from: source)
    // The model's class order (b = 0, a = 1), its scaling ((x - 10) / 2), its label column.
    #expect(Array(set.labels!) == [1, 0] && set.example(0) == [1, 5] && set.example(1) == [0, 1])
    // New data without the label column is read unlabelled; a given option wins over the saved one.
    let plain = try directory.write(Array("x,y\n14,0\n".utf8), to: "plain.csv")
    #expect(try file.examples(from: DataSource(plain, options: file.readingOptions(given: ReadingOptions()))).labels == nil)
    #expect(file.readingOptions(given: ReadingOptions(header: false)).header == false)
    // Outputs go back to the data's units.
    #expect(file.inDataUnits(Tensor(shape: [1, 2], scalars: [1, 5])).scalars == [12, 5])
    let wide = try directory.write(Array("x,y,z\n1,2,3\n".utf8), to: "wide.csv")
    #expect(throws: DataError.self) { try file.examples(from: DataSource(wide)) }
  }
}
