import Autodiff
import TensorCore

/// An encoder and a decoder: `decoder(encoder(x))` reconstructs `x` through a smaller code.
///
/// Each half is usable on its own: `encode` maps data to codes (for embeddings, plots, anomaly
/// scores) and `decode` maps codes to data (for generation). Parameters are named "encoder.…" and
/// "decoder.…".
///
/// A variational autoencoder (`architecture.latent` set) has a `GaussianLatent` head between the
/// halves, "latent.…": the encoder's features give the mean and log-variance of `q(z | x)`; training
/// decodes a sample `z = μ + σ ε` and adds the KL divergence of `q(z | x)` from `N(0, I)` to the
/// objective, and inference uses the mean.
public final class Autoencoder: Layer {
  /// Maps a batch of inputs to a batch of codes (for a variational model, to the features its
  /// latent head reads).
  public let encoder: Sequential
  /// A variational model's latent head, or nil.
  public let latent: GaussianLatent?
  /// A rate-trained codec's entropy bottleneck (the density its quantized code is coded under), or nil.
  public let bottleneck: FactorizedDensity?
  /// Maps a batch of codes to a batch of reconstructions.
  public let decoder: Sequential
  /// The architecture this model was built from.
  public let architecture: Architecture

  /// Creates an autoencoder with freshly initialized parameters.
  ///
  /// - Throws: `ArchitectureError` if a layer does not fit the shape it receives.
  public convenience init(_ architecture: Architecture, using generator: inout some RandomNumberGenerator) throws {
    let parts = try architecture.build(using: &generator)
    self.init(parts, architecture: architecture)
  }

  /// Creates an autoencoder holding `parameters`, keyed by dotted name (`encoder.0.weight`), as a
  /// model file stores them.
  ///
  /// - Throws: `ArchitectureError` if a layer does not fit, or a tensor is missing, extra or of
  ///   the wrong shape (checked against the architecture before any layer is built).
  public convenience init(_ architecture: Architecture, parameters: [String: Tensor]) throws {
    self.init(try architecture.build(parameters: parameters), architecture: architecture)
  }

  init(_ parts: Architecture.Parts, architecture: Architecture) {
    encoder = parts.encoder
    latent = parts.latent
    bottleneck = parts.bottleneck
    decoder = parts.decoder
    self.architecture = architecture
  }

  /// Whether this is a variational autoencoder.
  public var isVariational: Bool { latent != nil }

  /// The reconstruction `decoder(code(input))` (for a variational model, of the code's mean; for a
  /// codec, of the rounded code, as its files decode).
  public func callAsFunction(_ input: Variable) -> Variable { reconstruction(of: input, observing: nil) }

  /// `callAsFunction(_:)` without recording gradients, `body` seeing each encoder and decoder
  /// layer's output by its parameter prefix ("encoder.0", "decoder.2") and the layer.
  public func reconstruct(_ input: Tensor, observing body: (_ name: String, _ layer: any Layer, _ output: Tensor) -> Void) -> Tensor {
    withoutGradients { withoutActuallyEscaping(body) { reconstruction(of: Variable(input), observing: $0).value } }
  }

  /// The reconstruction of the code (rounded for a codec); with `body`, it sees each layer's output
  /// (the same bits as without).
  private func reconstruction(of input: Variable, observing body: ((_ name: String, _ layer: any Layer, _ output: Tensor) -> Void)?) -> Variable {
    let code = code(of: input, observing: body)
    let decoded = bottleneck == nil ? code : Variable(code.value.rounded())
    guard let body else { return decoder(decoded) }
    return decoder(decoded) { body("decoder.\($0)", decoder.layers[$0], $1.value) }
  }

  /// The code of a batch: the encoder's output, or a variational model's mean.
  func code(of input: Variable, observing body: ((_ name: String, _ layer: any Layer, _ output: Tensor) -> Void)? = nil) -> Variable {
    let features = body.map { body in encoder(encoderInput(input)) { body("encoder.\($0)", encoder.layers[$0], $1.value) } }
      ?? encoder(encoderInput(input))
    return latent.map { $0.mean(features) } ?? features
  }

