import FileIO
import Foundation
import ImageFiles

/// A folder of PNG images, as Keras's `image_dataset_from_directory` reads one: with a subfolder
/// per class (labels are the subfolders' indices in sorted order, and their names the class
/// names), or flat (no labels). A folder whose subfolders are `train` and `test` holds the two
/// splits, each laid out either way.
///
/// Grayscale and RGB images of 8 or 16 bits are read (alpha is dropped; palettes expand); every
/// image takes the first image's colour (`colour` overrides) and must have its size unless
/// `resize` is given (bilinear, half-pixel centres, as `tf.image.resize`).
public struct ImageFolder: Sendable {
  /// Grayscale (one channel) or RGB (three).
  public enum Colour: String, Codable, Sendable, CaseIterable {
    case gray, rgb
    var channels: Int { self == .gray ? 1 : 3 }
  }

  public let path: String
  /// Every image resized to this width and height, or nil to require one size.
  public var resize: (width: Int, height: Int)?
  /// Every image converted to this colour, or nil for the first image's.
  public var colour: Colour?

  public init(_ path: String, resize: (width: Int, height: Int)? = nil, colour: Colour? = nil) {
    self.path = path
    self.resize = resize
    self.colour = colour
  }

  /// The end of the error for images of several sizes in one set: what a command that reads
  /// data options can do about it (others say their own).
  public static let severalSizesAdvice = "give --resize WxH to read images of several sizes"

  /// The most classes (subfolders) a folder may have: labels are bytes.
  public static let maximumClasses = 256

