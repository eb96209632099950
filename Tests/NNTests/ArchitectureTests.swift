import Foundation
import NN
import TensorCore
import Testing

@Suite struct ArchitectureTests {
  @Test func presetsAreTheSeedModels() throws {
    let dense = try #require(try Architecture.preset(named: "dense", exampleShape: [28, 28]))
    #expect(dense.description == "784 → 64 relu → 784 sigmoid")
    let deep = try #require(try Architecture.preset(named: "deep", exampleShape: [784]))
    #expect(deep.description == "784 → 128 relu → 64 relu → 128 relu → 784 sigmoid")
    #expect(try deep.codeShape() == [64])
    #expect(try Architecture.preset(named: "tiny", exampleShape: [784]) == nil)
  }

  @Test func summaryCountsParametersLikeKeras() throws {
    let rows = try Architecture.preset(named: "dense", exampleShape: [28, 28])!.summary()
    #expect(rows.map(\.parameters) == [50_240, 50_960])
    #expect(rows.map(\.outputShape) == [[64], [784]])
    #expect(rows.map(\.name) == ["encoder.0", "decoder.0"])
  }

  @Test func misfitsAreNamedBeforeAnythingIsBuilt() {
    let wrongOutput = Architecture(inputShape: [784], encoder: [.dense(units: 32, activation: .relu)],
                                   decoder: [.dense(units: 100, activation: .sigmoid)])
    #expect {
      try wrongOutput.validated()
    } throws: { error in
      guard case ArchitectureError.outputMismatch(let output, let input, let trace) = error else { return false }
      return output == [100] && input == [784] && trace == "input 784, encoder.0 32, decoder.0 100"
    }
    let image = Architecture(inputShape: [28, 28, 1], encoder: [.dense(units: 32, activation: .relu)],
                             decoder: [.dense(units: 784, activation: .sigmoid)])
    #expect {
      try image.validated()
    } throws: { error in
      "\(error)".contains("encoder.0 Dense(32, relu)") && "\(error)".contains("[28, 28, 1]")
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

  // MARK: - Convolutional

  @Test func theConvolutionalPresetsMatchKerasParameterCounts() throws {
    let conv = try #require(try Architecture.preset(named: "conv", exampleShape: [28, 28]))
    #expect(conv.inputShape == [28, 28, 1])
    #expect(try conv.codeShape() == [4, 4, 8])
    // Keras's model.summary() of the blog's model: 160, 1160, 584 | 584, 584, 1168, 145 = 4,385.
    let rows = try conv.summary()
    #expect(rows.map(\.parameters).filter { $0 > 0 } == [160, 1160, 584, 584, 584, 1168, 145])
    #expect(rows.map(\.outputShape)[4...6] == [[7, 7, 8], [4, 4, 8], [4, 4, 8]])
    #expect(rows.map(\.outputShape)[10] == [14, 14, 16])
    let transpose = try #require(try Architecture.preset(named: "conv-transpose", exampleShape: [28, 28, 1]))
    #expect(try transpose.summary().reduce(0) { $0 + $1.parameters } == 28_353)
    #expect(try transpose.codeShape() == [7, 7, 32])
    #expect(Architecture.tutorialBatchSize(forPreset: "conv") == 128 && Architecture.tutorialBatchSize(forPreset: "dense") == 256)
    #expect(throws: ArchitectureError.notImages(model: "conv", exampleShape: [784])) {
      try Architecture.preset(named: "conv", exampleShape: [784])
    }
  }

  @Test func trainingFLOPsCountConvolutionsFromTheirWindows() throws {
    // conv 3×3 1→2 same on 4×4: 16·9·2 = 288 multiply-adds, first layer (×2 ×2); convT 3×3 2→1 on 2×2 input cells:
    // 4·9·1·2 = 72 (×2 ×3).
    let a = Architecture(inputShape: [4, 4, 1], encoder: [.conv2D(filters: 2, kernelSize: 3, activation: .relu), .maxPool2D(size: 2)],
                         decoder: [.conv2DTranspose(filters: 1, kernelSize: 3, stride: 2, activation: .sigmoid)])
    #expect(try a.validated() == [2, 2, 2])
    #expect(try a.trainingFLOPsPerExample() == 288 * 4 + 72 * 6)
  }

  @Test func aSizeTheArchitectureCannotTakeIsNamedWithItsLayerAndShapes() throws {
    // The blog's model on 32×32 images: 32 → 16 → 8 → 4, back up to 4·2 → 8·2 → (16 - 2)·2 = 28 ≠ 32.
    #expect {
      try Architecture.convolutional(height: 32, width: 32).validated()
    } throws: { error in
      "\(error)".contains("outputs shape [28, 28, 1], but the input shape is [32, 32, 1]") && "\(error)".contains("decoder.4 14×14×16")
    }
    // Pooling that does not divide the size, without padding.
    let uneven = Architecture(inputShape: [7, 7, 1], encoder: [.maxPool2D(size: 2)], decoder: [.upSampling2D(size: 2)])
    #expect {
      try uneven.validated()
    } throws: { error in
      "\(error)" == "layer encoder.0 MaxPool2D(2×2, valid) does not fit input shape [7, 7, 1]: pooling 2×2 with stride 2 does not divide 7×7: "
        + "without padding it would drop the last rows or columns (giving 3×3); pad with 'same' (giving 4×4) or change the input size"
    }
    // A convolution given flat input.
    let flat = Architecture(inputShape: [784], encoder: [.conv2D(filters: 4, kernelSize: 3, activation: .relu)], decoder: [.flatten])
    #expect {
      try flat.validated()
    } throws: { error in
      "\(error)".contains("encoder.0 Conv2D(4, 3×3, same, relu)") && "\(error)".contains("reshape the flat input first")
    }
    let tooBig = Architecture(inputShape: [2, 2, 1], encoder: [.conv2D(filters: 1, kernelSize: 3, padding: .valid, activation: .relu)],
                              decoder: [.flatten])
    #expect(throws: ArchitectureError.self) { try tooBig.validated() }
  }

  @Test func layerSpecsRoundTripThroughJSON() throws {
    let specs: [LayerSpec] = [
      .conv2D(filters: 16, kernelSize: 3, stride: 2, padding: .valid, activation: .leakyRelu(slope: 0.1), useBias: false),
      .conv2DTranspose(filters: 32, kernelSize: 3, stride: 2, activation: .relu), .maxPool2D(size: 3, stride: 2, padding: .same),
      .upSampling2D(size: 2), .flatten, .reshape([7, 7, 32]), .dense(units: 5, activation: .tanh),
    ]
    let data = try JSONEncoder().encode(specs)
    #expect(try JSONDecoder().decode([LayerSpec].self, from: data) == specs)
    let keras = #"{"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"}"#
    #expect(try JSONDecoder().decode(LayerSpec.self, from: Data(keras.utf8)) == .conv2D(filters: 8, kernelSize: 3, activation: .relu))
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(LayerSpec.self, from: Data(#"{"type": "conv2d", "filters": 0, "kernel_size": 3}"#.utf8))
    }
  }

  // MARK: - Limits and parameters

  func problem(_ architecture: Architecture) -> String {
    do {
      try architecture.validated()
      return "valid"
    } catch {
      return "\(error)"
    }
  }

  @Test func everySizeIsCheckedAgainstTheLimitsBeforeArithmetic() {
    #expect(problem(.dense(inputSize: 64, hiddenSizes: [1 << 31]))
      == "layer encoder.0 Dense(2147483648, relu) does not fit input shape [64]: units 2147483648 exceeds the limit of 16,777,216")
    #expect(problem(Architecture(inputShape: [1 << 40, 1 << 30], encoder: [.flatten], decoder: [.reshape([1 << 40, 1 << 30])]))
      == "input shape [1099511627776, 1073741824] is too large: at most 3 dimensions of up to 16,777,216 each and 268,435,456 values per example")
    #expect(problem(Architecture(inputShape: [8, 8, 1], encoder: [.upSampling2D(size: 1 << 24)], decoder: [.maxPool2D(size: 1 << 24)]))
      == "layer encoder.0 UpSampling2D(16777216×16777216) does not fit input shape [8, 8, 1]: its output [134217728, 134217728, 1] exceeds the limit of 268,435,456 values per example")
    #expect(problem(Architecture(inputShape: [8, 8, 1], encoder: [.conv2D(filters: 1, kernelSize: 1 << 24, activation: .relu)],
                                 decoder: [.conv2D(filters: 1, kernelSize: 3, activation: .relu)]))
      .hasSuffix("its parameters (weight [16777216, 16777216, 1, 1], bias [1]) exceed the limit of 2,147,483,647"))
    #expect(problem(.dense(inputSize: 64, hiddenSizes: [16_777_216])) == "the model has 2,164,260,928 parameters, more than the limit of 2,147,483,647")
  }

  @Test func anImageShapeMustHoldTheInput() {
    var architecture = Architecture.dense(inputSize: 64, hiddenSizes: [4])
    for shape in [[7, 8], [0, 0], [8, 9], [64], [1, 1, 1, 64]] {
      architecture.imageShape = shape
      #expect(problem(architecture) == "image shape \(shape) does not hold the input's 64 values (input shape [64])")
    }
    architecture.imageShape = [8, 8]
    #expect(problem(architecture) == "valid")
  }

  @Test func parameterShapesComeFromTheSpecsAlone() throws {
    let architecture = Architecture.convolutionalTranspose(height: 8, width: 8)
    var generator = SplitMix64(seed: 1)
    let model = try Autoencoder(architecture, using: &generator)
    let shapes = try architecture.parameterShapes()
    #expect(shapes.map(\.name) == model.namedParameters.map(\.name))
    #expect(shapes.map(\.shape) == model.namedParameters.map(\.parameter.shape))
    #expect(shapes.first { $0.name == "decoder.0.weight" }?.shape == [3, 3, 32, 32])
  }

  @Test func aModelBuiltFromTensorsHoldsThemAndNamesAnyMisfit() throws {
    let architecture = Architecture.dense(inputSize: 4, hiddenSizes: [2])
    let tensors: [String: Tensor] = [
      "encoder.0.weight": Tensor(shape: [4, 2], scalars: (0..<8).map(Float.init)), "encoder.0.bias": Tensor([1, 2]),
      "decoder.0.weight": Tensor(shape: [2, 4], scalars: (0..<8).map { -Float($0) }), "decoder.0.bias": Tensor([0, 0, 0, 1]),
    ]
    let model = try Autoencoder(architecture, parameters: tensors)
    #expect(model.parameter(named: "encoder.0.weight")?.value == tensors["encoder.0.weight"])
    #expect(model.parameter(named: "decoder.0.bias")?.value == Tensor([0, 0, 0, 1]))
    func misfit(_ change: (inout [String: Tensor]) -> Void) -> String {
      var changed = tensors
      change(&changed)
      do {
        _ = try Autoencoder(architecture, parameters: changed)
        return "built"
      } catch {
        return "\(error)"
      }
    }
    #expect(misfit { $0["encoder.0.bias"] = nil } == "missing tensor encoder.0.bias")
    #expect(misfit { $0["encoder.1.bias"] = Tensor([1]) } == "unexpected tensor encoder.1.bias (the architecture has no such parameter)")
    #expect(misfit { $0["encoder.0.weight"] = Tensor.zeros(shape: [2, 4]) } == "tensor encoder.0.weight has shape [2, 4], the architecture needs [4, 2]")
  }

  @Test func trainingMemoryCountsParametersStateAndActivations() throws {
    // 784-64-784: 101,200 parameters; per example 784 + 64 + 784 = 1,632 values.
    let dense = Architecture.dense(hiddenSizes: [64])
    let parameters = 101_200, activations = 1632
    #expect(try dense.trainingMemory(batchSize: 256, threads: 2, optimizerSlots: 2) == 4 * (parameters * 6 + activations * 2 * 256))
    #expect(throws: MemoryBudget.Exceeded.self) {
      try dense.checkTrainingMemory(batchSize: 256, threads: 2, optimizerSlots: 2, budget: MemoryBudget(bytes: 1 << 20, source: "test"))
    }
    try dense.checkTrainingMemory(batchSize: 256, threads: 2, optimizerSlots: 2, budget: MemoryBudget(bytes: 8 << 20, source: "test"))
  }

  // MARK: - Variational

  @Test func variationalPresetsMatchTheirTutorialsParameterCounts() throws {
    let vae = try #require(try Architecture.preset(named: "vae", exampleShape: [28, 28]))
    #expect(vae.description == "784 → 512 relu → latent 2 → 512 relu → 784 sigmoid")
    #expect(try vae.summary().reduce(0) { $0 + $1.parameters } == 807_700)  // Keras's model.summary()
    let pytorch = try #require(try Architecture.preset(named: "vae-pytorch", exampleShape: [28, 28]))
    #expect(try pytorch.codeShape() == [20])
    #expect(try pytorch.summary().reduce(0) { $0 + $1.parameters } == 652_824)  // PyTorch's example VAE
    let conv = try #require(try Architecture.preset(named: "conv-vae", exampleShape: [28, 28]))
    let rows = try conv.summary()
    // keras-io's encoder (69,076 parameters with z_mean and z_log_var) and decoder (65,089).
    #expect(rows.prefix { $0.name != "decoder.0" }.reduce(0) { $0 + $1.parameters } == 69_076)
    #expect(rows.drop { $0.name != "decoder.0" }.reduce(0) { $0 + $1.parameters } == 65_089)
    #expect(try Architecture.preset(named: "vae", exampleShape: [28, 28], latent: 16)!.codeShape() == [16])
  }

  @Test func aVariationalModelsParametersAreNamedAndShapedFromItsSpecs() throws {
    let architecture = Architecture.variational(inputSize: 10, hiddenSizes: [6], latent: 3)
    var generator = SplitMix64(seed: 1)
    let model = try Autoencoder(architecture, using: &generator)
    let shapes = try architecture.parameterShapes()
    #expect(shapes.map(\.name) == model.namedParameters.map(\.name))
    #expect(shapes.map(\.shape) == model.namedParameters.map(\.parameter.shape))
    #expect(shapes.map(\.name).filter { $0.hasPrefix("latent") }
      == ["latent.mean.weight", "latent.mean.bias", "latent.log_variance.weight", "latent.log_variance.bias"])
    #expect(model.isVariational && model.latent?.latentSize == 3)
    let data = try JSONEncoder().encode(architecture)
    #expect(String(decoding: data, as: UTF8.self).contains(#""latent":3"#))
    #expect(try JSONDecoder().decode(Architecture.self, from: data) == architecture)
    // Plain architectures keep their JSON: no latent key.
    #expect(!String(decoding: try JSONEncoder().encode(Architecture.dense(hiddenSizes: [4])), as: UTF8.self).contains("latent"))
  }

  @Test func theLatentHeadNeedsFlatFeatures() {
    let images = Architecture(inputShape: [8, 8, 1], encoder: [.conv2D(filters: 2, kernelSize: 3, activation: .relu)],
                              decoder: [.dense(units: 64, activation: .sigmoid), .reshape([8, 8, 1])], latent: 2)
    #expect(problem(images) == "the latent head takes flat features, but the encoder outputs [8, 8, 2]; end the encoder with a dense layer or flatten")
    #expect(problem(Architecture.variational(inputSize: 8, hiddenSizes: [4], latent: 0)) == "the latent size 0 must lie in 1...16,777,216")
    #expect(problem(Architecture.variational(inputSize: 8, hiddenSizes: [4], latent: 3)) == "valid")
  }
}

