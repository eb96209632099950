/// Per-column scaling of tabular data, fitted on the training examples and stored with the model
/// so every later command scales new data the same way and writes outputs back in the data's units:
/// `x' = (x − offset) / scale`.
///
/// - `standard`: offset the column's mean, scale its standard deviation (scikit-learn's
///   `StandardScaler`: the population deviation; a constant column gets scale 1);
/// - `minMax`: offset the minimum, scale the range (`MinMaxScaler` to [0, 1]; a constant column
///   gets scale 1).
public struct FeatureScaling: Codable, Equatable, Sendable {
  public enum Kind: String, Codable, Sendable, CaseIterable {
    case standard, minMax = "minmax", none
  }

  public var kind: Kind
  /// Subtracted from each column.
  public var offset: [Float]
  /// Each column is divided by it.
  public var scale: [Float]

  public init(kind: Kind, offset: [Float], scale: [Float]) {
    precondition(offset.count == scale.count, "\(offset.count) offsets and \(scale.count) scales")
    self.kind = kind
    self.offset = offset
    self.scale = scale
  }

  /// The scaling of `kind` fitted to the examples of `set` (each value a column); for the windows
  /// of a time series, to its steps (each channel a column, each step counted once).
  public init(fitting kind: Kind, to set: ImageSet) {
    let columns = set.windowing != nil ? set.exampleShape.last! : set.exampleSize
    var offset = [Float](repeating: 0, count: columns), scale = [Float](repeating: 1, count: columns)
    switch kind {
    case .none: break
    case .standard:
      var sum = [Double](repeating: 0, count: columns), squares = [Double](repeating: 0, count: columns)
      var rows = 0
      for example in 0..<set.count {
        let values = set.unscaledExample(example), counted = Self.valuesCounted(of: example, in: set, columns: columns)
        for (index, value) in values.prefix(counted).enumerated() {
          sum[index % columns] += Double(value)
          squares[index % columns] += Double(value) * Double(value)
        }
        rows += counted / columns
      }
      let count = Double(max(rows, 1))
      for column in 0..<columns {
        let mean = sum[column] / count
        let deviation = (max(0, squares[column] / count - mean * mean)).squareRoot()
        offset[column] = Float(mean)
        scale[column] = deviation > 1e-12 * max(1, abs(mean)) ? Float(deviation) : 1
      }
    case .minMax:
      var low = [Float](repeating: .infinity, count: columns), high = [Float](repeating: -.infinity, count: columns)
      for example in 0..<set.count {
        for (index, value) in set.unscaledExample(example).enumerated() {
          low[index % columns] = min(low[index % columns], value)
          high[index % columns] = max(high[index % columns], value)
        }
      }
      for column in 0..<columns where set.count > 0 {
        offset[column] = low[column]
        scale[column] = high[column] > low[column] ? high[column] - low[column] : 1
      }
    }
    self.init(kind: kind, offset: offset, scale: scale)
  }

  /// The values of example `example` of `set` that count towards the statistics: all, but of a
  /// time series' windows in order only the steps up to the next window's start (the last
  /// window's all), so each step counts once.
  private static func valuesCounted(of example: Int, in set: ImageSet, columns: Int) -> Int {
    guard let windowing = set.windowing, windowing.inOrder, example < set.count - 1 else { return set.exampleSize }
    return min(windowing.stride, windowing.length) * columns
  }

  /// The number of columns it scales.
  public var columns: Int { offset.count }

  /// `set` scaled: the same storage, its examples scaled as they are used (`ImageSet.example`,
  /// batches), so nothing is copied, and data larger than memory stays on disk. Examples of
  /// several rows (a time series' windows) are scaled row by row.
  public func apply(to set: ImageSet) -> ImageSet {
    precondition(set.exampleSize % max(columns, 1) == 0, "scaling of \(columns) columns applied to examples of \(set.exampleSize)")
    var scaled = set
    scaled.scaling = self
    return scaled
  }

  /// Scales values in place: whole examples, one after another.
  public func scale(_ values: inout ArraySlice<Float>) {
    values.withUnsafeMutableBufferPointer { scale($0.baseAddress!, count: $0.count) }
  }

  /// Scales `count` values at `values` in place: whole examples, one after another.
  public func scale(_ values: UnsafeMutablePointer<Float>, count: Int) {
    precondition(count % max(columns, 1) == 0, "\(count) values are not rows of \(columns) columns")
    offset.withUnsafeBufferPointer { offset in
      scale.withUnsafeBufferPointer { scale in
        var index = 0
        while index < count {
          for column in 0..<columns { values[index + column] = (values[index + column] - offset[column]) / scale[column] }
          index += columns
        }
      }
    }
  }

  /// Scaled rows (`values.count` a multiple of the columns) back in the data's units.
  public func restore(_ values: [Float]) -> [Float] {
    precondition(values.count % max(columns, 1) == 0, "\(values.count) values are not rows of \(columns) columns")
    return values.enumerated().map { $0.element * scale[$0.offset % columns] + offset[$0.offset % columns] }
  }

  /// What is wrong with a stored scaling (as read from a model file), or nil.
  public var problem: String? {
    guard offset.count == scale.count else { return "\(offset.count) offsets for \(scale.count) scales" }
    guard offset.allSatisfy(\.isFinite), scale.allSatisfy({ $0.isFinite && $0 > 0 }) else { return "offsets must be finite and scales positive" }
    return nil
  }
}

/// What a model knows of the data it was trained on, kept in its model file: the classes' and
/// values' names, and the scaling its inputs get.
public struct DataDescription: Codable, Equatable, Sendable {
  /// The classes' names (label i names classNames[i]), or nil.
  public var classNames: [String]?
  /// The names of an example's values (a CSV header), or nil.
  public var columnNames: [String]?
  /// The scaling fitted to the training examples, or nil (values used as read; bytes / 255).
  public var scaling: FeatureScaling?

  enum CodingKeys: String, CodingKey { case classNames = "class_names", columnNames = "column_names", scaling }

  public init(classNames: [String]? = nil, columnNames: [String]? = nil, scaling: FeatureScaling? = nil) {
    self.classNames = classNames
    self.columnNames = columnNames
    self.scaling = scaling
  }

  /// The description of a training set, or nil when there is nothing to describe.
  public init?(_ set: ImageSet) {
    guard set.classNames != nil || set.columnNames != nil || set.scaling != nil else { return nil }
    self.init(classNames: set.classNames, columnNames: set.columnNames, scaling: set.scaling)
  }

  /// What is wrong with a stored description for a model taking `inputSize` values, or nil.
  public func problem(inputSize: Int) -> String? {
    if let scaling {
      if let problem = scaling.problem { return "scaling: \(problem)" }
      // Rows of the columns: one example, or a time series' window of steps.
      guard scaling.columns > 0, inputSize % scaling.columns == 0 else { return "a scaling of \(scaling.columns) columns for a model of \(inputSize) inputs" }
    }
    if let columnNames, columnNames.isEmpty || inputSize % columnNames.count != 0 {
      return "\(columnNames.count) column names for a model of \(inputSize) inputs"
    }
    if let classNames, classNames.count > 256 { return "\(classNames.count) class names; at most 256" }
    return nil
  }
}
