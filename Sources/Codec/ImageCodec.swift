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
  /// A codec's probability tables as its model file holds them, or nil. A codec whose file has
  /// none (written before they were stored) computes them from its density and stores them in
  /// each file it writes instead, so no decoder ever recomputes them.
  public let tables: [SymbolTable]?
  /// A codec's tables per code cell and neighbourhood (`ContextTables`), or nil: where they apply
  /// to a code's shape they code it in place of `tables`. Part of the fingerprint.
  public let contextTables: ContextTables?
  /// Whether the files it writes leave out the model file's name and the images' file names (the
  /// fingerprint still ties a file to its model): 30-odd bytes less per file, which is a third of
  /// a small image's file. Images of several sizes need their names, so they keep them.
  public var stripsNames = false
  /// `model.fingerprint`, hashed once (every parameter's bits) for the files it writes and checks.
  let fingerprint: String

  public init(model: Autoencoder, modelName: String, tables: [SymbolTable]? = nil, contextTables: ContextTables? = nil) {
    self.model = model
    self.modelName = modelName
    self.tables = model.bottleneck == nil ? nil : tables
    self.contextTables = model.bottleneck == nil || tables == nil ? nil : contextTables
    fingerprint = model.fingerprint(contextTables: self.contextTables)
  }

  /// The codec of a model file: its model, and a codec's tables.
  public init(file: ModelFile, name: String) {
    self.init(model: file.model, modelName: name, tables: file.entropyTables, contextTables: file.contextTables)
  }

  /// Context tables (`ContextTables`) counted from the rounded codes of `images` (of one size,
  /// as the model takes them): per code cell where `perCell` and the code has at most
  /// `ContextTables.maximumCells` cells, so they code images of that size; else for any size;
  /// `sets` sets of them, whose tables `neighbourhood` picks, smoothed by `priorWeight`.
  ///
  /// - Throws: `CodecError.notRateTrained` for a model without an entropy bottleneck; as
  ///   `compress` for images the model cannot take.
  public func fittedContextTables(_ images: ImageSet, perCell: Bool = true, sets: Int = ContextTables.defaultSets,
                                  neighbourhood: Neighbourhood = ContextTables.defaultNeighbourhood,
                                  priorWeight: Int = ContextTables.defaultPriorWeight) throws -> ContextTables {
    guard isRateTrained else { throw CodecError.notRateTrained(model: modelName) }
    let (set, model, _) = try prepared(images)
    let codeShape = try model.architecture.codeShape()
    let codes = try model.encode(set).scalars
    let symbols = try Self.symbols(of: codes, under: CodeQuantizer(.rounded, codes: codes, channels: codeShape.last!), images: images)
    return ContextTables(fitting: symbols, codeShape: codeShape, perCell: perCell, sets: sets, neighbourhood: neighbourhood, priorWeight: priorWeight)
  }

  /// The symbols of `images`' codes under `quantizer`.
  ///
  /// - Throws: `CodecError.nonFiniteCode` naming the first image whose code is not finite.
  private static func symbols(of codes: [Float], under quantizer: CodeQuantizer, images: ImageSet) throws -> [Int32] {
    switch quantizer.symbols(codes) {
    case .success(let symbols): return symbols
    case .failure(let problem): throw CodecError.nonFiniteCode(source: images.source, example: problem.index / max(codes.count / max(images.count, 1), 1))
    }
  }

  /// Whether the model is a rate-trained codec, whose code is rounded and coded under its own tables.
  public var isRateTrained: Bool { model.bottleneck != nil }

  /// The model that runs `height`×`width` images: the model itself at its own size; a fully
  /// convolutional one rebuilt for another size with the same parameters (its strides must divide
  /// the size: `paddedSize`).
  ///
  /// - Throws: `ArchitectureError` when the layers do not fit that size.
  func model(forHeight height: Int, width: Int) throws -> Autoencoder {
    guard let architecture = try architecture(forHeight: height, width: width) else { return model }
    let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.value) })
    return try Autoencoder(architecture, parameters: parameters)
  }

  /// The architecture of `model(forHeight:width:)`, without its parameters; nil where that is the
  /// model itself.
  ///
  /// - Throws: `ArchitectureError` when the layers do not fit that size.
  private func architecture(forHeight height: Int, width: Int) throws -> Architecture? {
    let architecture = model.architecture
    guard architecture.isFullyConvolutional, [height, width] != Array(architecture.inputShape.prefix(2)) else { return nil }
    return try architecture.forImages(height: height, width: width)
  }

  /// `height`×`width` rounded up to what a fully convolutional model's strides divide (its input
  /// side over its code's side, 4 for the codec preset); unchanged for other models.
  func paddedSize(height: Int, width: Int) throws -> (height: Int, width: Int) {
    let architecture = model.architecture
    guard architecture.isFullyConvolutional else { return (height, width) }
    let code = try architecture.codeShape()
    func factor(_ side: Int, _ codeSide: Int) -> Int { side % codeSide == 0 && side >= codeSide ? side / codeSide : 1 }
    let (fy, fx) = (factor(architecture.inputShape[0], code[0]), factor(architecture.inputShape[1], code[1]))
    return ((height + fy - 1) / fy * fy, (width + fx - 1) / fx * fx)
  }

  /// `images` (as the model takes them, pixels in [0, 1]) compressed. A fully convolutional model
  /// takes images of any size its strides divide; others it pads by repeating their edges (the
  /// file records the padded size, and decoding crops it away).
  ///
  /// - Parameter names: The images' file names, stored so `decompress` writes them back.
  /// - Throws: `DataError` when the images do not fit the model; `CodecError` when they are not
  ///   images or a code is not finite.
  public func compress(_ images: ImageSet, quantization: CodeQuantizer.Rule, names: [String]? = nil) throws -> CompressedFile {
    try compress(images, quantization: quantization, keeping: stripsNames ? nil : names)
  }

  /// `compress(_:quantization:names:)` recording `names` whether or not it strips names.
  private func compress(_ images: ImageSet, quantization: CodeQuantizer.Rule, keeping names: [String]?) throws -> CompressedFile {
    let imageShape = images.exampleShape.count == 2 ? images.exampleShape + [1] : images.exampleShape
    let (set, model, paddedShape) = try prepared(images)
    let codeShape = try model.architecture.codeShape()
    let channels = codeShape.last!
    let codes = try model.encode(set).scalars
    let quantization = isRateTrained ? .rounded : quantization
    let quantizer = CodeQuantizer(quantization, codes: codes, channels: channels)
    let symbols = try Self.symbols(of: codes, under: quantizer, images: images)
    var channelSymbols = [Int32](repeating: 0, count: symbols.count / channels)
    let inModel = isRateTrained && self.tables != nil
    let inFile: [SymbolTable] = inModel ? [] : isRateTrained ? model.bottleneck!.symbolTables() : (0..<channels).map { channel in
      for row in channelSymbols.indices { channelSymbols[row] = symbols[row * channels + channel] }
      return SymbolTable(fitting: channelSymbols)
    }
    let tables = inModel ? self.tables! : inFile
    var encoder = RANSEncoder()
    if let contextTables = contextTables(coding: codeShape, tablesInModel: inModel) {
      contextTables.encode(symbols, codeShape: codeShape, into: &encoder)
    } else {
      for (index, symbol) in symbols.enumerated() { encoder.encode(symbol, with: tables[index % channels]) }
    }
    var header = CompressedFile.Header(model: stripsNames ? "" : modelName, fingerprint: fingerprint, count: images.count,
                                       imageShape: imageShape, names: names, codeShape: codeShape, rule: quantization, tablesInModel: inModel, paddedShape: paddedShape)
    header.compact = stripsNames && header.canBeCompact  // what the model fixes left out of the file
    header.sizeFromModel = header.compact && imageShape == ownImageShape
    header.fingerprintInCoder = header.sizeFromModel && images.count == 1
    let carried = header.fingerprintInCoder ? CompressedFile.coderFingerprint(fingerprint) : 0
    return CompressedFile(header: header, quantizer: quantizer, tables: inFile, payload: encoder.finish(carrying: carried))
  }

  /// The context tables that code codes of `codeShape` under the model's tables: the codec's, where
  /// they apply to that shape; else nil (one table per channel).
  func contextTables(coding codeShape: [Int], tablesInModel: Bool) -> ContextTables? {
    guard tablesInModel, let contextTables, contextTables.applies(to: codeShape) else { return nil }
    return contextTables
  }

  /// `images` as the model takes them (padded where its strides need it), the model at their
  /// size, and the padded `[height, width]` (nil when unpadded).
  ///
  /// - Throws: `CodecError.notImages`, `DataError` when the model cannot take the images.
  private func prepared(_ images: ImageSet) throws -> (set: ImageSet, model: Autoencoder, paddedShape: [Int]?) {
    let shape = images.exampleShape
    guard shape.count == 2 || (shape.count == 3 && [1, 3].contains(shape[2])) else {
      throw CodecError.notImages(source: images.source, shape: shape)
    }
    guard images.scaling == nil else { throw CodecError.notImages(source: images.source, shape: shape) }
    let imageShape = shape.count == 2 ? shape + [1] : shape
    var set = images, model = self.model, paddedShape: [Int]?
    if self.model.architecture.isFullyConvolutional, imageShape[2] == self.model.architecture.inputShape[2] {
      let padded = try paddedSize(height: imageShape[0], width: imageShape[1])
      do {
        model = try self.model(forHeight: padded.height, width: padded.width)
      } catch {
        throw DataError.shapeMismatch(source: images.source, examples: shape, model: self.model.architecture.inputShape)
      }
      if padded != (imageShape[0], imageShape[1]) {
        set = Self.padded(images, height: padded.height, width: padded.width)
        paddedShape = [padded.height, padded.width]
      }
    }
    try model.architecture.check(exampleShape: set.exampleShape, source: images.source)
    return (set, model, paddedShape)
  }

  /// Images of several sizes compressed: one section per group (images of one size, and their
  /// file names, which a file of several sizes needs to write each image back); one group gives
  /// a plain version-1 file. Each section's tables are fitted to its own codes (a rate-trained
  /// codec's are its model's).
  ///
  /// - Throws: as `compress(_:quantization:names:)`, and `CodecError.notImages` for groups of
  ///   several sizes without names, or a name in two groups.
  public func compress(_ groups: [(images: ImageSet, names: [String]?)], quantization: CodeQuantizer.Rule) throws -> CompressedImages {
    precondition(!groups.isEmpty, "no images")
    // A file of several sizes writes each image back by its name, stripped or not.
    let file = CompressedImages(sections: try groups.map {
      try compress($0.images, quantization: quantization, keeping: groups.count > 1 || !stripsNames ? $0.names : nil)
    })
    if let problem = file.problem {
      throw CodecError.severalSizes(source: groups[0].images.source, problem: problem)
    }
    return file
  }

  /// `images` grown to `height`×`width` by repeating their last row and column.
  static func padded(_ images: ImageSet, height: Int, width: Int) -> ImageSet {
    let shape = images.exampleShape
    let (h, w, c) = (shape[0], shape[1], shape.count == 3 ? shape[2] : 1)
    var values = [Float](repeating: 0, count: images.count * height * width * c)
    for index in 0..<images.count {
      let image = images.example(index)
      for y in 0..<height {
        for x in 0..<width {
          for channel in 0..<c {
            values[((index * height + y) * width + x) * c + channel] = image[(min(y, h - 1) * w + min(x, w - 1)) * c + channel]
          }
        }
      }
    }
    return ImageSet(storage: .floats(values), exampleShape: c == 1 ? [height, width] : [height, width, c], source: images.source)
  }

  /// `file` with what a compact file leaves to the model filled in: its code shape and channels,
  /// and the padded size its strides need (as `compress` computed them); other files as they are.
  ///
  /// - Throws: `CodecError` when another model made the file, or the model cannot take its images.
  public func completed(_ file: CompressedFile, path: String) throws -> CompressedFile {
    guard file.header.compact, file.header.codeShape.isEmpty else { return file }
    try checkFingerprint(of: file, path: path)
    var completed = file
    if completed.header.sizeFromModel {
      guard let own = ownImageShape else {
        throw CodecError.corrupt(path: path, problem: "the file leaves its image size to the model, but \(modelName) takes no images of one size")
      }
      completed.header.imageShape = own
    }
    let (height, width) = (completed.header.imageShape[0], completed.header.imageShape[1])
    do {
      let padded = try paddedSize(height: height, width: width)
      // The code's shape at that size, from the architecture alone (`model(for:)` builds the model next).
      completed.header.codeShape = try (try architecture(forHeight: padded.height, width: padded.width) ?? model.architecture).codeShape()
      completed.header.paddedShape = padded == (height, width) ? nil : [padded.height, padded.width]
    } catch {
      throw CodecError.corrupt(path: path, problem: "images of \(completed.header.imageShape) that the model cannot have made (\(error))")
    }
    if let problem = completed.header.problem { throw CodecError.corrupt(path: path, problem: "corrupt header: \(problem)") }
    let channels = completed.header.codeShape.last!
    completed.quantizer = CodeQuantizer(origins: Array(repeating: 0, count: channels), steps: Array(repeating: 1, count: channels))
    return completed
  }

  /// The model's own image shape, `[height, width, channels]`, or nil for a model of other inputs.
  var ownImageShape: [Int]? {
    let shape = model.architecture.imageShape ?? model.architecture.inputShape
    let image = shape.count == 2 ? shape + [1] : shape
    return image.count == 3 && image[0] * image[1] * image[2] == model.architecture.inputSize ? image : nil
  }

  /// - Throws: `CodecError.otherModel` unless this codec's model made `file`.
  private func checkFingerprint(of file: CompressedFile, path: String) throws {
    guard file.isMade(byFingerprint: fingerprint) else {
      throw CodecError.otherModel(path: path, made: file.header.model, fingerprint: file.header.fingerprint, given: modelName,
                                  givenFingerprint: file.header.fingerprint.count == 8 ? CompressedFile.shortFingerprint(fingerprint) : fingerprint)
    }
  }

  /// The model that decodes `file` (completed): checked to be the one that made it, at the file's size.
  func model(for file: CompressedFile, path: String) throws -> Autoencoder {
    try checkFingerprint(of: file, path: path)
    let size = file.header.paddedShape ?? Array(file.header.imageShape.prefix(2))
    let model: Autoencoder
    do {
      model = try self.model(forHeight: size[0], width: size[1])
      let imageShape = [size[0], size[1], file.header.imageShape[2]]
      try model.architecture.check(exampleShape: imageShape[2] == 1 ? Array(imageShape.prefix(2)) : imageShape, source: path)
    } catch {
      throw CodecError.corrupt(path: path, problem: "images of \(file.header.imageShape) that the model cannot have made (\(error))")
    }
    let codeShape = try model.architecture.codeShape()
    guard file.header.codeShape == codeShape, file.quantizer.channels == codeShape.last! else {
      throw CodecError.corrupt(path: path, problem: "codes of shape \(file.header.codeShape) for a model whose codes are \(codeShape)")
    }
    return model
  }

  /// The code symbols of `file`, image by image.
  ///
  /// - Throws: `CodecError` when another model made the file or its payload is corrupt.
  public func symbols(of file: CompressedFile, path: String) throws -> [Int32] {
    let file = try completed(file, path: path)
    _ = try model(for: file, path: path)
    return try decodedSymbols(of: file, path: path)
  }

  /// The payload's symbols, under the file's tables or the model's (the model already checked).
  private func decodedSymbols(of file: CompressedFile, path: String) throws -> [Int32] {
    let count = file.header.count * file.header.codeShape.reduce(1, *)
    var symbols = [Int32](repeating: 0, count: count)
    let tables = file.header.tablesInModel ? self.tables ?? [] : file.tables
    guard tables.count == file.quantizer.channels else {
      throw CodecError.corrupt(path: path, problem: "coded under the model's own tables, but \(modelName) has none")
    }
    do {
      var decoder = try RANSDecoder(file.payload)
      if let contextTables = contextTables(coding: file.header.codeShape, tablesInModel: file.header.tablesInModel) {
        symbols = try contextTables.decode(count, codeShape: file.header.codeShape, from: &decoder)
      } else {
        let channels = tables.count
        for index in 0..<count { symbols[index] = try decoder.decode(with: tables[index % channels]) }
      }
      try decoder.finish(carrying: file.header.fingerprintInCoder ? CompressedFile.coderFingerprint(fingerprint) : 0)
    } catch {
      // Its checksum right, a file whose fingerprint is in its code that does not decode was made by another model.
      guard !file.header.fingerprintInCoder else {
        throw CodecError.otherModel(path: path, made: "", fingerprint: "", given: modelName, givenFingerprint: CompressedFile.shortFingerprint(fingerprint))
      }
      throw CodecError.corrupt(path: path, problem: "\(error)")
    }
    return symbols
  }

  /// The images of `file` (read from `path`), `[count, height, width, channels]`, in [0, 1].
  public func decompress(_ file: CompressedFile, path: String) throws -> Tensor { try decompressWithSymbols(file, path: path).images }

  /// `decompress`, and the code symbols it decoded on the way.
  func decompressWithSymbols(_ file: CompressedFile, path: String) throws -> (images: Tensor, symbols: [Int32]) {
    let file = try completed(file, path: path)
    let model = try model(for: file, path: path)
    let symbols = try decodedSymbols(of: file, path: path)
    let codes = Tensor(shape: [file.header.count] + file.header.codeShape, scalars: file.quantizer.values(symbols))
    let decoded = try model.decode(codes: codes).scalars
    let shape = file.header.imageShape
    guard let padded = file.header.paddedShape else { return (Tensor(shape: [file.header.count] + shape, scalars: decoded), symbols) }
    // Crop the padding away.
    let (h, w, c) = (shape[0], shape[1], shape[2])
    let images = Tensor(shape: [file.header.count] + shape) { out in
      for index in 0..<file.header.count {
        for y in 0..<h {
          let source = ((index * padded[0] + y) * padded[1]) * c, target = ((index * h + y) * w) * c
          for value in 0..<(w * c) { out[target + value] = decoded[source + value] }
        }
      }
    }
    return (images, symbols)
  }
}

