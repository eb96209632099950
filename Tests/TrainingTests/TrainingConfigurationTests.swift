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

  @Test func valuesOutOfRangeAreProblems() {
    var configuration = TrainingConfiguration(epochs: 5, batchSize: 256, seed: 0, loss: .binaryCrossEntropy, reduction: .mean,
                                              optimizer: OptimizerConfiguration(name: .adam), data: "/data", validation: "test split", threads: 2)
    #expect(configuration.problem == nil)
    configuration.epochs = -1
    #expect(configuration.problem == "epochs -1 is negative")
    configuration.epochs = 5
    configuration.threads = 0
    #expect(configuration.problem == "threads 0 does not lie in 1...256")
  }
}
