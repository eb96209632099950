import Autodiff
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct ObjectiveTests {
  let x = randomTensor([6, 8], in: 0..<1, seed: 21)

  /// Checks each named parameter's `gradients` at `elements` against central differences of
  /// `objective` (steps of 0.01), within `atol + 3%`.
  func expectGradientsMatch(_ model: Autoencoder, _ gradients: Gradients, names: [String], elements: (Tensor) -> [Int], atol: Float,
                            objective: () -> Double, sourceLocation: SourceLocation = #_sourceLocation) {
    for name in names {
      let parameter = model.parameter(named: name)!
      let original = parameter.value
      for element in elements(original) {
        func value(_ delta: Float) -> Double {
          parameter.updateValue { $0 = original; $0.withUnsafeMutableBufferPointer { $0[element] += delta } }
          return objective()
        }
        let numeric = Float((value(1e-2) - value(-1e-2)) / 2e-2)
        parameter.updateValue { $0 = original }
        let analytic = gradients[name]!.scalars[element]
        #expect(abs(numeric - analytic) < atol + 0.03 * abs(numeric), "\(name)[\(element)]: \(analytic) vs \(numeric)", sourceLocation: sourceLocation)
      }
    }
  }

  func model(latent: Int?) throws -> Autoencoder {
    var generator = SplitMix64(seed: 5)
    let architecture = latent.map { Architecture.variational(inputSize: 8, hiddenSizes: [5], latent: $0) }
      ?? .dense(inputSize: 8, hiddenSizes: [3])
    return try Autoencoder(architecture, using: &generator)
  }

  @Test func aPlainAutoencodersObjectiveIsItsReconstructionLoss() throws {
    let model = try model(latent: nil)
    let terms = model.terms(input: Variable(x), target: x, settings: ObjectiveSettings(), context: BatchContext(batchSize: 6))
    #expect(terms.map(\.name) == ["reconstruction"] && terms[0].weight == 1)
    #expect(terms[0].value.value == binaryCrossEntropy(predicted: model(Variable(x)), expected: x).value)
  }

  @Test func aVariationalObjectiveIsTheNegativeELBOWithItsSampleFromTheSeed() throws {
    let model = try model(latent: 2)
    let settings = ObjectiveSettings(klWeight: 0.5)
    let terms = model.terms(input: Variable(x), target: x, settings: settings, context: BatchContext(batchSize: 6, seed: 9))
    #expect(terms.map(\.name) == ["reconstruction", "kl"] && terms.map(\.weight) == [1, 0.5])
    // By hand: z = μ + σ ε with example i's ε from stream i of seed 9, reconstruction summed per image.
    let (mean, logVariance) = model.encodeDistribution(x)!
    let noise = Tensor.randomNormal(rows: 6, columns: 2, seed: BatchContext(batchSize: 6, seed: 9).samplingSeed, firstRow: 0)
    let z = Variable(mean).reparameterized(logVariance: Variable(logVariance), noise: noise)
    let reconstruction = binaryCrossEntropy(predicted: model.decoder(z), expected: x, reduction: .sum).value.scalar
    #expect(abs(terms[0].value.value.scalar - reconstruction) < 1e-4)
    let kl = Variable(mean).klDivergenceFromStandardNormal(logVariance: Variable(logVariance), batchSize: 6).value.scalar
    #expect(abs(terms[1].value.value.scalar - kl) < 1e-6)
    // Another seed, another sample; the same seed, the same.
    let again = model.terms(input: Variable(x), target: x, settings: settings, context: BatchContext(batchSize: 6, seed: 9))
    let other = model.terms(input: Variable(x), target: x, settings: settings, context: BatchContext(batchSize: 6, seed: 10))
    #expect(again[0].value.value == terms[0].value.value && other[0].value.value != terms[0].value.value)
  }

  /// A small codec for 4×4 images: a 2×2×2 code, its entropy bottleneck, a sigmoid output.
  func codec(seed: UInt64) throws -> Autoencoder {
    var generator = SplitMix64(seed: seed)
    return try Autoencoder(try Architecture(spec: "conv 2 3 stride 2, bottleneck | convt 1 3 stride 2 sigmoid", exampleShape: [4, 4]), using: &generator)
  }

  @Test func aCodecsObjectiveIsDistortionPlusWeightedRateOfItsNoisyOrRoundedCode() throws {
    let image = randomTensor([3, 4, 4, 1], in: 0..<1, seed: 8)
    let model = try codec(seed: 5)
    let settings = ObjectiveSettings(loss: .meanSquaredError, rateWeight: 0.25)
    let context = BatchContext(batchSize: 3, seed: 4)
    let code = model.encoder(Variable(image)).value  // [3, 2, 2, 2]
    func expected(_ quantized: Tensor) -> (Float, Float) {
      let distortion = meanSquaredError(predicted: model.decoder(Variable(quantized)), expected: image).value.scalar
      let rate = model.bottleneck!.bits(of: Variable(quantized)).value.scalar / Float(3 * 16)  // bits per pixel of the 4×4 input
      return (distortion, rate)
    }
    // Outside training: the rounded code.
    let evaluated = model.terms(input: Variable(image), target: image, settings: settings, context: context)
    #expect(evaluated.map(\.name) == ["reconstruction", "rate"] && evaluated.map(\.weight) == [1, 0.25])
    let (distortion, rate) = expected(code.rounded())
    #expect(abs(evaluated[0].value.value.scalar - distortion) < 1e-6 && abs(evaluated[1].value.value.scalar - rate) < 1e-5)
    // In training: the code plus uniform noise on [−½, ½), example i's from stream i of the sampling seed.
    let noisy = code + Tensor.randomUniform(rows: 3, columns: 8, seed: context.samplingSeed, firstRow: 0).reshaped(to: code.shape)
    let trained = BatchContext.$training.withValue(context) {
      model.terms(input: Variable(image), target: image, settings: settings, context: context)
    }
    let (noisyDistortion, noisyRate) = expected(noisy)
    #expect(abs(trained[0].value.value.scalar - noisyDistortion) < 1e-6 && abs(trained[1].value.value.scalar - noisyRate) < 1e-5)
    #expect(trained[1].value.value.scalar != evaluated[1].value.value.scalar)
    // Inference decodes the rounded code, as the codec's files do.
    #expect(model.reconstruct(image).scalars == model.decoder(Variable(code.rounded())).value.scalars)
  }

  @Test func aCodecsObjectiveGradientsMatchFiniteDifferences() throws {
    // Through the whole model in training: the noisy code's distortion and its rate, weighted.
    let image = randomTensor([2, 4, 4, 1], in: 0..<1, seed: 9)
    let model = try codec(seed: 6)
    let settings = ObjectiveSettings(loss: .meanSquaredError, rateWeight: 0.5)
    let context = BatchContext(batchSize: 2, seed: 1)
    func terms(_ model: Autoencoder) -> [LossTerm] {
      BatchContext.$training.withValue(context) { model.terms(input: Variable(image), target: image, settings: settings, context: context) }
    }
    let (values, gradients) = termsWithGradient(at: model, shards: [0..<2]) { model, _ in terms(model) }
    func objective() -> Double {
      withoutGradients {
        let terms = terms(model)
        return Double(terms[0].value.value.scalar) + 0.5 * Double(terms[1].value.value.scalar)
      }
    }
    #expect(abs(objective() - Double(values.total)) < 1e-5)
    expectGradientsMatch(model, gradients, names: ["encoder.0.weight", "bottleneck.logits", "bottleneck.means", "bottleneck.log_scales", "decoder.0.weight"],
                         elements: { _ in [0, 3] }, atol: 2e-3, objective: objective)
  }

  @Test func shardsOfABatchDrawTheSameSamplesAsTheWhole() throws {
    let model = try model(latent: 2)
    let context = BatchContext(batchSize: 6, seed: 3)
    let whole = termsWithGradient(at: model, shards: [0..<6]) { model, rows in
      model.terms(input: Variable(x.rows(rows)), target: x.rows(rows), settings: ObjectiveSettings(), context: context)
    }
    let split = Parallel.withThreads(2) {
      termsWithGradient(at: model, shards: [0..<2, 2..<6]) { model, rows in
        model.terms(input: Variable(x.rows(rows)), target: x.rows(rows), settings: ObjectiveSettings(),
                    context: BatchContext(batchSize: 6, firstExample: rows.lowerBound, seed: 3))
      }
    }
    for (a, b) in zip(whole.terms.terms, split.terms.terms) { #expect(a.name == b.name && abs(a.value - b.value) < 1e-4 * abs(a.value)) }
    for (name, gradient) in whole.gradients.byName { expectClose(split.gradients[name]!, gradient, rtol: 1e-4, atol: 1e-6, "\(name)") }
  }

  @Test func theObjectivesGradientsMatchFiniteDifferences() throws {
    // Through the whole model: the sampled reconstruction and the KL term, weighted.
    let model = try model(latent: 2)
    let settings = ObjectiveSettings(klWeight: 0.7)
    let (terms, gradients) = termsWithGradient(at: model, shards: [0..<6]) { model, _ in
      model.terms(input: Variable(x), target: x, settings: settings, context: BatchContext(batchSize: 6, seed: 1))
    }
    func objective() -> Double {
      withoutGradients {
        let terms = model.terms(input: Variable(x), target: x, settings: settings, context: BatchContext(batchSize: 6, seed: 1))
        return Double(terms[0].value.value.scalar + 0.7 * terms[1].value.value.scalar)
      }
    }
    #expect(abs(objective() - Double(terms.total)) < 1e-4)
    expectGradientsMatch(model, gradients, names: ["latent.log_variance.weight", "encoder.0.weight", "decoder.1.bias"],
                         elements: { _ in [0, 3] }, atol: 2e-2, objective: objective)
  }

  @Test func aConvolutionalVAEsObjectiveGradientsMatchFiniteDifferences() throws {
    // keras-io's convolutional VAE on 8×8 images (tanh for relu): strided convolutions, the latent head between
    // dense layers, strided and unstrided transposed convolutions, a sigmoid output.
    var generator = SplitMix64(seed: 11)
    let model = try Autoencoder(.convolutionalVariational(height: 8, width: 8, activation: .tanh), using: &generator)  // smooth: no kinks for the differences to cross
    let x = randomTensor([3, 8, 8, 1], in: 0..<1, seed: 12)
    let settings = ObjectiveSettings()
    func objective() -> Double {
      withoutGradients {
        let terms = model.terms(input: Variable(x), target: x, settings: settings, context: BatchContext(batchSize: 3, seed: 2))
        return Double(terms[0].value.value.scalar) + Double(terms[1].value.value.scalar)
      }
    }
    let (_, gradients) = termsWithGradient(at: model, shards: [0..<3]) { model, _ in
      model.terms(input: Variable(x), target: x, settings: settings, context: BatchContext(batchSize: 3, seed: 2))
    }
    expectGradientsMatch(model, gradients, names: model.namedParameters.map(\.name), elements: { [0, $0.count / 2, $0.count - 1] },
                         atol: 5e-2, objective: objective)
  }
}
