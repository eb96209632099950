import FileIO
import CKernels
import Datasets
import NN
import TensorCore

/// Batches of an `ImageSet` as tensors of a model's input shape, in a seeded shuffled order.
///
/// `batch(_:)` reuses one tensor from step to step (once the previous step's graph has let go of
/// it); `batch(_:rows:)`, a shard's rows for a data-parallel step, takes its tensor from the buffer
/// pool, which recycles the previous step's. Either way no step asks the system for memory.
public struct Batches {
  /// The examples.
  public let set: ImageSet
  /// Examples per batch; the last batch of an epoch holds the remainder. A batch size larger
  /// than the set is the set's size.
  public let batchSize: Int
  /// The shape of one example as the model takes it (`[784]`), with the set's example size.
  public let exampleShape: [Int]
  private var order: [Int64]
  private var buffer: Tensor?

  /// - Throws: `DataError.shapeMismatch` when the set's examples do not have the size of `exampleShape`.
  public init(_ set: ImageSet, batchSize: Int, exampleShape: [Int]) throws {
    precondition(batchSize > 0, "batch size must be positive")
    guard exampleShape.reduce(1, *) == set.exampleSize else {
      throw DataError.shapeMismatch(source: set.source, examples: set.exampleShape, model: exampleShape)
    }
    self.set = set
    self.batchSize = min(batchSize, max(set.count, 1))
    self.exampleShape = exampleShape
    order = set.range.map(Int64.init)
  }

  /// The number of batches per epoch.
  public var count: Int { (set.count + batchSize - 1) / batchSize }

  /// The examples' indices in the storage, in the current order (a checkpoint saves it: the
  /// next epoch's shuffle starts from it).
  public var currentOrder: [Int64] { order }

  /// Puts back an order `currentOrder` gave, which must be a permutation of this set's examples.
  ///
  /// - Throws: `DataError.badOrder` when it is not.
  public mutating func restore(order saved: [Int64]) throws {
    guard saved.count == order.count, saved.sorted() == order.sorted() else { throw DataError.badOrder(source: set.source, count: saved.count) }
    order = saved
  }

  /// Reorders the examples (Fisher-Yates) for the next epoch.
  public mutating func shuffle(using generator: inout some RandomNumberGenerator) {
    order.shuffle(using: &generator)
  }

  /// Batch `index` of the current order, as a tensor `[n] + exampleShape` of floats.
  public mutating func batch(_ index: Int) -> Tensor {
    let start = index * batchSize, end = min(start + batchSize, set.count)
    let rows = end - start
    var tensor: Tensor
    if let buffer, buffer.shape[0] == rows {
      tensor = buffer
      self.buffer = nil  // hand over the only other reference, so writing does not copy
    } else {
      tensor = Tensor(shape: [rows] + exampleShape) { _ in }
    }
    tensor.withUnsafeMutableBufferPointer { out in gather(start..<end, into: out.baseAddress!) }
    if rows == batchSize { buffer = tensor }
    return tensor
  }
}

extension Batches {
  /// Batches of `set` for a model of `architecture`: its examples must have the model's input
  /// size and, where both are images, the model's image shape (14×56 images are not 28×28 ones).
  ///
  /// - Throws: `DataError.shapeMismatch` naming the set's source and both shapes.
  public init(_ set: ImageSet, batchSize: Int, for architecture: Architecture) throws {
    try architecture.check(exampleShape: set.exampleShape, source: set.source)
    try self.init(set, batchSize: batchSize, exampleShape: architecture.inputShape)
  }

  /// Batches of `set` to run a model of `architecture` on without training: `batchSize` made
  /// smaller where one batch's activations would not fit `budget`, and the outputs for the whole
  /// set (at most the input's size each) checked against it.
  ///
  /// - Throws: `DataError` as `init(_:batchSize:for:)`; `MemoryBudget.Exceeded`.
  public init(inferenceOn set: ImageSet, batchSize: Int, for architecture: Architecture, budget: MemoryBudget = .current) throws {
    try self.init(set, batchSize: try architecture.inferenceBatchSize(batchSize, budget: budget), for: architecture)
    try budget.check(checkedProduct([set.count, architecture.inputSize, MemoryLayout<Float>.size]) ?? .max,
                     for: "the outputs for \(groupedDigits(set.count)) examples")
  }

  /// The positions in the current order of the examples of batch `index`.
  public func positions(ofBatch index: Int) -> Range<Int> {
    index * batchSize..<min((index + 1) * batchSize, set.count)
  }

  /// Rows `rows` of batch `index` (rows counted from the batch's first example), as a new tensor
  /// `[rows.count] + exampleShape`: one shard of a data-parallel step, gathered by the shard's
  /// own thread.
  public func batch(_ index: Int, rows: Range<Int>) -> Tensor {
    let positions = positions(ofBatch: index)
    precondition(rows.lowerBound >= 0 && rows.upperBound <= positions.count, "rows \(rows) of a batch of \(positions.count)")
    return Tensor(shape: [rows.count] + exampleShape) { out in
      gather(positions.lowerBound + rows.lowerBound..<positions.lowerBound + rows.upperBound, into: out.baseAddress!)
    }
  }

