import Foundation
import Optimizers
import Testing

@Suite struct OptimizerConfigurationTests {
  @Test func defaultsFollowKerasPerOptimizer() {
    #expect(OptimizerConfiguration(name: .adam).learningRate == 1e-3)
    #expect(OptimizerConfiguration(name: .rmsprop).learningRate == 1e-3)
    #expect(OptimizerConfiguration(name: .sgd).learningRate == 0.01)
  }

  @Test func recreatesTheOptimizerItDescribes() throws {
    let sgd = SGD(learningRate: 0.1, momentum: 0.5, nesterov: true)
    let data = try JSONEncoder().encode(sgd.configuration)
    let decoded = try JSONDecoder().decode(OptimizerConfiguration.self, from: data)
    let rebuilt = try #require(decoded.makeOptimizer() as? SGD)
    #expect(rebuilt.learningRate == 0.1 && rebuilt.momentum == 0.5 && rebuilt.nesterov)
  }
}
