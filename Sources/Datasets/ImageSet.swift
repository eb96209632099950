/// Examples in memory: `count` examples of `exampleShape` (`[28, 28]` for MNIST images), with
/// optional labels.
///
/// Pixels stay in their file's form, bytes 0...255 (a quarter of the memory of floats), and
/// become floats in [0, 1] (`byte / 255`, as Keras's tutorials scale) only batch by batch.
/// Splitting shares the storage; nothing is copied.
public struct ImageSet: Sendable {
  /// How examples are stored.
  public enum Storage: Sendable {
    /// Bytes, scaled by 1/255 when batched.
    case bytes([UInt8])
    /// Floats, used as they are.
    case floats([Float])
    /// An array in a memory-mapped file, read as it is used (data larger than memory).
    case mapped(NPY.MappedArray)
  }

  /// Every example of the underlying storage (shared by splits).
  public let storage: Storage
  /// The shape of one example.
  public let exampleShape: [Int]
  /// Labels of the underlying storage, if the data has them.
  public let allLabels: [UInt8]?
  /// The classes' names, label `i` naming `classNames[i]` (class folders, a CSV's label texts,
  /// a known dataset's classes), or nil.
  public var classNames: [String]?
  /// The values' names, one per value of an example (a CSV file's header), or nil.
  public var columnNames: [String]?
  /// The scaling that made these values from the data's (`FeatureScaling.apply`), or nil.
  public var scaling: FeatureScaling?
  /// For the sliding windows of a time series (`windows(length:stride:)`), how they were cut.
  public var windowing: Windowing?
  /// Where the examples came from (a path), for messages.
  public let source: String
  /// The examples of the storage this set covers.
  public let range: Range<Int>

  /// Creates a set of all examples in `storage`.
  public init(storage: Storage, exampleShape: [Int], labels: [UInt8]? = nil, classNames: [String]? = nil, source: String) {
    let size = exampleShape.reduce(1, *)
    let total: Int
    switch storage {
    case .bytes(let bytes): total = bytes.count
    case .floats(let floats): total = floats.count
    case .mapped(let array): total = array.count
    }
    precondition(size > 0 && total % size == 0, "\(total) values do not divide into examples of shape \(exampleShape)")
    precondition(labels == nil || labels!.count == total / size, "\(labels!.count) labels for \(total / size) examples")
    self.storage = storage
    self.exampleShape = exampleShape
    self.allLabels = labels
    self.classNames = classNames
    self.source = source
    range = 0..<(total / size)
  }

  private init(_ base: ImageSet, range: Range<Int>) {
    storage = base.storage
    exampleShape = base.exampleShape
    allLabels = base.allLabels
    classNames = base.classNames
    columnNames = base.columnNames
    scaling = base.scaling
    windowing = base.windowing
    source = base.source
    self.range = range
  }

  /// The number of examples.
  public var count: Int { range.count }
  /// The number of values in one example.
  public var exampleSize: Int { exampleShape.reduce(1, *) }
  /// The labels of this set's examples, if any.
  public var labels: ArraySlice<UInt8>? { allLabels?[range] }

  /// The first `count` examples (all, if fewer).
  public func prefix(_ count: Int) -> ImageSet { ImageSet(self, range: range.lowerBound..<(range.lowerBound + min(count, self.count))) }

  /// Examples `positions` (0-based within this set), sharing the storage.
  public func slice(_ positions: Range<Int>) -> ImageSet {
    precondition(positions.lowerBound >= 0 && positions.upperBound <= count, "examples \(positions) of \(count)")
    return ImageSet(self, range: (range.lowerBound + positions.lowerBound)..<(range.lowerBound + positions.upperBound))
  }

  /// The examples whose label passes `include` (all, for a set without labels), copied in order.
  public func filtered(byLabel include: (Int) -> Bool) -> ImageSet {
    guard let labels else { return self }
    return selecting(labels.indices.filter { include(Int(labels[$0])) }.map { $0 - labels.startIndex })
  }

