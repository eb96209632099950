import FileIO
import Foundation

/// How a data source is read, beyond its path: what `train` records so later commands read new
/// data the same way.
public struct ReadingOptions: Codable, Equatable, Sendable {
  /// PNG folders: every image resized to `[width, height]`.
  public var resize: [Int]?
  /// PNG folders: the colour every image is converted to (nil: the first image's).
  public var colour: ImageFolder.Colour?
  /// CSV files: whether the first row is a header (nil: detected).
  public var header: Bool?
  /// CSV files: the column of labels (a header name, or a number counting from 1).
  public var labelColumn: String?
  /// A file of labels (`.npy`, or `.csv` with one column) for an `.npy` array.
  public var labels: String?
  /// The scaling fitted to the training data (nil: the source's default, `defaultScaling`).
  public var scaling: FeatureScaling.Kind?
  /// CSV files: the columns read as values (header names or numbers from 1); nil: all but the
  /// label column.
  public var columns: [String]?
  /// A time series (a CSV file's rows, or an `.npy` array's first dimension, as time steps): the
  /// examples are its sliding windows of this many steps.
  public var window: Int?
  /// The steps between one window's start and the next (nil: 1; for text, the window's length).
  public var windowStride: Int?
  /// Whether the file is text: its bytes are token ids 0...255, a sequence cut into windows of
  /// `window` bytes (nil: not text).
  public var text: Bool?
  /// Whether data without the label column is read without labels (a model's saved label
  /// column, applied to new data), rather than refused. Not saved.
  public var labelColumnIsOptional = false

  enum CodingKeys: String, CodingKey {
    case resize, colour, header, labelColumn = "label_column", labels, scaling, columns, window, windowStride = "window_stride", text
  }

  /// The length of a text file's windows when none is given.
  public static let defaultTextWindow = 128

  public init(resize: [Int]? = nil, colour: ImageFolder.Colour? = nil, header: Bool? = nil, labelColumn: String? = nil,
              labels: String? = nil, scaling: FeatureScaling.Kind? = nil, columns: [String]? = nil, window: Int? = nil, windowStride: Int? = nil,
              text: Bool? = nil) {
    self.text = text
    self.columns = columns
    self.window = window
    self.windowStride = windowStride
    self.resize = resize
    self.colour = colour
    self.header = header
    self.labelColumn = labelColumn
    self.labels = labels
    self.scaling = scaling
  }
}

/// What `--data` names, told by what the path is: a folder of MNIST-format IDX files, a folder of
/// PNG images, a CSV file, an `.npy` array or an `.npz` of arrays.
public struct DataSource: Sendable {
  public enum Kind: String, Sendable {
    case idx = "IDX folder", images = "PNG folder", csv = "CSV file", npy = "NPY file", npz = "NPZ file", text = "text file"
  }

  public let path: String
  public let kind: Kind
  public var options: ReadingOptions
  /// Whether the source holds a train and a test split (IDX folders; PNG folders with `train`
  /// and `test` subfolders; `.npz` files with `x_train` and `x_test`, as Keras's `mnist.npz`).
  public let hasSplits: Bool