/// Images a codec cannot take, or a file it cannot decode.
public enum CodecError: Error, Equatable, CustomStringConvertible {
  case notImages(source: String, shape: [Int])
  case nonFiniteCode(source: String, example: Int)
  case otherModel(path: String, made: String, fingerprint: String, given: String, givenFingerprint: String)
  case corrupt(path: String, problem: String)
  case severalSizes(source: String, problem: String)
  case notRateTrained(model: String)

  public var description: String {
    switch self {
    case .notImages(let source, let shape):
      "\(source): examples of shape \(shape) are not images (height × width, 1 or 3 channels, pixels 0 to 1); compression takes PNG or IDX images"
    case .nonFiniteCode(let source, let example): "\(source): the code of example \(example) is NaN or infinite"
    case .otherModel(let path, let made, let fingerprint, let given, let givenFingerprint):
      "\(path): made by \(made.isEmpty ? "another model" : "the model \(made)")\(fingerprint.isEmpty ? "" : " (fingerprint \(fingerprint))"), "
        + "not by \(given) (fingerprint \(givenFingerprint))\(fingerprint.isEmpty ? ": its code does not decode under it" : ""); decompress it with that model"
    case .corrupt(let path, let problem): "\(path): \(problem)"
    case .severalSizes(let source, let problem): "\(source): images of several sizes with \(problem): each is written back by its file name"
    case .notRateTrained(let model): "\(model) is not a rate-trained codec (no entropy bottleneck): its files carry their own tables, fitted to the images they hold"
    }
  }
}
