import NN
import Optimizers
import TensorCore
import TestSupport
import Testing

/// Reference values: scripts/reference/keras_optimizers.py with Keras 3.15.1.
@Suite struct AdamTests {
  @Test func withWeightDecayMatchesKerassAdamW() {
    ReferenceProblem.expectMatches(Adam(learningRate: 0.01, weightDecay: 0.1), [
      [0.489500135, -1.00899994, 1.98800027, 0.0099999113],
      [0.478998095, -1.01575387, 1.99209988, 0.0199821182],
      [0.470105618, -1.01531076, 1.99803531, 0.0289167836],
      [0.466763765, -1.0110147, 2.00365782, 0.0326818638],
      [0.467269093, -1.00629449, 2.00484252, 0.0321472175],
    ])
    #expect(Adam(weightDecay: 0.1).configuration.makeOptimizer().weightDecay == 0.1)
  }

  @Test func matchesKerasWithDefaults() {
    ReferenceProblem.expectMatches(Adam(), [
      [0.499000013, -1.00100005, 1.99900007, 0.0009999912],
      [0.497998774, -1.00177634, 1.99960887, 0.00199921196],
      [0.497157425, -1.00183356, 2.00040174, 0.00289467699],
      [0.49687025, -1.00150549, 2.00116372, 0.00327407685],
      [0.496967465, -1.00113451, 2.00148249, 0.00322388043],
    ])
  }

  @Test func matchesKerasWithOtherSettings() {
    ReferenceProblem.expectMatches(Adam(learningRate: 0.1, beta1: 0.8, beta2: 0.99), [
      [0.400000274, -1.0999999, 1.90000057, 0.0999998897],
      [0.299664855, -1.17433751, 1.96556139, 0.200554267],
      [0.219381332, -1.17064285, 2.05039811, 0.287412643],
      [0.202223018, -1.12600791, 2.12870169, 0.314641058],
      [0.227511331, -1.07947648, 2.15253735, 0.294033974],
    ])
  }

  @Test func defaultsAreKeras() {
    let adam = Adam()
    #expect(adam.learningRate == 1e-3 && adam.beta1 == 0.9 && adam.beta2 == 0.999 && adam.epsilon == 1e-7)
    #expect(adam.configuration.makeOptimizer() is Adam)
  }

  @Test func fitsALineFromScratch() {
    // y = 2x + 1 with a one-unit Dense layer: Adam drives the squared error near zero.
    var generator = SplitMix64(seed: 1)
    let layer = Dense(inputSize: 1, outputSize: 1, using: &generator)
    let x = Tensor(shape: [8, 1], scalars: (0..<8).map { Float($0) / 4 })
    let y = x * 2 + 1
    let adam = Adam(learningRate: 0.05)
    var loss: Float = .infinity
    for _ in 0..<600 {
      let step = valueWithGradient(at: layer) { meanSquaredError(predicted: $0(.init(x)), expected: y) }
      adam.update(layer, along: step.gradients)
      loss = step.value
    }
    #expect(loss < 1e-4)
    #expect(abs(layer.weight.value.scalar - 2) < 0.02 && abs(layer.bias!.value.scalar - 1) < 0.02)
    #expect(adam.step == 600)
  }
}
