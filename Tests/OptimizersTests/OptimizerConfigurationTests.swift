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

  @Test func settingsFromAFileAreChecked() {
    #expect(OptimizerConfiguration(name: .adam).problem == nil)
    #expect(OptimizerConfiguration(name: .adam, learningRate: .nan).problem == "learning rate nan is not a positive number")
    #expect(OptimizerConfiguration(name: .adam, beta2: 1).problem == "beta2 1.0 does not lie in [0, 1)")
    #expect(OptimizerConfiguration(name: .rmsprop, epsilon: 0).problem == "epsilon 0.0 is not a positive number")
    #expect([OptimizerConfiguration(name: .adam), OptimizerConfiguration(name: .rmsprop), OptimizerConfiguration(name: .rmsprop, momentum: 0.9),
             OptimizerConfiguration(name: .sgd), OptimizerConfiguration(name: .sgd, momentum: 0.9)].map(\.stateSlots) == [2, 1, 2, 0, 1])
  }
}