  /// The folders of the `train` and `test` splits, when the folder's subfolders are exactly those.
  public var splitFolders: (train: String, test: String)? {
    let folders = Self.subfolders(path)
    let names = Dictionary(folders.map { ($0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
    guard folders.count == 2, let train = names["train"], let test = names["test"] else { return nil }
    return ("\(path)/\(train)", "\(path)/\(test)")
  }

  /// Whether `path` is a folder of PNG images (or of class or split folders of them), rather
  /// than of IDX files.
  public static func looksLikeImages(_ path: String) -> Bool {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    if names.contains(where: { $0.lowercased().hasSuffix(".png") }) { return true }
    if names.contains(where: { $0.contains("idx") && $0.contains("ubyte") }) { return false }
    return !subfolders(path).isEmpty
  }

  /// Loads the images: the whole folder, or one split's folder when `split` is given and the
  /// folder has `train` and `test` subfolders.
  ///
  /// - Parameter classNames: The class folders expected (a model's, or the train split's), or nil.
  /// - Throws: `FileError` naming the folder or the file: no images, a file that is not PNG (or
  ///   a corrupt one), sizes that differ (the first image of another size is named), too many classes.
  public func load(split: IDXFolder.Split? = nil, classNames expected: [String]? = nil,
                   threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> ImageSet {
    guard FileIO.isDirectory(path) else { throw FileError(path, FileIO.exists(path) ? "is not a folder" : "no such folder") }
    var root = path
    if let split, let folders = splitFolders { root = split == .train ? folders.train : folders.test }
    let classes = Self.subfolders(root)
    var files: [(file: File, label: Int?)] = []
    if classes.isEmpty {
      files = try Self.pngFiles(in: root, recursive: false).map { ($0, nil) }
    } else {
      if let stray = try Self.entries(root).first(where: { $0.lowercased().hasSuffix(".png") }) {
        throw FileError("\(root)/\(stray)", "a PNG beside class folders (\(classes.prefix(3).joined(separator: ", "))...): put every image in a class folder")
      }
      let names = expected ?? classes
      guard names.count <= Self.maximumClasses else {
        throw FileError(root, "has \(names.count) class folders; at most \(Self.maximumClasses) classes are supported")
      }
      for name in classes {
        guard let label = names.firstIndex(of: name) else {
          throw FileError("\(root)/\(name)", "is not one of the classes \(names.joined(separator: ", ")) (from the training data)")
        }
        files += try Self.pngFiles(in: "\(root)/\(name)", recursive: true).map { ($0, label) }
      }
    }
    guard !files.isEmpty else { throw FileError(root, "holds no PNG images") }
    let images = try decode(files.map(\.file), threads: threads)
    let labels = classes.isEmpty ? nil : files.map { UInt8($0.label!) }
    return try assemble(images, paths: files.map(\.file.path), labels: labels, classNames: classes.isEmpty ? nil : (expected ?? classes), source: root)
  }

  /// The PNG files at `paths`, in that order, as one set (colour and size converted as `load`
  /// does, from this reader's options); its source is the first file.
  ///
  /// - Throws: `FileError` naming the file: missing, not PNG or corrupt, of another size.
  public func load(files paths: [String], threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> ImageSet {
    guard !paths.isEmpty else { throw FileError(path, "no PNG files given") }
    let images = try decode(paths.map { File(path: $0, listedAsFile: false) }, threads: threads)
    return try assemble(images, paths: paths, labels: nil, classNames: nil, source: paths.count == 1 ? paths[0] : "\(paths[0]) and \(paths.count - 1) more")
  }

  /// The PNG files at `paths` (or, with no paths, the PNG files of this flat folder in name
  /// order), grouped by size for readers that take each size on its own (an image codec): one set
  /// per size, in the order the sizes first occur, each with its images' indices among the files
  /// and their paths. A folder of one size gives the set `load` gives.
  ///
  /// - Throws: `FileError` naming the file: missing, not PNG or corrupt; or the folder: none in it,
  ///   or subfolders in it (class or split folders: read those with `load`).
  public func loadGroupedBySize(files paths: [String]? = nil, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws
    -> [(set: ImageSet, indices: [Int], paths: [String])]
  {
    let files: [File]
    if let paths {
      guard !paths.isEmpty else { throw FileError(path, "no PNG files given") }
      files = paths.map { File(path: $0, listedAsFile: false) }
    } else {
      guard FileIO.isDirectory(path) else { throw FileError(path, FileIO.exists(path) ? "is not a folder" : "no such folder") }
      if let folder = Self.subfolders(path).first { throw FileError("\(path)/\(folder)", "is a subfolder: images of several sizes are read from a flat folder") }
      files = try Self.pngFiles(in: path, recursive: false)
      guard !files.isEmpty else { throw FileError(path, "holds no PNG images") }
    }
    let images = try decode(files, threads: threads)
    var order: [[Int]] = [], groupOf: [String: Int] = [:]
    for (index, image) in images.enumerated() {
      let key = "\(image.width)x\(image.height)"
      if let group = groupOf[key] { order[group].append(index) } else { (groupOf[key], order) = (order.count, order + [[index]]) }
    }
    return try order.map { indices in
      let groupPaths = indices.map { files[$0].path }
      // A folder of one size is its own source, as `load` names it.
      let source = paths == nil && order.count == 1 ? path : groupPaths.count == 1 ? groupPaths[0] : "\(groupPaths[0]) and \(groupPaths.count - 1) more"
      let set = try assemble(indices.map { images[$0] }, paths: groupPaths, labels: nil, classNames: nil, source: source)
      return (set, indices, groupPaths)
    }
  }

  /// One decoded image: its size, channels (1 or 3) and samples scaled to 0...1 or kept as bytes.
  struct Decoded {
    var width: Int, height: Int, channels: Int
    var bytes: [UInt8]?
    var floats: [Float]?
  }

  /// Decodes the files concurrently, converting colour and size; the first failure (in file
  /// order) is thrown.
  func decode(_ paths: [File], threads: Int) throws -> [Decoded] {
    let firstChannels: Int
    if let colour {
      firstChannels = colour.channels
    } else {
      firstChannels = try Self.channels(of: Self.decodeFile(paths[0]))
    }
    var results = [Swift.Result<Decoded, any Error>?](repeating: nil, count: paths.count)
    results.withUnsafeMutableBufferPointer { out in
      let shared = Shared(out.baseAddress!)
      forEachConcurrently(paths.count, threads: threads) { index in
        shared.value[index] = Swift.Result { try convert(Self.decodeFile(paths[index]), channels: firstChannels) }
      }
    }
    return try results.map { try $0!.get() }
  }

  static func decodeFile(_ file: File) throws -> PNG.Result<Image, PNG.WideImage> {
    let path = file.path
    let bytes = try FileIO.readBytes(path, limit: 1 << 28, listedAsFile: file.listedAsFile)
    do {
      return try PNG.decodeKeepingDepth(bytes)
    } catch let problem as PNG.Problem {
      throw FileError(path, problem.description)
    }
  }

  static func channels(of image: PNG.Result<Image, PNG.WideImage>) -> Int {
    switch image {
    case .narrow(let image): image.channels >= 3 ? 3 : 1
    case .wide(let image): image.channels >= 3 ? 3 : 1
    }
  }

  /// The image with `channels` channels (alpha dropped; colour to gray by Rec. 601 luma, as
  /// PIL's `convert("L")`; gray to colour by repetition), resized when asked.
  func convert(_ image: PNG.Result<Image, PNG.WideImage>, channels: Int) -> Decoded {
    let (width, height, sourceChannels): (Int, Int, Int)
    var samples: [Float]?
    var bytes: [UInt8]?
    switch image {
    case .narrow(let image):
      (width, height, sourceChannels) = (image.width, image.height, image.channels)
      if sourceChannels == channels { bytes = image.pixels } else { samples = image.pixels.map { Float($0) / 255 } }
    case .wide(let image):
      (width, height, sourceChannels) = (image.width, image.height, image.channels)
      samples = image.samples.map { Float($0) / 65535 }
    }
    if var values = samples, sourceChannels != channels {
      let pixels = width * height
      var converted = [Float](repeating: 0, count: pixels * channels)
      for pixel in 0..<pixels {
        let base = pixel * sourceChannels
        if channels == 1 {
          converted[pixel] = sourceChannels >= 3 ? 0.299 * values[base] + 0.587 * values[base + 1] + 0.114 * values[base + 2] : values[base]
        } else {
          for channel in 0..<3 { converted[pixel * 3 + channel] = sourceChannels >= 3 ? values[base + channel] : values[base] }
        }
      }
      values = converted
      samples = values
    }
    guard let resize, resize.width != width || resize.height != height else {
      return Decoded(width: width, height: height, channels: channels, bytes: bytes, floats: samples)
    }
    let source = samples ?? bytes!.map { Float($0) / 255 }
    return Decoded(width: resize.width, height: resize.height, channels: channels, bytes: nil,
                   floats: Self.resized(source, width: width, height: height, channels: channels, to: resize))
  }

  /// Bilinear resampling with half-pixel centres (`tf.image.resize`, `antialias=False`).
  static func resized(_ values: [Float], width: Int, height: Int, channels: Int, to size: (width: Int, height: Int)) -> [Float] {
    var out = [Float](repeating: 0, count: size.width * size.height * channels)
    let scaleX = Float(width) / Float(size.width), scaleY = Float(height) / Float(size.height)
    for y in 0..<size.height {
      let sourceY = max(0, (Float(y) + 0.5) * scaleY - 0.5)
      let y0 = min(Int(sourceY), height - 1), y1 = min(y0 + 1, height - 1), fy = sourceY - Float(y0)
      for x in 0..<size.width {
        let sourceX = max(0, (Float(x) + 0.5) * scaleX - 0.5)
        let x0 = min(Int(sourceX), width - 1), x1 = min(x0 + 1, width - 1), fx = sourceX - Float(x0)
        for c in 0..<channels {
          func at(_ row: Int, _ column: Int) -> Float { values[(row * width + column) * channels + c] }
          let top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx
          let bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx
          out[(y * size.width + x) * channels + c] = top + (bottom - top) * fy
        }
      }
    }
    return out
  }

  /// One set of the decoded images, which must share a size.
  func assemble(_ images: [Decoded], paths: [String], labels: [UInt8]?, classNames: [String]?, source: String) throws -> ImageSet {
    let first = images[0]
    if let index = images.firstIndex(where: { $0.width != first.width || $0.height != first.height }) {
      throw FileError(paths[index], "is \(images[index].width)×\(images[index].height), the first image (\(paths[0])) \(first.width)×\(first.height); "
        + Self.severalSizesAdvice)
    }
    let shape = first.channels == 1 ? [first.height, first.width] : [first.height, first.width, first.channels]
    let storage: ImageSet.Storage
    if images.allSatisfy({ $0.bytes != nil }) {
      storage = .bytes(images.flatMap { $0.bytes! })
    } else {
      storage = .floats(images.flatMap { $0.floats ?? $0.bytes!.map { Float($0) / 255 } })
    }
    return ImageSet(storage: storage, exampleShape: shape, labels: labels, classNames: classNames, source: source)
  }

  /// An image file, and whether its folder listed it as a regular file.
  struct File {
    var path: String
    var listedAsFile: Bool
  }

  /// Visible entries of a folder, sorted, and whether each is a folder (from the directory
  /// entry's type where the file system gives it, so listing 10,000 images costs no `stat` each).
  static func listing(_ path: String) throws -> [(name: String, isFolder: Bool, isFile: Bool)] {
    guard let directory = opendir(path) else { throw FileError(path, "cannot be listed") }
    defer { closedir(directory) }
    var entries: [(name: String, isFolder: Bool, isFile: Bool)] = []
    while let entry = readdir(directory) {
      let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
      guard !name.hasPrefix(".") else { continue }
      let type = Int32(entry.pointee.d_type)
      let isFolder = type == Int32(DT_DIR) || ((type == Int32(DT_UNKNOWN) || type == Int32(DT_LNK)) && FileIO.isDirectory("\(path)/\(name)"))
      entries.append((name, isFolder, type == Int32(DT_REG)))
    }
    return entries.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
  }

  /// Visible entries of a folder, sorted.
  static func entries(_ path: String) throws -> [String] { try listing(path).map(\.name) }

  /// Visible subfolders, sorted.
  static func subfolders(_ path: String) -> [String] {
    ((try? listing(path)) ?? []).filter(\.isFolder).map(\.name)
  }

  /// The PNG files of a folder (and its subfolders, when `recursive`), sorted; any other file is an error.
  static func pngFiles(in folder: String, recursive: Bool) throws -> [File] {
    var files: [File] = []
    for (name, isFolder, isFile) in try listing(folder) {
      let path = "\(folder)/\(name)"
      if isFolder {
        guard recursive else { throw FileError(path, "a folder among images; class folders must all sit directly under \(folder)") }
        files += try pngFiles(in: path, recursive: true)
      } else {
        guard name.lowercased().hasSuffix(".png") else {
          throw FileError(path, "is not a PNG image (only .png files may sit among the images)")
        }
        files.append(File(path: path, listedAsFile: isFile))
      }
    }
    return files
  }
}
