import Foundation

/// Images to run a model on, from PNG files or IDX data, as an `ImageSet`.
public enum ImageInput {
  /// PNG files as one set of examples in the order given: `[height, width]` gray (colour by
  /// Rec. 601 luma, alpha dropped), or `[height, width, 3]` for `.rgb`.
  ///
  /// - Throws: `FileError` naming the file that is missing, not a PNG, or a different size from
  ///   the first.
  public static func pngs(_ paths: [String], colour: ImageFolder.Colour = .gray) throws -> ImageSet {
    precondition(!paths.isEmpty, "no PNG files")
    return try ImageFolder(paths[0], colour: colour).load(files: paths, threads: Parallel.threads)
  }

  /// IDX images: a folder's `split` (as `--data`), or one images file (`…-images-idx3-ubyte[.gz]`).
  public static func idx(_ path: String, split: IDXFolder.Split) throws -> ImageSet {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw FileError(path, "no such file or folder") }
    if isDirectory.boolValue || !path.lowercased().contains("ubyte") { return try DataSource(path).load(split) }
    let images = try IDX.read(path, rank: 3)
    guard images.shape.allSatisfy({ $0 > 0 }) else { throw FileError(path, "holds no images (shape \(images.shape))") }
    return ImageSet(storage: .bytes(images.bytes), exampleShape: Array(images.shape.dropFirst()), source: path)
  }
}

/// Runs a (denoising) autoencoder over images: optionally corrupts them first (to see what it
/// removes), then reconstructs them.
public struct Denoiser {
  public let model: Autoencoder
  /// Corruption applied before denoising (to clean data), or nil for inputs that are already noisy.
  public var noise: Noise?
  public var seed: UInt64

  public init(model: Autoencoder, noise: Noise? = nil, seed: UInt64 = 0) {
    self.model = model
    self.noise = noise
    self.seed = seed
  }

  /// The model's inputs (corrupted when `noise` is set) and outputs, `[count] + inputShape` each.
  ///
  /// - Throws: `DataError` naming the source when its images do not have the model's size.
  public func run(on set: ImageSet, batchSize: Int = 512) throws -> (inputs: Tensor, outputs: Tensor) {
    var batches = try Batches(inferenceOn: set, batchSize: batchSize, for: model.architecture)
    var inputs: [Tensor] = [], outputs: [Tensor] = []
    for index in 0..<batches.count {
      let batch = batches.batch(index)
      let input = noise.map { $0.corrupt(batch, seed: seed, firstExample: index * batches.batchSize) } ?? batch
      inputs.append(input)
      outputs.append(model.reconstruct(input))
      try model.checkFinite(outputs.last!, what: "denoised images", firstExample: index * batches.batchSize, source: set.source)
    }
    return (Tensor.concatenating(inputs), Tensor.concatenating(outputs))
  }

  /// A figure of the first `count` examples: for each group of `columns`, the clean images (when
  /// `noise` corrupted them here), the model's inputs, and its outputs, one row each.
  public func figure(clean set: ImageSet, inputs: Tensor, outputs: Tensor, count: Int = 10, columns: Int = 10, scale: Int = 2) throws
    -> Image
  {
    let shown = min(count, set.count), size = set.exampleSize
    // Clean images, then the inputs, then the outputs: image i's are i, shown + i and 2·shown + i.
    let images = Tensor(shape: [3 * shown, size], scalars: (0..<shown).flatMap { set.example($0) }
      + Array(inputs.scalars.prefix(shown * size)) + Array(outputs.scalars.prefix(shown * size)))
    let rows = stride(from: 0, to: shown, by: columns).flatMap { start in
      let indices = Array(start..<min(start + columns, shown))
      return (noise == nil ? [] : [indices]) + [indices.map { shown + $0 }, indices.map { 2 * shown + $0 }]
    }
    return try model.architecture.grid(rows: rows, of: images, scale: scale)
  }
}

extension ImageQuality {
  /// The mean over examples of each image's PSNR against its example of `set` (`images` holds
  /// `set.count` images of `set.exampleSize` values each).
  public static func meanPSNR(of images: Tensor, against set: ImageSet) -> Double {
    precondition(images.count == set.count * set.exampleSize, "\(images.count) values for \(set.count) examples of \(set.exampleSize)")
    let size = set.exampleSize
    let total = images.withUnsafeBufferPointer { values in
      (0..<set.count).reduce(0.0) { sum, index in
        set.example(index).withUnsafeBufferPointer { clean in
          sum + psnr(UnsafeBufferPointer(rebasing: values[(index * size)..<((index + 1) * size)]), clean)
        }
      }
    }
    return total / Double(max(set.count, 1))
  }
}
