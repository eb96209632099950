import Foundation
import NN
import TensorCore
import Testing

@Suite struct ArchitectureSpecTests {
  @Test func theBlogModelAsASpecIsThePreset() throws {
    let spec = "conv 16 3 relu, pool 2 same, conv 8 3 relu, pool 2 same, conv 8 3x3 relu, pool 2 same"
      + " | conv 8 3 relu, up 2, conv 8 3 relu, up, conv 16 3 relu valid, up 2, conv 1 3 sigmoid"
    let architecture = try Architecture(spec: spec, exampleShape: [28, 28])
    #expect(architecture.inputShape == [28, 28, 1])
    #expect(architecture.encoder == Architecture.convolutional().encoder && architecture.decoder == Architecture.convolutional().decoder)
  }

  @Test func everyLayerKindAndSetting() throws {
    let architecture = try Architecture(
      spec: "flatten, dense 64 leaky_relu:0.1 nobias, reshape 4x4x4 | convt 4 3 stride 2 tanh valid, conv 1 2 stride=1 valid sigmoid, reshape 64",
      exampleShape: [8, 8])
    #expect(architecture.inputShape == [64])
    #expect(architecture.encoder == [.flatten, .dense(units: 64, activation: .leakyRelu(slope: 0.1), useBias: false), .reshape([4, 4, 4])])
    #expect(architecture.decoder == [
      .conv2DTranspose(filters: 4, kernelSize: 3, stride: 2, padding: .valid, activation: .tanh),
      .conv2D(filters: 1, kernelSize: 2, padding: .valid, activation: .sigmoid), .reshape([64]),
    ])
    #expect(try Architecture(spec: "dense 64 relu | dense 784 sigmoid", exampleShape: [28, 28]).inputShape == [784])
  }

  @Test func badSpecsNameTheLayerAndTheWord() {
    func message(_ spec: String) -> String {
      do {
        _ = try Architecture(spec: spec, exampleShape: [28, 28])
        return "no error"
      } catch {
        return "\(error)"
      }
    }
    #expect(message("conv 16 3 relu") .hasPrefix("the spec needs the encoder's layers, '|'"))
    #expect(message("conv 16 3 relu, pool 2 | conv 1 3 swish") .hasPrefix("decoder layer 1 \"conv 1 3 swish\": unknown word \"swish\""))
    #expect(message("conv 16 relu | conv 1 3") == "encoder layer 1 \"conv 16 relu\": expected conv FILTERS KERNEL, e.g. conv 16 3")
    #expect(message("conv 16 3 relu,, pool 2 | up 2") == "encoder layer 2 \"\": empty layer (two commas in a row?)")
    #expect(message("conv 16 3x2 | up 2") == "encoder layer 1 \"conv 16 3x2\": kernel 3x2: only square kernels are supported")
    #expect(message("pool 2 relu | up 2") == "encoder layer 1 \"pool 2 relu\": pool takes no activation")
    #expect(message("magic 3 | up 2").contains("unknown layer \"magic\""))
    #expect(message("conv 16 3 stride 0 | up 2").contains("stride needs a positive number"))
    #expect(message(" | up 2") == "the encoder has no layers")
    // Parsed, but the shapes do not work out: the architecture's own error.
    #expect(message("pool 3 | up 3").contains("layer encoder.0 MaxPool2D(3×3, valid) does not fit input shape [28, 28, 1]"))
  }

  @Test func jsonFilesInferTheInputShapeUnlessGiven() throws {
    let json = #"{"encoder": [{"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},"#
      + #" {"type": "max_pool2d", "pool_size": 2}], "decoder": [{"type": "up_sampling2d", "size": 2},"#
      + #" {"type": "conv2d", "filters": 1, "kernel_size": 3, "padding": "same", "activation": "sigmoid"}]}"#
    let architecture = try Architecture(json: Data(json.utf8), source: "a.json", exampleShape: [8, 8])
    #expect(architecture.inputShape == [8, 8, 1] && architecture.encoder.count == 2)
    #expect {
      try Architecture(json: Data(#"{"encoder": []}"#.utf8), source: "b.json", exampleShape: [8, 8])
    } throws: { "\($0)" == "b.json: not an architecture: missing \"decoder\"" }
    #expect {
      try Architecture(json: Data(#"{"encoder": [{"type": "conv"}], "decoder": []}"#.utf8), source: "c.json", exampleShape: [8, 8])
    } throws: { "\($0)".hasPrefix("c.json: not an architecture: at encoder.0.type: unknown layer type \"conv\"") }
  }

  @Test func dropoutLayersTakeARateAndAnyShapeAndRoundTripThroughJSON() throws {
    let architecture = try Architecture(spec: "dropout 0.2, conv 4 3 relu, pool 2, dropout 0.5 | up 2, conv 1 3 sigmoid", exampleShape: [8, 8])
    #expect(architecture.inputShape == [8, 8, 1] && architecture.hasDropout)
    #expect(architecture.encoder.first == .dropout(rate: 0.2) && architecture.encoder.last == .dropout(rate: 0.5))
    #expect(architecture.codeActivation == nil)
    let json = try JSONEncoder().encode(architecture)
    #expect(String(decoding: json, as: UTF8.self).contains(#"{"rate":0.2,"type":"dropout"}"#) || String(decoding: json, as: UTF8.self).contains(#""type":"dropout""#))
    #expect(try JSONDecoder().decode(Architecture.self, from: json) == architecture)
    #expect(try Architecture(spec: "dense 16 sigmoid, dropout 0.1 | dense 64 sigmoid", exampleShape: [8, 8]).codeActivation == .sigmoid)
    func message(_ spec: String) -> String {
      do { _ = try Architecture(spec: spec, exampleShape: [8, 8]); return "no error" } catch { return "\(error)" }
    }
    #expect(message("dropout 1 | dense 64") == "encoder layer 1 \"dropout 1\": expected dropout RATE, a fraction in [0, 1), e.g. dropout 0.2")
    #expect(message("dense 8, dropout | dense 64").contains("expected dropout RATE"))
    #expect(message("dense 8, dropout -0.1 | dense 64").contains("expected dropout RATE"))
    #expect {
      try Architecture(json: Data(#"{"encoder": [{"type": "dropout", "rate": 1.5}], "decoder": [{"type": "dense", "units": 64}]}"#.utf8),
                       source: "d.json", exampleShape: [8, 8])
    } throws: { "\($0)".contains("d.json") && "\($0)".contains("must lie in [0, 1), got 1.5") }
  }

  @Test func sizesNearIntMaxInSpecsAreMisfitsNotTraps() {
    for (spec, fragment) in [
      ("up 4611686018427387904 | conv 1 3 sigmoid", "upsampling size 4611686018427387904 exceeds the limit of 16,777,216"),
      ("reshape 4294967296x4294967296 | dense 784 sigmoid", "target size 4294967296 exceeds the limit"),
      ("dense 2147483648 | dense 784 sigmoid", "units 2147483648 exceeds the limit"),
      ("conv 4 9223372036854775807 | conv 1 3 sigmoid", "kernel size 9223372036854775807 exceeds the limit"),
      ("conv 4 3 stride 9223372036854775807 | conv 1 3 sigmoid", "stride 9223372036854775807 exceeds the limit"),
      ("pool 9223372036854775807 | up 2", "pool size 9223372036854775807 exceeds the limit"),
    ] {
      #expect {
        try Architecture(spec: spec, exampleShape: [28, 28])
      } throws: { error in
        "\(error)".contains(fragment)
      }
    }
  }

  @Test func latentNClosesTheEncoderOfAVariationalSpec() throws {
    let architecture = try Architecture(spec: "dense 512 relu, latent 2 | dense 512 relu, dense 784 sigmoid", exampleShape: [28, 28])
    #expect(architecture.latent == 2 && architecture.encoder.count == 1)
    #expect(architecture.description == "784 → 512 relu → latent 2 → 512 relu → 784 sigmoid")
    #expect(try Architecture(spec: "conv 4 3 relu, flatten, latent 3 | dense 64 sigmoid, reshape 8x8x1", exampleShape: [8, 8]).latent == 3)
    for (spec, fragment) in [("latent 2, dense 8 | dense 784", "latent N must be the encoder's last layer"),
                             ("dense 8, latent | dense 784", "expected latent N"),
                             ("dense 8 | latent 2, dense 784", "latent N must be the encoder's last layer")] {
      #expect {
        try Architecture(spec: spec, exampleShape: [28, 28])
      } throws: { error in
        "\(error)".contains(fragment)
      }
    }
    let json = Data(#"{"encoder": [{"type": "dense", "units": 8}], "latent": 2, "decoder": [{"type": "dense", "units": 64}]}"#.utf8)
    #expect(try Architecture(json: json, source: "test", exampleShape: [8, 8]).latent == 2)
  }

  @Test func bottleneckClosesACodecsEncoder() throws {
    let architecture = try Architecture(spec: "conv 8 3 stride 2 relu, conv 4 3, bottleneck | convt 1 3 stride 2 sigmoid", exampleShape: [8, 8])
    #expect(architecture.bottleneck == Architecture.Bottleneck(components: 3) && architecture.latent == nil)
    #expect(architecture.description == "8x8x1 → conv 8 3×3 /2 relu → conv 4 3×3 identity → bottleneck → convT 1 3×3 ×2 sigmoid")
    #expect(try architecture.parameterShapes().filter { $0.name.hasPrefix("bottleneck") }.map(\.shape) == [[4, 3], [4, 3], [4, 3]])
    // The JSON form keeps it; plain models' JSON has no such key.
    let json = try JSONEncoder().encode(architecture)
    #expect(try JSONDecoder().decode(Architecture.self, from: json) == architecture)
    #expect(String(decoding: json, as: UTF8.self).contains("\"bottleneck\":{\"components\":3}"))
    #expect(!String(decoding: try JSONEncoder().encode(Architecture.dense(hiddenSizes: [64])), as: UTF8.self).contains("bottleneck"))
    #expect(throws: ArchitectureError.self) { try Architecture(spec: "dense 4, latent 2, bottleneck | dense 64 sigmoid", exampleShape: [8, 8]) }
    // The preset: a 7×7×16 code for 28×28 images.
    let codec = try #require(try Architecture.preset(named: "codec", exampleShape: [28, 28]))
    #expect(try codec.codeShape() == [7, 7, 16] && codec.bottleneck != nil)
    // GDN after each analysis convolution, IGDN after each synthesis one but the last (Ballé et al.'s).
    #expect(codec.encoder.map(\.kind.shortDescription) == ["conv 32 5×5 /2 identity", "gdn", "conv 32 5×5 /2 identity", "gdn", "conv 16 3×3 identity"])
    #expect(codec.decoder.map(\.kind.shortDescription) == ["convT 32 3×3 identity", "igdn", "convT 32 5×5 ×2 identity", "igdn", "convT 1 5×5 ×2 sigmoid"])
    #expect(Architecture.codec(activation: .relu).encoder.count == 3)
    #expect(throws: ArchitectureError.self) { try Architecture.preset(named: "codec", exampleShape: [30, 30]) }
  }
}
