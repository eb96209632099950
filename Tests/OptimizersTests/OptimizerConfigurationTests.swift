import NN
import TensorCore
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

/// Saved optimizer state restores the next update exactly (checkpoints).
@Suite struct OptimizerStateTests {
  @Test(arguments: [OptimizerConfiguration(name: .adam, weightDecay: 0.01), OptimizerConfiguration(name: .rmsprop, momentum: 0.9),
                    OptimizerConfiguration(name: .sgd, momentum: 0.9), OptimizerConfiguration(name: .sgd)])
  func restoredStateGivesTheSameNextSteps(configuration: OptimizerConfiguration) throws {
    let uninterrupted = ReferenceProblem.run(configuration.makeOptimizer())
    // Three steps, save, restore into a new optimizer, two more.
    let first = configuration.makeOptimizer()
    let model = Dense(weight: Tensor(shape: [1, 4], scalars: ReferenceProblem.theta0))
    for t in 1...3 { first.update(model, along: Gradients(["weight": Tensor(shape: [1, 4], scalars: ReferenceProblem.gradient(step: t))])) }
    let second = configuration.makeOptimizer()
    try second.restore(step: first.step, state: first.stateTensors)
    #expect(second.step == 3)
    for t in 4...5 { second.update(model, along: Gradients(["weight": Tensor(shape: [1, 4], scalars: ReferenceProblem.gradient(step: t))])) }
    #expect(model.weight.value.scalars == uninterrupted[4])
  }

  @Test func stateOfAnotherOptimizerIsRefusedNamingIt() {
    #expect { try Adam().restore(step: 1, state: ["velocity.w": Tensor([1])]) } throws: { "\($0)".contains("velocity.w is not state adam keeps") }
    #expect { try Adam().restore(step: 1, state: ["m.w": Tensor([1])]) } throws: { "\($0)".contains("needs m and v") }
    #expect { try SGD().restore(step: 1, state: ["velocity.w": Tensor([1])]) } throws: { "\($0)".contains("without momentum keeps no state") }
  }
}
