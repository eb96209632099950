import Datasets
import EntropyCoding
import ModelFiles
import NN
import TensorCore
import Training

/// Images to `.aec` files and back through a trained autoencoder: the encoder's codes,
/// quantized (`CodeQuantizer`), coded with rANS under one probability table per code channel,
/// and decoded by the decoder. A rate-trained codec (an entropy bottleneck) rounds its code and
/// codes it under the tables its model file holds; any other model's codes are quantized as asked
/// and coded under tables fitted to the codes being compressed, stored in the file.
///
/// Entropy coding uses integers only, so the symbols decoded are the symbols coded on any CPU,
/// thread count or SIMD level; only the decoder network's float arithmetic remains.
public struct ImageCodec {
  public let model: Autoencoder
  /// The model file's name, written into files and named in errors.
  public let modelName: String
  /// A codec's probability tables (its model file's), or nil.
  public let tables: [SymbolTable]?

  public init(model: Autoencoder, modelName: String, tables: [SymbolTable]? = nil) {
    self.model = model
    self.modelName = modelName
    self.tables = tables ?? model.bottleneck?.symbolTables()
  }

  /// The codec of a model file: its model, and a codec's tables.
  public init(file: ModelFile, name: String) {
    self.init(model: file.model, modelName: name, tables: file.entropyTables)
  }

  /// Whether the model is a rate-trained codec, whose code is rounded and coded under its own tables.
  public var isRateTrained: Bool { model.bottleneck != nil }

  /// The channels of the model's code: the last dimension of a convolutional code, every value
  /// of a flat one.
  var codeChannels: Int {
    get throws { try model.architecture.codeShape().last! }
  }

  /// `images` (as the model takes them, pixels in [0, 1]) compressed.
  ///
  /// - Parameter names: The images' file names, stored so `decompress` writes them back.
  /// - Throws: `DataError` when the images do not fit the model; `CodecError` when they are not
  ///   images or a code is not finite.
  public func compress(_ images: ImageSet, quantization: CodeQuantizer.Rule, names: [String]? = nil) throws -> CompressedFile {
    let shape = images.exampleShape
    guard shape.count == 2 || (shape.count == 3 && [1, 3].contains(shape[2])) else {
      throw CodecError.notImages(source: images.source, shape: shape)
    }
    guard images.scaling == nil else { throw CodecError.notImages(source: images.source, shape: shape) }
    try model.architecture.check(exampleShape: shape, source: images.source)
    let codeShape = try model.architecture.codeShape()
    let channels = try codeChannels
    let codes = try model.encode(images).scalars
    let quantization = isRateTrained ? .step(1) : quantization
    let quantizer = CodeQuantizer(quantization, codes: codes, channels: channels)
    let symbols: [Int32]
    switch quantizer.symbols(codes) {
    case .success(let values): symbols = values
    case .failure(let problem): throw CodecError.nonFiniteCode(source: images.source, example: problem.index / max(codes.count / max(images.count, 1), 1))
    }
    var channelSymbols = [Int32](repeating: 0, count: symbols.count / channels)
    let fitted: [SymbolTable] = isRateTrained ? [] : (0..<channels).map { channel in
      for row in channelSymbols.indices { channelSymbols[row] = symbols[row * channels + channel] }
      return SymbolTable(fitting: channelSymbols)
    }
    let tables = isRateTrained ? self.tables! : fitted
    var encoder = RANSEncoder()
    for (index, symbol) in symbols.enumerated() { encoder.encode(symbol, with: tables[index % channels]) }
    let header = CompressedFile.Header(model: modelName, fingerprint: model.fingerprint, count: images.count,
                                       imageShape: shape.count == 2 ? shape + [1] : shape, names: names, codeShape: codeShape,
                                       quantization: isRateTrained ? "rounded (a rate-trained codec)" : quantization.description,
                                       tables: isRateTrained ? "model" : nil)
    return CompressedFile(header: header, quantizer: quantizer, tables: fitted, payload: encoder.finish())
  }

  /// The code symbols of `file`, image by image.
  ///
  /// - Throws: `CodecError` when another model made the file or its payload is corrupt.
  public func symbols(of file: CompressedFile, path: String) throws -> [Int32] {
    guard file.header.fingerprint == model.fingerprint else {
      throw CodecError.otherModel(path: path, made: file.header.model, fingerprint: file.header.fingerprint, given: modelName,
                                  givenFingerprint: model.fingerprint)
    }
    let codeShape = try model.architecture.codeShape()
    guard file.header.codeShape == codeShape, file.quantizer.channels == (try codeChannels) else {
      throw CodecError.corrupt(path: path, problem: "codes of shape \(file.header.codeShape) for a model whose codes are \(codeShape)")
    }
    let imageShape = file.header.imageShape
    try model.architecture.check(exampleShape: imageShape[2] == 1 ? Array(imageShape.prefix(2)) : imageShape, source: path)
    let count = file.header.count * codeShape.reduce(1, *)
    var symbols = [Int32](repeating: 0, count: count)
    let tables = file.header.tablesInModel ? self.tables ?? [] : file.tables
    guard tables.count == file.quantizer.channels else {
      throw CodecError.corrupt(path: path, problem: "coded under the model's own tables, but \(modelName) has none")
    }
    do {
      var decoder = try RANSDecoder(file.payload)
      let channels = tables.count
      for index in 0..<count { symbols[index] = try decoder.decode(with: tables[index % channels]) }
      try decoder.finish()
    } catch {
      throw CodecError.corrupt(path: path, problem: "\(error)")
    }
    return symbols
  }

  /// The images of `file` (read from `path`), `[count, height, width, channels]`, in [0, 1].
  public func decompress(_ file: CompressedFile, path: String) throws -> Tensor {
    let symbols = try symbols(of: file, path: path)
    let codes = Tensor(shape: [file.header.count] + file.header.codeShape, scalars: file.quantizer.values(symbols))
    let images = try model.decode(codes: codes)
    return Tensor(shape: [file.header.count] + file.header.imageShape, scalars: images.scalars)
  }
}

/// Images a codec cannot take, or a file it cannot decode.
public enum CodecError: Error, Equatable, CustomStringConvertible {
  case notImages(source: String, shape: [Int])
  case nonFiniteCode(source: String, example: Int)
  case otherModel(path: String, made: String, fingerprint: String, given: String, givenFingerprint: String)
  case corrupt(path: String, problem: String)

  public var description: String {
    switch self {
    case .notImages(let source, let shape):
      "\(source): examples of shape \(shape) are not images (height × width, 1 or 3 channels, pixels 0 to 1); compression takes PNG or IDX images"
    case .nonFiniteCode(let source, let example): "\(source): the code of example \(example) is NaN or infinite"
    case .otherModel(let path, let made, let fingerprint, let given, let givenFingerprint):
      "\(path): made by the model \(made) (fingerprint \(fingerprint)), not by \(given) (fingerprint \(givenFingerprint)); decompress it with that model"
    case .corrupt(let path, let problem): "\(path): \(problem)"
    }
  }
}
