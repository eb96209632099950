@testable import NN
import TensorCore
import Testing

@Suite struct LayerKindTests {
  @Test func settingsReadTheSharedGrammarInAnyOrder() throws {
    let settings = try LayerSettings(name: "conv", words: ["relu", "stride", "2", "16", "3x3", "valid", "nobias"])
    #expect(try settings.numbers(2...2, "conv FILTERS KERNEL") == [16, 3])
    #expect(settings.activation == .relu && settings.stride == 2 && settings.padding == .valid && !settings.useBias)
    #expect(try LayerSettings(name: "conv", words: ["stride=3"]).stride == 3)
  }

  @Test func settingsRefuseWhatAKindDoesNotTake() throws {
    #expect(throws: SpecError("expected conv FILTERS KERNEL")) {
      try LayerSettings(name: "conv", words: ["16"]).numbers(2...2, "conv FILTERS KERNEL")
    }
    #expect(throws: SpecError("0 must be positive")) { try LayerSettings(name: "dense", words: ["0"]).numbers(1...1, "dense UNITS") }
    #expect(throws: SpecError("kernel 3x5: only square kernels are supported")) {
      try LayerSettings(name: "conv", words: ["8", "3x5"]).numbers(2...2, "conv FILTERS KERNEL")
    }
    #expect(throws: SpecError("up takes no activation")) { try LayerSettings(name: "up", words: ["relu"]).refuse([.activation]) }
    #expect(throws: SpecError("stride needs a positive number, got \"\"")) { try LayerSettings(name: "conv", words: ["stride"]) }
    let unknown = try LayerSettings(name: "dense", words: ["64", "sideways"])
    #expect(unknown.otherWords == ["sideways"])
    #expect(throws: SpecError.self) { try unknown.numbers(1...1, "dense UNITS") }
  }

  @Test func kindsCompareByTypeAndSettings() {
    let dense = Dense.Kind(units: 4, activation: .relu)
    #expect(dense.isEqual(to: Dense.Kind(units: 4, activation: .relu)))
    #expect(!dense.isEqual(to: Dense.Kind(units: 5, activation: .relu)))
    #expect(!dense.isEqual(to: Dropout.Kind(rate: 0.5)))
  }

  @Test func defaultsDescribeALayerWithoutParameters() throws {
    let up = UpSampling2D.Kind(size: 2)
    #expect(up.parameterShapes(inputShape: [4, 4, 1]).isEmpty && up.multiplyAddsPerExample(inputShape: [4, 4, 1]) == 0)
    #expect(up.outputActivation == nil && !up.isDropout && up.takesImages)
    #expect(Dense.Kind(units: 3, activation: .tanh).parameterShapes(inputShape: [5]).map(\.shape) == [[5, 3], [3]])
    #expect(throws: LayerMisfit.self) { try Dense.Kind(units: 3, activation: .tanh).outputShape(for: [2, 2, 1]) }
  }
}
