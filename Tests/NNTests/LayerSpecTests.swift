import Foundation
@testable import NN
import TensorCore
import Testing

@Suite struct LayerSpecTests {
  /// One spec of each kind the registry lists, as a spec string writes it.
  static let examples = ["dense 5 tanh", "conv 4 3 stride 2 valid relu nobias", "convt 4 3 stride 2 relu", "pool 3 stride 2 same", "up 2",
                         "flatten", "reshape 2x2x1", "dropout 0.25", "conv1d 8 7 stride 2 relu", "convt1d 8 7 stride 2", "pool1d 2", "up1d 2", "lstm 4 sequences", "gru 3", "repeat 3",
                         "embedding 256 8", "igdn"]

  @Test func everyKindHasItsOwnTypeAndWords() {
    let types = LayerSpec.kinds.map { $0.typeName }, words = LayerSpec.kinds.flatMap { $0.words }
    #expect(Set(types).count == types.count && Set(words).count == words.count)
    // Every kind is reachable from a spec string by its first word, and the examples cover them all.
    let parsed = Self.examples.compactMap { try? LayerSpec.parsing($0) }
    #expect(parsed.count == Self.examples.count)
    #expect(Set(parsed.map { type(of: $0.kind).typeName }) == Set(types))
  }

  @Test(arguments: examples) func aSpecRoundTripsThroughItsJSONObject(text: String) throws {
    let spec = try LayerSpec.parsing(text)
    let data = try JSONEncoder().encode(spec)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(object["type"] as? String == type(of: spec.kind).typeName)
    #expect(try JSONDecoder().decode(LayerSpec.self, from: data) == spec)
  }

  @Test func specsOfTheSameKindDifferByTheirSettings() throws {
    #expect(try LayerSpec.parsing("conv 16 3 relu") == .conv2D(filters: 16, kernelSize: 3, activation: .relu))
    #expect(try LayerSpec.parsing("conv 16 3 relu") != .conv2D(filters: 16, kernelSize: 3, activation: .sigmoid))
    #expect(try LayerSpec.parsing("conv 16 3 relu") != .conv2DTranspose(filters: 16, kernelSize: 3, activation: .relu))
    #expect(try LayerSpec.parsing("pool 2 stride 2") == .maxPool2D(size: 2))
  }

  @Test func unknownLayersAndTypesNameTheKnownOnes() {
    #expect(throws: SpecError("unknown layer \"attention\" (known: dense, conv, convt, pool, up, flatten, reshape, dropout, conv1d, convt1d, pool1d, up1d, lstm, gru, repeat, embedding, gdn, latent, bottleneck)")) {
      try LayerSpec.parsing("attention 32")
    }
    #expect {
      try JSONDecoder().decode(LayerSpec.self, from: Data(#"{"type": "attention", "units": 3}"#.utf8))
    } throws: { error in
      "\(error)".contains(#"unknown layer type "attention" (known: dense, conv2d, conv2d_transpose, max_pool2d, up_sampling2d, flatten, reshape, dropout, conv1d, conv1d_transpose, max_pool1d, up_sampling1d, lstm, gru, repeat_vector, embedding, gdn)"#)
    }
  }

  @Test func sizesBeyondTheLimitAreMisfitsBeforeAnyOtherCheck() {
    let huge = LayerSpec.dense(units: Limits.maximumDimension + 1, activation: .relu)
    #expect(throws: LayerMisfit.self) { try huge.outputShape(for: [4]) }
    #expect((try? LayerSpec.dense(units: 3, activation: .relu).outputShape(for: [4])) == [3])
  }
}