  /// Splits off the last `fraction` of the examples for validation, as Keras's
  /// `validation_split` does (before any shuffling).
  public func split(validationFraction fraction: Double) -> (training: ImageSet, validation: ImageSet) {
    precondition(fraction > 0 && fraction < 1, "validation fraction \(fraction) must lie in (0, 1)")
    let validationCount = max(1, Int((Double(count) * fraction).rounded()))
    let boundary = range.upperBound - validationCount
    return (ImageSet(self, range: range.lowerBound..<boundary), ImageSet(self, range: boundary..<range.upperBound))
  }

  /// The examples in `order` (indices into this set, each once), copied into storage of their
  /// own; a mapped set (larger than memory) is returned as it is.
  public func reordered(by order: [Int]) -> ImageSet {
    precondition(order.count == count && Set(order).count == count, "an order of \(order.count) for \(count) examples")
    return selecting(order)
  }

  /// The examples at `order` (indices into this set), copied into storage of their own; a
  /// mapped set keeps its storage only when `order` is all of it in order.
  public func selecting(_ order: [Int]) -> ImageSet {
    precondition(order.allSatisfy { (0..<count).contains($0) }, "indices outside 0..<\(count)")
    let size = exampleSize
    func gather<Element>(_ values: [Element]) -> [Element] {
      var out = [Element]()
      out.reserveCapacity(count * size)
      for index in order { out += values[((range.lowerBound + index) * size)..<((range.lowerBound + index + 1) * size)] }
      return out
    }
    let storage: Storage
    switch self.storage {
    case .bytes(let bytes): storage = .bytes(gather(bytes))
    case .floats(let floats): storage = .floats(gather(floats))
    case .mapped(let array):
      if order == Array(0..<count) { return self }
      storage = .floats(order.flatMap { index in (0..<size).map { array.value((range.lowerBound + index) * size + $0) } })
    }
    var reordered = ImageSet(storage: storage, exampleShape: exampleShape, labels: labels.map { labels in order.map { labels[labels.startIndex + $0] } },
                             classNames: classNames, source: source)
    reordered.columnNames = columnNames
    reordered.scaling = scaling
    reordered.windowing = windowing.map { Windowing(length: $0.length, stride: $0.stride, steps: $0.steps, inOrder: false, stepLabels: $0.stepLabels) }
    return reordered
  }

  /// Example `index` (0-based within this set) as the model sees it: bytes as floats in [0, 1],
  /// scaled by `scaling` where the set has one.
  public func example(_ index: Int) -> [Float] {
    var values = unscaledExample(index)
    scaling?.scale(&values[...])
    return values
  }

  /// Example `index` as read, before any `scaling` (bytes as floats in [0, 1]).
  public func unscaledExample(_ index: Int) -> [Float] {
    precondition((0..<count).contains(index), "example \(index) of \(count)")
    let start = (range.lowerBound + index) * exampleSize
    switch storage {
    case .bytes(let bytes): return bytes[start..<(start + exampleSize)].map { Float($0) / 255 }
    case .floats(let floats): return Array(floats[start..<(start + exampleSize)])
    case .mapped(let array): return (start..<(start + exampleSize)).map(array.value)
    }
  }
}

extension ImageSet {
  /// `count:hash`: the number of examples and an FNV-1a hash of their values, to tell whether a
  /// resumed run is given the data it started with.
  public var fingerprint: String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    let size = exampleSize
    switch storage {
    case .bytes(let bytes):
      bytes.withUnsafeBufferPointer { buffer in
        for byte in buffer[range.lowerBound * size..<range.upperBound * size] { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
      }
    case .floats(let floats):
      floats.withUnsafeBufferPointer { buffer in
        for value in buffer[range.lowerBound * size..<range.upperBound * size] { hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3 }
      }
    case .mapped(let array):
      for index in range.lowerBound * size..<range.upperBound * size { hash = (hash ^ UInt64(array.value(index).bitPattern)) &* 0x100_0000_01b3 }
    }
    return "\(count):\(String(hash, radix: 16))"
  }
}
