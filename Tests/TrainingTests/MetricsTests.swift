import Datasets
import NN
import Optimizers
import TensorCore
import TestSupport
import Testing
import Training

@Suite struct MetricsTests {
  @Test func psnrAndMSEOfAKnownReconstruction() throws {
    // An identity-like model: one Dense layer with identity weights reproduces its input exactly.
    let identity = Tensor(shape: [4, 4], scalars: (0..<16).map { $0 % 5 == 0 ? 1 : 0 })
    var generator = SplitMix64(seed: 1)
    let architecture = Architecture(inputShape: [4], encoder: [.dense(units: 4, activation: .identity)],
                                    decoder: [.dense(units: 4, activation: .identity)])
    let model = try Autoencoder(architecture, using: &generator)
    model.namedParameters.forEach { name, parameter in
      parameter.updateValue { $0 = name.hasSuffix("weight") ? identity : Tensor.zeros(shape: [4]) }
    }
    let set = ImageSet(storage: .floats([0, 0.5, 1, 0.25, 0.2, 0.4, 0.6, 0.8]), exampleShape: [4], source: "test")
    let exact = try Evaluator(model: model, loss: .meanSquaredError).metrics(on: set)
    #expect(exact.meanSquaredError == 0 && exact.psnr == 100 && exact.loss == 0)
    // Shift every output by 0.1: MSE 0.01, PSNR 20 dB.
    model.parameter(named: "decoder.0.bias")!.updateValue { $0 = Tensor(shape: [4], repeating: 0.1) }
    let shifted = try Evaluator(model: model, loss: .meanSquaredError).metrics(on: set)
    #expect(abs(shifted.meanSquaredError - 0.01) < 1e-6)
    #expect(abs(shifted.psnr - 20) < 1e-3)
  }

  @Test func outputsThatOverflowAreAnErrorNamingTheWeights() throws {
    var generator = SplitMix64(seed: 1)
    let model = try Autoencoder(.dense(inputSize: 4, hiddenSizes: [4], outputActivation: .identity), using: &generator)
    model.namedParameters.forEach { _, parameter in parameter.updateValue { $0 = Tensor(shape: $0.shape, repeating: 3e38) } }
    let set = ImageSet(storage: .floats([1, 1, 1, 1]), exampleShape: [4], source: "ones")
    #expect {
      try Evaluator(model: model, loss: .meanSquaredError).metrics(on: set)
    } throws: { error in
      "\(error)" == "the model's reconstructions of example 0 of ones are NaN or infinite; its weights may be too large "
        + "(the largest magnitude is 3e+38 in encoder.0.weight)"
    }
  }
}