  /// Writes the examples at `positions` of the current order to `out`, one after another, as
  /// floats (bytes scaled to [0, 1]; a table's columns by the set's scaling).
  private func gather(_ positions: Range<Int>, into out: UnsafeMutablePointer<Float>) {
    let size = set.exampleSize
    order[positions].withUnsafeBufferPointer { indices in
      let out = UnsafeSendable(out)
      // Split by rows: a chunk of elements covers rows [lower/size, upper/size).
      Parallel.forEachChunk(positions.count * size) { chunk in
        let first = (chunk.lowerBound + size - 1) / size, last = (chunk.upperBound + size - 1) / size
        guard first < last else { return }
        let n = last - first, from = indices.baseAddress! + first, to = out.value + first * size
        switch set.storage {
        case .bytes(let bytes): bytes.withUnsafeBufferPointer { aek_gather_rows_u8(n, size, from, $0.baseAddress, 255, to) }
        case .floats(let floats): floats.withUnsafeBufferPointer { aek_gather_rows_f32(n, size, from, $0.baseAddress, to) }
        case .mapped(let array): array.gather(rows: UnsafeBufferPointer(start: from, count: n), rowLength: size, into: to)
        }
        set.scaling?.scale(to, count: n * size)
      }
    }
  }
}

extension Architecture {
  /// Throws `DataError.shapeMismatch` unless examples of `exampleShape` fit the model: the input's
  /// size, and for images (rank 2 or 3) the model's image shape (a missing channel dimension is 1).
  public func check(exampleShape: [Int], source: String) throws {
    func image(_ shape: [Int]) -> [Int] { shape.count == 2 ? shape + [1] : shape }
    let size = checkedProduct(exampleShape)
    let imageFits = exampleShape.count < 2 || (imageShape ?? (inputShape.count >= 2 ? inputShape : nil)).map { image($0) == image(exampleShape) } ?? true
    guard size == inputSize, imageFits else {
      throw DataError.shapeMismatch(source: source, examples: exampleShape, model: inputShape, images: imageShape)
    }
  }
}

/// Data that does not fit the model, or no data.
public enum DataError: Error, Equatable, CustomStringConvertible {
  /// Examples of one size or shape given to a model of another.
  case shapeMismatch(source: String, examples: [Int], model: [Int], images: [Int]? = nil)
  /// A set with no examples where some are needed ("training", "validation").
  case empty(source: String, role: String, reason: String)
  /// A saved order of examples (a checkpoint's) that is not a permutation of the set's.
  case badOrder(source: String, count: Int)
  /// Training data other than a checkpoint's (`ImageSet.fingerprint`s: count and hash).
  case changed(source: String, saved: String, now: String)
  /// A value that is not a token id a token model's embedding holds.
  case badToken(source: String, example: Int, value: Float, vocabulary: Int)

  public var description: String {
    switch self {
    case .shapeMismatch(let source, let examples, let model, let images):
      "\(source): examples of shape \(examples) (\(checkedProduct(examples).map(groupedDigits) ?? "too many") values) do not fit the model's "
        + "input \(model) (\(groupedDigits(model.reduce(1, *))) values\(images.map { "; images \($0.map(String.init).joined(separator: "×"))" } ?? ""))"
    case .empty(let source, let role, let reason):
      "\(source): the \(role) set is empty\(reason.isEmpty ? "" : " (\(reason))")"
    case .badOrder(let source, let count):
      "\(source): the saved order of \(groupedDigits(count)) examples is not an order of this training set's examples; was the checkpoint made with other data?"
    case .changed(let source, let saved, let now):
      "\(source): the training data is not the checkpoint's (\(groupedDigits(Int(saved.prefix { $0 != ":" }) ?? 0)) examples hashing to "
        + "\(saved.drop { $0 != ":" }.dropFirst()), now \(groupedDigits(Int(now.prefix { $0 != ":" }) ?? 0)) hashing to \(now.drop { $0 != ":" }.dropFirst())); "
        + "resume with the data and --limit/--validation-split it started with"
    case .badToken(let source, let example, let value, let vocabulary):
      "\(source): example \(example + 1) holds \(value.spelledOut), which is not a token id of the model's embedding (whole numbers 0 to \(vocabulary - 1))"
        + " (give a text file with --text, or ids below \(vocabulary))"
    }
  }
}

extension ImageSet {
  /// Throws `DataError.badToken` for the first value that is not a whole number in
  /// `0 ..< vocabulary`: a token model's embedding has no row for it.
  public func checkTokens(vocabulary: Int) throws {
    for index in 0..<count {
      if let bad = unscaledExample(index).first(where: { !($0 >= 0 && $0 < Float(vocabulary) && $0 == $0.rounded(.down)) }) {
        throw DataError.badToken(source: source, example: index, value: bad, vocabulary: vocabulary)
      }
    }
  }
}
