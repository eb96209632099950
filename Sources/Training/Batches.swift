import CKernels
import Datasets
import TensorCore

/// Batches of an `ImageSet` as tensors of a model's input shape, in a seeded shuffled order.
///
/// The batch tensor is reused from step to step (once the previous step's graph has let go of
/// it), so batching allocates nothing per step.
public struct Batches {
  /// The examples.
  public let set: ImageSet
  /// Examples per batch; the last batch of an epoch holds the remainder.
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
    self.batchSize = batchSize
    self.exampleShape = exampleShape
    order = set.range.map(Int64.init)
  }

  /// The number of batches per epoch.
  public var count: Int { (set.count + batchSize - 1) / batchSize }

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
    let size = set.exampleSize
    order[start..<end].withUnsafeBufferPointer { indices in
      tensor.withUnsafeMutableBufferPointer { out in
        // Split by rows: a chunk of elements covers rows [lower/size, upper/size).
        Parallel.forEachChunk(rows * size) { chunk in
          let first = (chunk.lowerBound + size - 1) / size, last = (chunk.upperBound + size - 1) / size
          guard first < last else { return }
          let n = last - first, from = indices.baseAddress! + first, to = out.baseAddress! + first * size
          switch set.storage {
          case .bytes(let bytes): bytes.withUnsafeBufferPointer { aek_gather_rows_u8(n, size, from, $0.baseAddress, 255, to) }
          case .floats(let floats): floats.withUnsafeBufferPointer { aek_gather_rows_f32(n, size, from, $0.baseAddress, to) }
          }
        }
      }
    }
    if rows == batchSize { buffer = tensor }
    return tensor
  }
}

/// Data that does not fit the model.
public enum DataError: Error, Equatable, CustomStringConvertible {
  /// Examples of one size given to a model of another.
  case shapeMismatch(source: String, examples: [Int], model: [Int])

  public var description: String {
    switch self {
    case .shapeMismatch(let source, let examples, let model):
      "\(source): examples of shape \(examples) (\(examples.reduce(1, *)) values) do not fit the model's input \(model) (\(model.reduce(1, *)) values)"
    }
  }
}
