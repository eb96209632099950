import Foundation
import NN
import TensorCore
import Testing

@Suite struct ArchitectureTests {
  @Test func presetsAreTheSeedModels() throws {
    let dense = try #require(Architecture.preset(named: "dense"))
    #expect(dense.description == "784 → 64 relu → 784 sigmoid")
    let deep = try #require(Architecture.preset(named: "deep"))
    #expect(deep.description == "784 → 128 relu → 64 relu → 128 relu → 784 sigmoid")
    #expect(try deep.codeShape() == [64])
    #expect(Architecture.preset(named: "tiny") == nil)
  }

  @Test func summaryCountsParametersLikeKeras() throws {
    let rows = try Architecture.preset(named: "dense")!.summary()
    #expect(rows.map(\.parameters) == [50_240, 50_960])
    #expect(rows.map(\.outputShape) == [[64], [784]])
    #expect(rows.map(\.name) == ["encoder.0", "decoder.0"])
  }

  @Test func misfitsAreNamedBeforeAnythingIsBuilt() {
    let wrongOutput = Architecture(inputShape: [784], encoder: [.dense(units: 32, activation: .relu)],
                                   decoder: [.dense(units: 100, activation: .sigmoid)])
    #expect(throws: ArchitectureError.outputMismatch(output: [100], input: [784])) { try wrongOutput.validated() }
    let image = Architecture(inputShape: [28, 28], encoder: [.dense(units: 32, activation: .relu)],
                             decoder: [.dense(units: 784, activation: .sigmoid)])
    #expect {
      try image.validated()
    } throws: { error in
      "\(error)".contains("encoder.0 Dense(32, relu)") && "\(error)".contains("[28, 28]")
    }
    let zeroUnits = Architecture.dense(hiddenSizes: [0])
    #expect(throws: ArchitectureError.self) { try zeroUnits.validated() }
  }

  @Test func buildsAModelWhoseNamesAndShapesFollowTheSpec() throws {
    var generator = SplitMix64(seed: 1)
    let model = try Autoencoder(.dense(inputSize: 10, hiddenSizes: [6, 3]), using: &generator)
    #expect(model.namedParameters.map(\.name) == [
      "encoder.0.weight", "encoder.0.bias", "encoder.1.weight", "encoder.1.bias",
      "decoder.0.weight", "decoder.0.bias", "decoder.1.weight", "decoder.1.bias",
    ])
    #expect(model.namedParameters.map(\.parameter.shape) == [[10, 6], [6], [6, 3], [3], [3, 6], [6], [6, 10], [10]])
  }

  @Test func roundTripsThroughJSON() throws {
    let architecture = Architecture.dense(hiddenSizes: [128, 64], activation: .leakyRelu(slope: 0.1), outputActivation: .identity)
    let data = try JSONEncoder().encode(architecture)
    #expect(String(decoding: data, as: UTF8.self).contains(#""type":"dense""#))
    #expect(try JSONDecoder().decode(Architecture.self, from: data) == architecture)
  }
}
