import NN
import TensorCore
import Testing

@testable import Codec

struct AutoencoderFingerprintTests {
  @Test func changesWithAnyWeightOrTheArchitecture() throws {
    var generator = SplitMix64(seed: 1)
    let model = try Autoencoder(.dense(inputSize: 16, hiddenSizes: [4]), using: &generator)
    let print = model.fingerprint
    #expect(print.count == 16 && print.allSatisfy(\.isHexDigit))
    #expect(try Autoencoder(model.architecture, parameters: Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value) })).fingerprint == print)
    // One weight one ulp larger.
    var tensors = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value) })
    var scalars = tensors["decoder.0.bias"]!.scalars
    scalars[3] = scalars[3].nextUp
    tensors["decoder.0.bias"] = Tensor(shape: [16], scalars: scalars)
    #expect(try Autoencoder(model.architecture, parameters: tensors).fingerprint != print)
    var other = SplitMix64(seed: 1)
    #expect(try Autoencoder(.dense(inputSize: 16, hiddenSizes: [4], activation: .tanh), using: &other).fingerprint != print)
  }
}
