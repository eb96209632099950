import Datasets
import NN
import TensorCore
import TestSupport
import Testing
import Training

struct DeadUnitsTests {
  /// The model's parameters by name, with `change` applied to some.
  func parameters(of model: Autoencoder, _ change: (inout [String: Tensor]) -> Void) -> [String: Tensor] {
    var parameters = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value) })
    change(&parameters)
    return parameters
  }

  @Test func aUnitThatNeverFiresIsDeadAndOnlyReluLayersCount() throws {
    var generator = SplitMix64(seed: 2)
    let architecture = Architecture.dense(inputSize: 64, hiddenSizes: [4])
    let random = try Autoencoder(architecture, using: &generator)
    // Inputs lie in [0, 1]: unit 0 (weights +0.1) fires on every nonzero image, unit 1 (weights
    // −1, bias −1) never, unit 2 (+0.1) always, unit 3 (zero weights and bias) gives exactly 0.
    let model = try Autoencoder(architecture, parameters: parameters(of: random) { p in
      p["encoder.0.weight"] = Tensor(shape: [64, 4], scalars: (0..<256).map { [Float(0.1), -1, 0.1, 0][$0 % 4] })
      p["encoder.0.bias"] = Tensor(shape: [4], scalars: [0, -1, 0, 0])
    })
    let data = syntheticImages(count: 50)
    #expect(try model.deadUnits(on: data, batchSize: 7) == [DeadUnits(layer: "encoder.0", units: 4, dead: 2)])
    #expect(DeadUnits(layer: "encoder.0", units: 4, dead: 2).summary == "2 of 4 in encoder.0")
    // A sigmoid or linear model has no relu layer to report.
    let linear = try Autoencoder(.dense(inputSize: 64, hiddenSizes: [4], activation: .identity), using: &generator)
    #expect(try linear.deadUnits(on: data).isEmpty)
  }

  @Test func layerOutputsAreTheModelsAndFiltersCountAcrossPositionsAndBatches() throws {
    var generator = SplitMix64(seed: 5)
    let architecture = Architecture.convolutional()
    let random = try Autoencoder(architecture, using: &generator)
    // Filter 3 of the first convolution: zero weights, bias −1: dead wherever it looks.
    let model = try Autoencoder(architecture, parameters: parameters(of: random) { p in
      let weight = p["encoder.0.weight"]!  // [3, 3, 1, 16]
      p["encoder.0.weight"] = Tensor(shape: weight.shape, scalars: weight.scalars.enumerated().map { $0.offset % 16 == 3 ? 0 : $0.element })
      p["encoder.0.bias"] = Tensor(shape: [16], scalars: (0..<16).map { $0 == 3 ? -1 : 0 })
    })
    let data = syntheticImages(count: 20, side: 28)
    let input = Tensor(shape: [20, 28, 28, 1], scalars: (0..<20).flatMap { data.example($0) })
    // The observed pass gives the model's outputs bit for bit (upsampling and convolution fused as
    // in the plain pass, the upsampled batch made for the observer alone),
    // and every layer's output in order.
    var seen: [(String, [Int])] = [], fired = [Bool](repeating: false, count: 16)
    let output = model.reconstruct(input) { name, _, output in
      seen.append((name, output.shape))
      if name == "encoder.0" { for (i, v) in output.scalars.enumerated() where v > 0 { fired[i % 16] = true } }
    }
    #expect(output.scalars == model.reconstruct(input).scalars)
    #expect(seen.map(\.0) == (0..<6).map { "encoder.\($0)" } + (0..<7).map { "decoder.\($0)" })
    #expect(seen.first!.1 == [20, 28, 28, 16] && seen.last!.1 == [20, 28, 28, 1])
    let report = try model.deadUnits(on: data, batchSize: 3)
    #expect(report.map(\.layer) == ["encoder.0", "encoder.2", "encoder.4", "decoder.0", "decoder.2", "decoder.4"])
    #expect(report.map(\.units) == [16, 8, 8, 8, 8, 16])
    #expect(!fired[3] && report[0].dead == fired.filter { !$0 }.count && report[0].dead >= 1)
  }
}
