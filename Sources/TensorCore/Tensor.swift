/// An n-dimensional array of `Float`, stored contiguously in row-major order.
///
/// `Tensor` has value semantics: copies share storage until one of them is mutated (copy on
/// write). Shapes are checked by every operation; a mismatch is a programming error and traps
/// with both shapes in the message.
///
/// ```swift
/// let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// let y = (x * 2 + 1).sigmoid()
/// ```
public struct Tensor: @unchecked Sendable {
  /// The size of each dimension; `[]` for a scalar.
  public private(set) var shape: [Int]
  /// The number of elements, the product of `shape`.
  public let count: Int
  @usableFromInline var storage: TensorStorage

  /// Creates a tensor of the given shape whose elements `initializer` writes.
  ///
  /// - Parameters:
  ///   - shape: The dimensions; each must be non-negative.
  ///   - initializer: Receives the uninitialized buffer of `shape`'s product elements and must
  ///     write every element.
  public init(shape: [Int], initializingWith initializer: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
    self.shape = shape
    count = shape.reduce(1, *)
    let storage = TensorStorage(count: count)
    self.storage = storage
    try withExtendedLifetime(storage) { try initializer(UnsafeMutableBufferPointer(start: storage.base, count: count)) }
  }

  /// Creates a tensor of the given shape with every element equal to `value`.
  public init(shape: [Int], repeating value: Float) {
    self.init(shape: shape) { $0.initialize(repeating: value) }
  }

  /// Creates a tensor of the given shape holding `scalars` in row-major order.
  public init(shape: [Int], scalars: [Float]) {
    let expected = shape.reduce(1, *)
    precondition(scalars.count == expected, "\(scalars.count) scalars for shape \(shape), which holds \(expected)")
    self.init(shape: shape) { buffer in
      scalars.withUnsafeBufferPointer { buffer.baseAddress!.initialize(from: $0.baseAddress!, count: $0.count) }
    }
  }

  /// Creates a rank-0 tensor holding `scalar`.
  public init(_ scalar: Float) {
    self.init(shape: [], scalars: [scalar])
  }

  /// Creates a rank-1 tensor from `scalars`.
  public init(_ scalars: [Float]) {
    self.init(shape: [scalars.count], scalars: scalars)
  }

  /// Creates a rank-2 tensor from rows of equal length.
  public init(_ rows: [[Float]]) {
    let columns = rows.first?.count ?? 0
    precondition(rows.allSatisfy { $0.count == columns }, "rows of unequal length")
    self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
  }

  /// A tensor of zeros.
  public static func zeros(shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

  /// A tensor of ones.
  public static func ones(shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

  /// The number of dimensions.
  public var rank: Int { shape.count }

  /// The elements in row-major order.
  public var scalars: [Float] {
    withUnsafeBufferPointer { Array($0) }
  }

  /// The single element of a one-element tensor.
  public var scalar: Float {
    precondition(count == 1, "scalar of a tensor with shape \(shape)")
    return storage.base[0]
  }

  /// Calls `body` with the elements, read-only.
  ///
  /// The pointer is valid only inside `body`: the storage is kept alive for exactly that long.
  @inlinable
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    // NOTE: without withExtendedLifetime, an optimized caller may release a temporary tensor's
    // storage right after loading `base` and before `body` runs (a use-after-free).
    try withExtendedLifetime(storage) { try body(UnsafeBufferPointer(start: $0.base, count: count)) }
  }

  /// Calls `body` with the elements, writable. Copies the storage first if another tensor shares it.
  @inlinable
  public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
    if !isKnownUniquelyReferenced(&storage) {
      let copy = TensorStorage(count: count)
      copy.base.initialize(from: storage.base, count: count)
      storage = copy
    }
    return try withExtendedLifetime(storage) { try body(UnsafeMutableBufferPointer(start: $0.base, count: count)) }
  }

  /// The same elements viewed with another shape of the same element count (no copy).
  ///
  /// One dimension may be `-1`: it is inferred from the others.
  public func reshaped(to newShape: [Int]) -> Tensor {
    var resolved = newShape
    if let inferred = newShape.firstIndex(of: -1) {
      let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
      precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
      resolved[inferred] = count / known
    }
    precondition(resolved.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
    var result = self
    result.shape = resolved
    return result
  }

  /// Examples `range` of a batch: the slice of the first dimension, copied (the whole tensor,
  /// uncopied, when `range` covers it).
  public func rows(_ range: Range<Int>) -> Tensor {
    precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "rows \(range) of shape \(shape)")
    if range == 0..<shape[0] { return self }
    let stride = shape[0] == 0 ? 0 : count / shape[0]
    return Tensor(shape: [range.count] + shape.dropFirst()) { out in
      withUnsafeBufferPointer { source in
        out.baseAddress!.update(from: source.baseAddress! + range.lowerBound * stride, count: range.count * stride)
      }
    }
  }

  /// Whether the two tensors share storage (for tests of copy-on-write and buffer reuse).
  public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}

extension Tensor: Equatable {
  /// Equal shapes and bitwise-equal elements (so NaN never equals NaN).
  public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
    lhs.shape == rhs.shape && lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
  }
}

extension Tensor: CustomStringConvertible {
  /// `Tensor([2, 3]: [1.0, 2.0, ...])`, showing at most eight elements.
  public var description: String {
    let shown = withUnsafeBufferPointer { $0.prefix(8).map { "\($0)" } }.joined(separator: ", ")
    return "Tensor(\(shape): [\(shown)\(count > 8 ? ", …" : "")])"
  }
}