  /// What the encoder reads: the input, or a token model's ids one step later with token 0 first,
  /// so that the output at step t sees tokens 0 ..< t alone (`Architecture.vocabulary`).
  func encoderInput(_ input: Variable) -> Variable {
    guard architecture.vocabulary != nil else { return input }
    let steps = input.shape.last ?? 0
    return Variable(Tensor(shape: input.shape) { out in
      input.value.withUnsafeBufferPointer { ids in
        for row in 0..<(ids.count / max(steps, 1)) {
          out[row * steps] = 0
          for step in 1..<max(steps, 1) { out[row * steps + step] = ids[row * steps + step - 1] }
        }
      }
    })
  }

  public var namedParameters: [(name: String, parameter: Variable)] {
    prefixed("encoder", encoder.namedParameters) + (latent.map { prefixed("latent", $0.namedParameters) } ?? [])
      + (bottleneck.map { prefixed("bottleneck", $0.namedParameters) } ?? []) + prefixed("decoder", decoder.namedParameters)
  }

  /// The codes of a batch of inputs (a variational model's means), without recording gradients.
  public func encode(_ input: Tensor) -> Tensor { withoutGradients { code(of: Variable(input)).value } }

  /// A variational model's mean and log-variance of `q(z | x)` for a batch of inputs, without
  /// recording gradients.
  public func encodeDistribution(_ input: Tensor) -> (mean: Tensor, logVariance: Tensor)? {
    guard let latent else { return nil }
    return withoutGradients {
      let (mean, logVariance) = latent(encoder(Variable(input)))
      return (mean.value, logVariance.value)
    }
  }

  /// The outputs for a batch of codes, without recording gradients.
  public func decode(_ codes: Tensor) -> Tensor { decoder.inferring(from: codes) }

  /// The reconstructions of a batch of inputs, without recording gradients.
  public func reconstruct(_ input: Tensor) -> Tensor { inferring(from: input) }

  public var description: String {
    "Autoencoder(encoder: \(encoder), \(latent.map { "latent: \($0), " } ?? "")\(bottleneck.map { "bottleneck: \($0), " } ?? "")decoder: \(decoder))"
  }
}

// MARK: - The objective

