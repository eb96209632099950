import Autodiff
import TensorCore

/// An encoder and a decoder: `decoder(encoder(x))` reconstructs `x` through a smaller code.
///
/// Each half is usable on its own: `encode` maps data to codes (for embeddings, plots, anomaly
/// scores) and `decode` maps codes to data (for generation). Parameters are named "encoder.…" and
/// "decoder.…".
public final class Autoencoder: Layer {
  /// Maps a batch of inputs to a batch of codes.
  public let encoder: Sequential
  /// Maps a batch of codes to a batch of reconstructions.
  public let decoder: Sequential
  /// The architecture this model was built from.
  public let architecture: Architecture

  /// Creates an autoencoder with freshly initialized parameters.
  ///
  /// - Throws: `ArchitectureError` if a layer does not fit the shape it receives.
  public convenience init(_ architecture: Architecture, using generator: inout some RandomNumberGenerator) throws {
    let (encoder, decoder) = try architecture.build(using: &generator)
    self.init(encoder: encoder, decoder: decoder, architecture: architecture)
  }

  /// Creates an autoencoder holding `parameters`, keyed by dotted name (`encoder.0.weight`), as a
  /// model file stores them.
  ///
  /// - Throws: `ArchitectureError` if a layer does not fit, or a tensor is missing, extra or of
  ///   the wrong shape (checked against the architecture before any layer is built).
  public convenience init(_ architecture: Architecture, parameters: [String: Tensor]) throws {
    let (encoder, decoder) = try architecture.build(parameters: parameters)
    self.init(encoder: encoder, decoder: decoder, architecture: architecture)
  }

  init(encoder: Sequential, decoder: Sequential, architecture: Architecture) {
    self.encoder = encoder
    self.decoder = decoder
    self.architecture = architecture
  }

  /// The reconstruction `decoder(encoder(input))`.
  public func callAsFunction(_ input: Variable) -> Variable { decoder(encoder(input)) }

  public var namedParameters: [(name: String, parameter: Variable)] {
    prefixed("encoder", encoder.namedParameters) + prefixed("decoder", decoder.namedParameters)
  }

  /// The codes of a batch of inputs, without recording gradients.
  public func encode(_ input: Tensor) -> Tensor { encoder.inferring(from: input) }

  /// The outputs for a batch of codes, without recording gradients.
  public func decode(_ codes: Tensor) -> Tensor { decoder.inferring(from: codes) }

  /// The reconstructions of a batch of inputs, without recording gradients.
  public func reconstruct(_ input: Tensor) -> Tensor { inferring(from: input) }

  public var description: String { "Autoencoder(encoder: \(encoder), decoder: \(decoder))" }
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
