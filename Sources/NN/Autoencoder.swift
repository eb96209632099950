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
