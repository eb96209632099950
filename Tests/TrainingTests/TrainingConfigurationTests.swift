import Foundation
import NN
import Optimizers
import Testing
import Training

@Suite struct TrainingConfigurationTests {
  @Test func roundTripsThroughJSON() throws {
    let configuration = TrainingConfiguration(epochs: 50, batchSize: 256, seed: 0, loss: .binaryCrossEntropy, reduction: .mean,
                                              optimizer: OptimizerConfiguration(name: .adam), data: "/data", validation: "test split", threads: 2)
    let json = try JSONEncoder().encode(configuration)
    #expect(String(decoding: json, as: UTF8.self).contains("\"batch_size\":256"))
    #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: json) == configuration)
  }
}