extension Autoencoder {
  /// The terms of the model's objective on a batch (or a shard of one: `context.batchSize` is the
  /// whole batch's size, so the terms are the shard's share): `reconstruction`, the loss of the
  /// outputs for `input` against `target`, reduced as `settings` say; and for a variational model
  /// `kl`, weighted by `settings.klWeight`, with the reconstruction of a sample `z = μ + σ ε`
  /// summed per image (the evidence lower bound's two terms, in nats per image for binary
  /// cross-entropy). Example `i`'s noise ε comes from stream `context.firstExample + i` of
  /// `context.samplingSeed`.
  ///
  /// A codec (an entropy bottleneck) has `reconstruction`, of the code plus uniform noise in
  /// training (example `i`'s from stream `context.firstExample + i` of `context.samplingSeed`) and
  /// of the rounded code otherwise, and `rate`, the code's bits under the bottleneck's density per
  /// pixel of the input, weighted by `settings.rateWeight` (λ in D + λ R).
  ///
  /// Regularizers add their terms: `sparsity`, a penalty on the code's activity (the encoder's
  /// output; a variational model's mean), and `weight_penalty`, on the kernels (each shard adds its
  /// fraction of the batch's one penalty).
  public func terms(input: Variable, target: Tensor, settings: ObjectiveSettings, context: BatchContext) -> [LossTerm] {
    let features = encoder(encoderInput(input))
    var terms: [LossTerm]
    let code: Variable
    if let latent {
      let (mean, logVariance) = latent(features)
      let noise = Tensor.randomNormal(rows: mean.shape[0], columns: latent.latentSize, seed: context.samplingSeed, firstRow: context.firstExample)
      let output = decoder(mean.reparameterized(logVariance: logVariance, noise: noise))
      terms = [
        LossTerm("reconstruction", settings.loss(predicted: output, expected: target, reduction: .sum, batchSize: context.batchSize)),
        LossTerm("kl", mean.klDivergenceFromStandardNormal(logVariance: logVariance, batchSize: context.batchSize), weight: settings.klWeight),
      ]
      code = mean
    } else if let bottleneck {
      let rows = features.shape[0], columns = features.value.count / max(rows, 1)
      let quantized = BatchContext.training == nil ? Variable(features.value.rounded())
        : features + Tensor.randomUniform(rows: rows, columns: columns, seed: context.samplingSeed, firstRow: context.firstExample)
          .reshaped(to: features.shape)
      let output = decoder(quantized)
      let pixels = architecture.displayShape.map { $0.height * $0.width } ?? architecture.inputSize
      terms = [
        LossTerm("reconstruction", settings.loss(predicted: output, expected: target, reduction: settings.reduction, batchSize: context.batchSize)),
        LossTerm("rate", bottleneck.bits(of: quantized) * (1 / Float(context.batchSize * pixels)), weight: settings.rateWeight),
      ]
      code = features
    } else {
      let output = decoder(features)
      context.observeReconstructions?(context, output.value, target)
      terms = [LossTerm("reconstruction", settings.loss(predicted: output, expected: target, reduction: settings.reduction,
                                                        batchSize: context.batchSize))]
      code = features
    }
    if let sparsity = settings.sparsity {
      terms.append(LossTerm(ActivityPenalty.termName, sparsity(code, batchSize: context.batchSize)))
    }
    if let penalty = settings.weightPenalty {
      terms.append(LossTerm(WeightPenalty.termName, penalty(self, share: Float(input.shape[0]) / Float(max(context.batchSize, 1)))))
    }
    return terms
  }
}

extension Autoencoder {
  /// Throws `NonFiniteOutputError` when `output`, the model's `what` ("reconstructions",
  /// "codes") of a batch of `source` starting at example `firstExample`, holds NaN or infinity.
  public func checkFinite(_ output: Tensor, what: String, firstExample: Int, source: String) throws {
    guard let index = output.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) else { return }
    let rows = max(output.shape.first ?? 1, 1)
    let example = firstExample + index / max(output.count / rows, 1)
    throw nonFinite("the model's \(what) of example \(example) of \(source) are NaN or infinite")
  }

  /// The error for a non-finite result, `subject` ("the loss on ... is NaN"), with a hint when
  /// the model's weights are large enough to overflow.
  public func nonFinite(_ subject: String) -> NonFiniteOutputError {
    let largest = namedParameters.map { ($0.name, $0.parameter.value.withUnsafeBufferPointer { $0.reduce(Float(0)) { max($0, abs($1)) } }) }
      .max { $0.1 < $1.1 }
    return NonFiniteOutputError(subject: subject, largestWeight: largest.flatMap { $0.1 > 1e6 ? (name: $0.0, magnitude: $0.1) : nil })
  }
}

/// A model whose outputs, or the loss of its outputs, are NaN or infinite.
public struct NonFiniteOutputError: Error, CustomStringConvertible {
  /// What is not finite, as a clause.
  public var subject: String
  /// The parameter of largest magnitude, when it is large enough to be the likely cause.
  public var largestWeight: (name: String, magnitude: Float)?

  public var description: String {
    subject + (largestWeight.map { "; its weights may be too large (the largest magnitude is \($0.magnitude) in \($0.name))" } ?? "")
  }
}

extension Float {
  /// `NaN`, `+infinity`, `-infinity`, or the number: for messages about values that went wrong.
  public var spelledOut: String { isNaN ? "NaN" : isInfinite ? (self > 0 ? "+infinity" : "-infinity") : "\(self)" }
}