@Suite struct TokenArchitectureTests {
  @Test func textPresetIsATokenModel() throws {
    let text = try #require(try Architecture.preset(named: "text", exampleShape: [64]))
    #expect(text.vocabulary == 256)
    #expect(text.description == "64 → embedding 256→32 → gru 256 sequences → 256 identity")
    #expect(throws: ArchitectureError.self) { try Architecture.preset(named: "text", exampleShape: [28, 28]) }
    #expect(try Architecture.preset(named: "dense", exampleShape: [64])?.vocabulary == nil)
  }

  @Test func tokenModelsMustBeCausalAndEndInLogits() {
    func error(_ spec: String) -> String {
      do {
        _ = try Architecture(spec: spec, exampleShape: [16])
        return "no error"
      } catch {
        return "\(error)"
      }
    }
    #expect(error("embedding 20 4, conv1d 8 3 same | dense 20").contains("would let a step see later tokens"))
    #expect(error("embedding 20 4, lstm 8 | repeat 16, dense 20").contains("would let a step see later tokens"))
    #expect(error("embedding 20 4, gru 8 sequences | dense 16").contains("end the decoder with dense 20"))
    #expect(error("embedding 20 4, gru 8 sequences | embedding 20 4, dense 20").contains("must be the model's first layer"))
    #expect(error("embedding 20 4, gru 8 sequences | dense 20") == "no error")
  }
}
