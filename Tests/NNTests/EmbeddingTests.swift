import Autodiff
import Foundation
@testable import NN
import TensorCore
import TestSupport
import Testing

@Suite struct EmbeddingTests {
  @Test func kindReadsKerasSettingsAndShapes() throws {
    let spec = try LayerSpec.parsing("embedding 256 32")
    #expect(try spec.outputShape(for: [128]) == [128, 32])
    #expect(spec.parameterShapes(inputShape: [128]).map(\.shape) == [[256, 32]])
    #expect(throws: LayerMisfit.self) { try spec.outputShape(for: [28, 28]) }
    #expect(throws: (any Error).self) { try LayerSpec.parsing("embedding 256") }
    #expect(throws: (any Error).self) { try LayerSpec.parsing("embedding 256 32 relu") }
    let json = try JSONEncoder().encode(spec)
    #expect(String(decoding: json, as: UTF8.self).contains("\"input_dim\":256"))
    #expect(try JSONDecoder().decode(LayerSpec.self, from: json) == spec)
  }

  @Test func layerPicksRowsWithKerasInitialization() {
    var generator = SplitMix64(seed: 3)
    let layer = Embedding(vocabulary: 5, width: 4, using: &generator)
    #expect(layer.weight.value.scalars.allSatisfy { abs($0) < 0.05 })
    let output = layer.inferring(from: Tensor(shape: [1, 3], scalars: [4, 0, 4]))
    let table = layer.weight.value.scalars
    #expect(output.scalars == Array(table[16..<20]) + Array(table[0..<4]) + Array(table[16..<20]))
  }

  @Test func stepsPickTheSameRows() {
    var generator = SplitMix64(seed: 3)
    let layer = Embedding(vocabulary: 5, width: 4, using: &generator)
    var output = [Float](repeating: 0, count: 8), unused: [Float] = [0]
    var scratch: [Float] = [0]
    layer.step(streams: 2, input: [2, 1], inputWidth: 1, state: &unused, scratch: &scratch, output: &output)
    #expect(output == Array(layer.weight.value.scalars[8..<12]) + Array(layer.weight.value.scalars[4..<8]))
  }
}
