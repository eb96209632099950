import Foundation
import TensorCore

// Architectures from a line of text or a JSON file, so models are not limited to the presets.
//
//   conv 16 3 relu, pool 2, conv 8 3 relu, pool 2 | conv 8 3 relu, up 2, conv 1 3 sigmoid
//
// The encoder's layers, `|`, the decoder's layers; layers are separated by commas, and each is a
// kind followed by its settings in any order:
//
//   dense UNITS [ACTIVATION] [nobias]
//   conv FILTERS KERNEL [stride N] [same|valid] [ACTIVATION] [nobias]      (KERNEL: 3 or 3x3)
//   convt FILTERS KERNEL [stride N] [same|valid] [ACTIVATION] [nobias]     (transposed)
//   pool [SIZE] [stride N] [same|valid]                                    (max pooling; SIZE 2)
//   up [SIZE]                                                              (nearest; SIZE 2)
//   conv1d FILTERS KERNEL [stride N] [same|valid] [ACTIVATION] [nobias]    (over sequences [length, channels])
//   convt1d FILTERS KERNEL [stride N] [same|valid] [ACTIVATION] [nobias]   (transposed, over sequences)
//   pool1d [SIZE] [stride N] [same|valid]                                  (max pooling over steps; SIZE 2)
//   up1d [SIZE]                                                            (each step repeated; SIZE 2)
//   flatten
//   reshape HxWxC
//   dropout RATE    (inverted dropout in training, RATE in [0, 1); nothing at inference)
//   latent N        (the encoder's last: a variational autoencoder's Gaussian latent head of N dimensions)
//   bottleneck      (the encoder's last: a codec's entropy bottleneck; the code is quantized and costs bits)
//
// Convolutions default to `same` padding and pooling to `valid`; activations default to identity
// (Keras's "linear"). ACTIVATION is any name `Activation` parses (relu, sigmoid, tanh,
// leaky_relu:0.1, identity).

extension Architecture {
  /// The architecture a spec string describes, for examples of `exampleShape` (`[28, 28]`): its
  /// input is an image (`[28, 28, 1]`) when the first layer takes images, else flat (`[784]`).
  ///
  /// - Throws: `SpecError` naming the layer and the word it could not read; `ArchitectureError`
  ///   when a layer does not fit its input or the decoder's output does not match the input.
  public init(spec: String, exampleShape: [Int]) throws {
    let halves = spec.split(separator: "|", omittingEmptySubsequences: false)
    guard halves.count == 2 else {
      throw SpecError("the spec needs the encoder's layers, '|', and the decoder's layers, e.g. \"dense 64 relu | dense 784 sigmoid\"")
    }
    var encoderText = String(halves[0])
    var latent: Int?
    var bottleneck: Bottleneck?
    // A codec's entropy bottleneck closes the encoder: "..., conv 8 3, bottleneck | ...".
    if let comma = encoderText.lastIndex(of: ","),
       encoderText[comma...].drop(while: { $0 == "," }).trimmingCharacters(in: .whitespaces).lowercased() == "bottleneck" {
      bottleneck = Bottleneck()
      encoderText = String(encoderText[..<comma])
    }
    // A variational model's latent head closes the encoder: "..., dense 512 relu, latent 2 | ...".
    if let comma = encoderText.lastIndex(of: ",") ?? Optional(encoderText.startIndex) {
      let last = encoderText[comma...].drop { $0 == "," }.trimmingCharacters(in: .whitespaces).lowercased()
      if last.hasPrefix("latent") {
        let words = last.split(whereSeparator: \.isWhitespace)
        guard words.count == 2, words[0] == "latent", let size = Int(words[1]), size > 0 else {
          throw SpecError("encoder layer \"\(last)\": expected latent N, the latent size, e.g. latent 2")
        }
        latent = size
        encoderText = String(encoderText[..<comma])
      }
    }
    let encoder = try Self.layers(encoderText, half: "encoder")
    let decoder = try Self.layers(String(halves[1]), half: "decoder")
    let input = try Self.inputShape(for: exampleShape, startingWith: encoder.first { !$0.isDropout })
    self.init(inputShape: input, encoder: encoder, decoder: decoder, imageShape: exampleShape.count >= 2 ? exampleShape : nil, latent: latent,
              bottleneck: bottleneck)
    try validated()
  }

  /// The architecture a JSON configuration describes: an object with `encoder` and `decoder` lists
  /// of layer objects (the form model files store) and optionally `input_shape` (else inferred from
  /// `exampleShape` as for spec strings).
  ///
  /// - Throws: `SpecError` naming `source` when the JSON cannot be read; `ArchitectureError` when
  ///   the layers do not fit.
  public init(json: Data, source: String, exampleShape: [Int]) throws {
    struct File: Decodable {
      var input_shape: [Int]?
      var encoder: [LayerSpec]
      var decoder: [LayerSpec]
      var latent: Int?
      var bottleneck: Architecture.Bottleneck?
    }
    let file: File
    do {
      file = try JSONDecoder().decode(File.self, from: json)
    } catch let error as DecodingError {
      throw SpecError("\(source): not an architecture: \(Self.explain(error))")
    } catch {
      throw SpecError("\(source): not an architecture: \(error)")
    }
    let input = try file.input_shape ?? Self.inputShape(for: exampleShape, startingWith: file.encoder.first { !$0.isDropout })
    self.init(inputShape: input, encoder: file.encoder, decoder: file.decoder, imageShape: exampleShape.count >= 2 ? exampleShape : nil,
              latent: file.latent, bottleneck: file.bottleneck)
    try validated()
  }

  /// The layers of one half of a spec.
  static func layers(_ text: String, half: String) throws -> [LayerSpec] {
    let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    guard !(items.count == 1 && items[0].isEmpty) else { throw SpecError("the \(half) has no layers") }
    return try items.enumerated().map { index, item in
      do {
        return try LayerSpec.parsing(item)
      } catch let reason as SpecError {
        throw SpecError("\(half) layer \(index + 1) \"\(item)\": \(reason.description)")
      }
    }
  }

  /// One line for a JSON decoding error: where and what.
  private static func explain(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
      let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
      return keys.isEmpty ? "" : "at \(keys): "
    }
    switch error {
    case .keyNotFound(let key, let context): return "\(path(context))missing \"\(key.stringValue)\""
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
      return "\(path(context))\(context.debugDescription)"
    @unknown default: return "\(error)"
    }
  }
}

/// A spec string or architecture file that cannot be read.
public struct SpecError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
