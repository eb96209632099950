import Autodiff
import Datasets
import NN
import TensorCore

/// Running a trained model over whole data sets, batch by batch.
extension Autoencoder {
  /// The codes of every example of `set`, `[count] + codeShape`.
  ///
  /// - Throws: `DataError` when the set does not fit the model; `NonFiniteOutputError` when a
  ///   code is NaN or infinite.
  public func encode(_ set: ImageSet, batchSize: Int = 1024) throws -> Tensor {
    try mapBatches(of: set, batchSize: batchSize, what: "codes") { encode($0) }
  }

  /// A variational model's mean and log-variance of `q(z | x)` for every example of `set`,
  /// `[count, latent]` each.
  ///
  /// - Throws: `EvaluationError.notVariational` for a plain model; as `encode(_:batchSize:)`.
  public func encodeDistribution(_ set: ImageSet, batchSize: Int = 1024) throws -> (mean: Tensor, logVariance: Tensor) {
    guard isVariational else { throw EvaluationError.notVariational("the code's distribution") }
    var logVariances: [Tensor] = []
    let means = try mapBatches(of: set, batchSize: batchSize, what: "codes") { batch in
      let (mean, logVariance) = encodeDistribution(batch)!
      logVariances.append(logVariance)
      return mean
    }
    return (means, Tensor.concatenating(logVariances))
  }

  /// One draw `z = μ + σ ε` from a variational model's `q(z | x)` for every example of `set`,
  /// example `i`'s ε from stream `i` of `seed`: `[count, latent]`.
  public func encodeSamples(_ set: ImageSet, seed: UInt64, batchSize: Int = 1024) throws -> Tensor {
    let (mean, logVariance) = try encodeDistribution(set, batchSize: batchSize)
    let noise = Tensor.randomNormal(rows: mean.shape[0], columns: mean.shape[1], seed: seed, firstRow: 0)
    return withoutGradients { Variable(mean).reparameterized(logVariance: Variable(logVariance), noise: noise).value }
  }

  /// The reconstructions of every example of `set`, `[count] + inputShape`.
  ///
  /// - Throws: as `encode(_:batchSize:)`.
  public func reconstruct(_ set: ImageSet, batchSize: Int = 1024) throws -> Tensor {
    try mapBatches(of: set, batchSize: batchSize, what: "reconstructions") { reconstruct($0) }
  }

  /// The outputs for `codes` (`[count] + codeShape`), in batches.
  ///
  /// - Throws: `InferenceError.codeShape` when the codes do not have the model's code shape.
  public func decode(codes: Tensor, batchSize: Int = 1024) throws -> Tensor {
    let codeShape = try architecture.codeShape()
    guard codes.rank >= 1, codes.count == codes.shape[0] * codeShape.reduce(1, *) else {
      throw InferenceError.codeShape(found: codes.shape, expected: codeShape)
    }
    let set = ImageSet(storage: .floats(codes.scalars), exampleShape: codeShape, source: "codes")
    var outputs: [Tensor] = []
    var batches = try Batches(set, batchSize: try architecture.inferenceBatchSize(batchSize), exampleShape: codeShape)
    for index in 0..<batches.count {
      outputs.append(decode(batches.batch(index)))
      try checkFinite(outputs.last!, what: "decoded images", firstExample: index * batches.batchSize, source: "the codes")
    }
    return Tensor.concatenating(outputs)
  }

  private func mapBatches(of set: ImageSet, batchSize: Int, what: String, _ body: (Tensor) -> Tensor) throws -> Tensor {
    var batches = try Batches(inferenceOn: set, batchSize: batchSize, for: architecture)
    var outputs: [Tensor] = []
    for index in 0..<batches.count {
      outputs.append(body(batches.batch(index)))
      try checkFinite(outputs.last!, what: what, firstExample: index * batches.batchSize, source: set.source)
    }
    return Tensor.concatenating(outputs)
  }
}

/// Inputs that do not fit a model.
public enum InferenceError: Error, Equatable, CustomStringConvertible {
  case codeShape(found: [Int], expected: [Int])

  public var description: String {
    switch self {
    case .codeShape(let found, let expected):
      "codes of shape \(found) do not fit the model's code shape \(expected) (one row of \(expected.reduce(1, *)) values per example)"
    }
  }
}

extension Tensor {
  /// The tensors joined along their first dimension.
  public static func concatenating(_ parts: [Tensor]) -> Tensor {
    guard let first = parts.first else { return Tensor.zeros(shape: [0]) }
    let rows = parts.reduce(0) { $0 + $1.shape[0] }
    return Tensor(shape: [rows] + first.shape.dropFirst()) { out in
      var offset = 0
      for part in parts {
        part.withUnsafeBufferPointer { out.baseAddress!.advanced(by: offset).initialize(from: $0.baseAddress!, count: $0.count) }
        offset += part.count
      }
    }
  }
}
