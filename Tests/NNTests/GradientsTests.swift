import Autodiff
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct GradientsTests {
  @Test func valueWithGradientMatchesFiniteDifferencesOnAWholeModel() throws {
    var generator = SplitMix64(seed: 8)
    let model = try Autoencoder(.dense(inputSize: 6, hiddenSizes: [3]), using: &generator)
    let x = randomTensor([4, 6], in: 0..<1, seed: 9)
    let (value, gradients) = valueWithGradient(at: model) { binaryCrossEntropy(predicted: $0(Variable(x)), expected: x) }
    #expect(value > 0)
    let weight = model.parameter(named: "encoder.0.weight")!
    let h: Float = 1e-2
    let original = weight.value
    func loss(shifting element: Int, by delta: Float) -> Float {
      weight.updateValue { $0 = original; $0.withUnsafeMutableBufferPointer { $0[element] += delta } }
      return binaryCrossEntropy(predicted: model(Variable(x)), expected: x).value.scalar
    }
    for element in [0, 5, 17] {
      let numeric = (loss(shifting: element, by: h) - loss(shifting: element, by: -h)) / (2 * h)
      let analytic = gradients["encoder.0.weight"]!.scalars[element]
      #expect(abs(numeric - analytic) < 2e-3 + 0.02 * abs(numeric))
    }
    weight.updateValue { $0 = original }
    #expect(gradients.byName.count == 4)
    #expect(gradients.norm > 0)
    #expect(model.namedParameters.allSatisfy { $0.parameter.gradient == nil })  // handed over, not left behind
  }
}