  /// - Throws: `FileError` when the path is missing or not a kind of data this reads.
  public init(_ path: String, options: ReadingOptions = ReadingOptions()) throws {
    self.path = path
    self.options = options
    let lower = path.lowercased()
    if options.text == true {
      guard !FileIO.isDirectory(path) else { throw FileError(path, "is a folder; give a text file") }
      kind = .text
    } else if FileIO.isDirectory(path) {
      kind = ImageFolder.looksLikeImages(path) ? .images : .idx
    } else if lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") || lower.hasSuffix(".txt") {
      kind = .csv
    } else if lower.hasSuffix(".npy") {
      kind = .npy
    } else if lower.hasSuffix(".npz") {
      kind = .npz
    } else if !FileIO.exists(path) {
      throw FileError(path, "no such file or folder")
    } else {
      throw FileError(path, "is not data this tool reads: give a folder of IDX files or PNG images, a .csv, .npy or .npz file")
    }
    if [.csv, .npy, .npz, .text].contains(kind), !FileIO.exists(path) { throw FileError(path, "no such file") }
    if options.labels != nil, kind != .npy {
      throw FileError(path, "--labels goes with an .npy array; a \(kind.rawValue) carries its own labels")
    }
    if options.labelColumn != nil, kind != .csv, !options.labelColumnIsOptional { throw FileError(path, "--label-column goes with a CSV file, not a \(kind.rawValue)") }
    if options.columns != nil, kind != .csv { throw FileError(path, "--value-columns goes with a CSV file, not a \(kind.rawValue)") }
    if options.window != nil || options.windowStride != nil {
      guard [.csv, .npy, .text].contains(kind) else { throw FileError(path, "--window cuts a time series from a CSV or .npy file, or a text file, not a \(kind.rawValue)") }
      guard let window = options.window, window > 0, (options.windowStride ?? 1) > 0 else {
        throw FileError(path, "--window-stride goes with --window LENGTH, and both must be positive")
      }
    }
    switch kind {
    case .idx: hasSplits = true
    case .images: hasSplits = ImageFolder(path).splitFolders != nil
    case .npz: hasSplits = try Set(NPZ.names(path)).isSuperset(of: ["x_train", "x_test"])
    case .csv, .npy, .text: hasSplits = false
    }
  }

  /// The scaling a source gets unless `options.scaling` says otherwise: `standard` for tables
  /// (CSV files, and float arrays of rows), `none` for images (bytes become [0, 1]).
  public func defaultScaling(for set: ImageSet) -> FeatureScaling.Kind {
    switch kind {
    case .csv: return .standard
    case .npy, .npz:
      switch set.storage {
      case .floats where set.exampleShape.count == 1: return .standard
      case .mapped(let array) where !array.holdsBytes && set.exampleShape.count == 1: return .standard
      default: return .none
      }
    case .idx, .images, .text: return .none
    }
  }

  /// The examples of `split` (for sources with splits; nil is the test split), or every example.
  ///
  /// - Parameter classNames: The classes a model was trained on, so labels keep their indices.
  /// - Throws: `FileError` naming the file and what is wrong with it.
  public func load(_ split: IDXFolder.Split? = nil, classNames: [String]? = nil,
                   threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> ImageSet {
    let split = split ?? .test
    switch kind {
    case .idx:
      var set = try IDXFolder(path).load(split)
      set.classNames = classNames ?? IDXFolder.knownClassNames(path)
      return set
    case .images:
      let resize = options.resize.map { (width: $0[0], height: $0[1]) }
      return try ImageFolder(path, resize: resize, colour: options.colour).load(split: split, classNames: classNames, threads: threads)
    case .csv:
      var labelColumn = options.labelColumn
      if options.labelColumnIsOptional, let column = labelColumn, try !CSV.readHeader(path, header: options.header).contains(column) { labelColumn = nil }
      let table = try CSV.readTable(path, header: options.header, labelColumn: labelColumn, columns: options.columns, threads: threads)
      let labels = try table.labels.map { try Self.labels(fromCells: $0.cells, classNames: classNames, column: $0.name, file: path) }
      var set = ImageSet(storage: .floats(table.values), exampleShape: [table.columns], labels: labels?.labels,
                         classNames: labels?.names, source: path)
      set.columnNames = table.columnNames
      return try windowed(set)
    case .npy:
      var contents = try NPY.readContents(path)
      // A one-dimensional series is one channel.
      if options.window != nil, contents.shape.count == 1 { contents.shape.append(1) }
      var labels: [UInt8]?
      if let labelsPath = options.labels { labels = try Self.labels(from: labelsPath, count: contents.shape.first ?? 0, data: path) }
      return try windowed(try Self.set(contents, labels: labels, classNames: classNames, source: path))
    case .npz:
      return try loadArchive(split, classNames: classNames)
    case .text:
      return try Self.text(FileIO.readBytes(path), source: path, window: options.window ?? ReadingOptions.defaultTextWindow,
                           stride: options.windowStride)
    }
  }

  /// A text's bytes as token ids (0...255), cut into windows of `window` bytes, `stride` apart
  /// (nil: the window's length; a last part shorter than a window is left out).
  ///
  /// - Throws: `FileError` naming `source` when it holds no bytes or fewer than one window.
  public static func text(_ bytes: [UInt8], source: String, window: Int, stride: Int?) throws -> ImageSet {
    guard !bytes.isEmpty else { throw FileError(source, "holds no characters (an empty text file)") }
    let series = ImageSet(storage: .floats(bytes.map(Float.init)), exampleShape: [1], source: source)
    let windows = try series.windows(length: window, stride: stride ?? window, unit: "bytes", of: "text")
    var set = ImageSet(storage: windows.storage, exampleShape: [window], source: source)
    set.windowing = windows.windowing
    return set
  }

  /// `set`, a series of time steps, cut into the windows `options` asks for; `set` itself without.
  private func windowed(_ set: ImageSet) throws -> ImageSet {
    guard let window = options.window else { return set }
    return try set.windows(length: window, stride: options.windowStride ?? 1)
  }

  private func loadArchive(_ split: IDXFolder.Split, classNames: [String]?) throws -> ImageSet {
    let arrays = try NPZ.read(path)
    let names = arrays.map(\.name)
    func array(_ candidates: [String]) -> NPY.Contents? { candidates.lazy.compactMap { name in arrays.first { $0.name == name }?.contents }.first }
    let data: NPY.Contents?, labelArray: NPY.Contents?
    if names.contains("x_train"), names.contains("x_test") {
      data = array(["x_\(split.rawValue)"])
      labelArray = array(["y_\(split.rawValue)"])
    } else if arrays.count == 1 {
      (data, labelArray) = (arrays[0].contents, nil)
    } else {
      data = array(["x", "X", "data", "images", "features"])
      labelArray = array(["y", "labels", "targets", "target"])
    }
    guard let data else {
      throw FileError(path, "holds arrays \(names.joined(separator: ", ")): name the data x (and labels y), or x_train and x_test")
    }
    let labels = try labelArray.map { try Self.labels(values: NPY.Contents.floats($0), count: data.shape.first ?? 0, file: path) }
    return try Self.set(data, labels: labels, classNames: classNames, source: path)
  }

  /// An array's examples: the first dimension counts them.
  static func set(_ contents: NPY.Contents, labels: [UInt8]?, classNames: [String]?, source: String) throws -> ImageSet {
    guard contents.shape.count >= 2 else {
      throw FileError(source, "an array of shape \(contents.shape): give examples along the first dimension and their values along the rest (at least 2 dimensions)")
    }
    guard contents.shape.allSatisfy({ $0 > 0 }) else { throw FileError(source, "holds no examples (shape \(contents.shape))") }
    return ImageSet(storage: contents.elements, exampleShape: Array(contents.shape.dropFirst()), labels: labels, classNames: classNames, source: source)
  }

  /// Labels from a file of integers 0...255 (`.npy`, or a one-column CSV), one per example.
  static func labels(from path: String, count: Int, data: String) throws -> [UInt8] {
    if path.lowercased().hasSuffix(".npy") {
      let contents = try NPY.readContents(path)
      guard contents.shape.count == 1 || (contents.shape.count == 2 && contents.shape[1] == 1) else {
        throw FileError(path, "labels of shape \(contents.shape): give one label per example (shape (\(count),))")
      }
      return try labels(values: NPY.Contents.floats(contents), count: count, file: path, data: data)
    }
    let table = try CSV.readTable(path)
    guard table.columns == 1 else { throw FileError(path, "labels in \(table.columns) columns: give one column") }
    return try labels(values: table.values, count: count, file: path, data: data)
  }

  static func labels(values: [Float], count: Int, file: String, data: String? = nil) throws -> [UInt8] {
    guard values.count == count else {
      throw FileError(file, "\(values.count) labels for \(count) examples\(data.map { " in \($0)" } ?? "")")
    }
    if let index = values.firstIndex(where: { !($0 >= 0 && $0 <= 255 && $0 == $0.rounded()) }) {
      throw FileError(file, "label \(index + 1) is \(values[index]); labels are class numbers 0 to 255")
    }
    return values.map { UInt8($0) }
  }

  /// Labels from a CSV column's cells: class numbers 0...255 as they are, or texts numbered in
  /// sorted order (or in `classNames`' order, a model's).
  static func labels(fromCells cells: [String], classNames: [String]?, column: String, file: String) throws -> (labels: [UInt8], names: [String]?) {
    if classNames == nil, cells.allSatisfy({ UInt8($0) != nil }) { return (cells.map { UInt8($0)! }, nil) }
    let names = classNames ?? Array(Set(cells)).sorted()
    guard names.count <= ImageFolder.maximumClasses else {
      throw FileError(file, "the label column \(column) holds \(names.count) distinct values; at most \(ImageFolder.maximumClasses) classes are supported")
    }
    let index = Dictionary(names.enumerated().map { ($0.element, UInt8($0.offset)) }, uniquingKeysWith: { first, _ in first })
    return (try cells.enumerated().map { row, cell in
      guard let label = index[cell] ?? UInt8(cell).flatMap({ Int($0) < names.count ? $0 : nil }) else {
        throw FileError(file, "data row \(row + 1): label \"\(cell)\" is not one of the classes \(names.prefix(10).joined(separator: ", "))")
      }
      return label
    }, names)
  }
}

extension NPY.Contents {
  /// The elements as floats (bytes as their values, not scaled).
  static func floats(_ contents: NPY.Contents) -> [Float] {
    switch contents.elements {
    case .bytes(let bytes): bytes.map(Float.init)
    case .floats(let values): values
    case .mapped(let array): (0..<array.count).map { array.holdsBytes ? (array.value($0) * 255).rounded() : array.value($0) }
    }
  }
}

extension IDXFolder {
  /// The class names of the datasets known by their folder's name: Fashion-MNIST's garments,
  /// MNIST's and KMNIST's digits and characters; nil for others.
  public static func knownClassNames(_ path: String) -> [String]? {
    let name = path.lowercased()
    if name.contains("fashion") {
      return ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    }
    if name.contains("kmnist") { return ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"] }
    if name.contains("mnist") { return (0...9).map(String.init) }
    return nil
  }
}
