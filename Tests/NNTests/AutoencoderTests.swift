import Autodiff
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct AutoencoderTests {
  @Test func halvesComposeToTheWholeAndWorkAlone() throws {
    var generator = SplitMix64(seed: 2)
    let model = try Autoencoder(.dense(inputSize: 12, hiddenSizes: [5]), using: &generator)
    let x = randomTensor([3, 12], in: 0..<1, seed: 3)
    let codes = model.encode(x)
    #expect(codes.shape == [3, 5])
    #expect(model.decode(codes) == model.reconstruct(x))
    #expect(model.reconstruct(x).scalars.allSatisfy { $0 > 0 && $0 < 1 })  // sigmoid output
    #expect(model.parameterCount == 12 * 5 + 5 + 5 * 12 + 12)
  }

  @Test func trainingStepsReduceTheReconstructionLoss() throws {
    var generator = SplitMix64(seed: 4)
    let model = try Autoencoder(.dense(inputSize: 16, hiddenSizes: [4]), using: &generator)
    // Data on a 2-dimensional subspace: a 4-unit code can represent it.
    let basis = randomTensor([2, 16], in: 0..<1, seed: 5)
    let data = Tensor.matmul(randomTensor([32, 2], in: 0..<0.5, seed: 6), basis).clamped(to: 0...1)
    var lastLoss: Float = 0, firstLoss: Float = 0
    let sgd = LearningStep(model: model)
    for step in 0..<300 {
      let value = sgd.step(on: data)
      if step == 0 { firstLoss = value }
      lastLoss = value
    }
    #expect(lastLoss < firstLoss * 0.9)
  }
}

/// Plain gradient descent, written out, so this test depends on NN alone.
struct LearningStep {
  let model: Autoencoder
  func step(on data: Tensor) -> Float {
    let (value, gradients) = valueWithGradient(at: model) { binaryCrossEntropy(predicted: $0(Variable(data)), expected: data) }
    for (name, parameter) in model.namedParameters {
      parameter.updateValue { $0 = $0 - gradients[name]! * 0.5 }
    }
    return value
  }
}
