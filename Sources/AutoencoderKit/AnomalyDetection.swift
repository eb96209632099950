/// Anomaly detection with a trained autoencoder: each example's score is how badly the model
/// reconstructs it.
extension Autoencoder {
  /// The anomaly score of every example of `set` (`AnomalyScore.score`), in order: batch by
  /// batch, each batch's inputs and reconstructions compared where they lie, nothing copied.
  ///
  /// - Parameter loss: The model's training loss, which `.loss` scores with.
  /// - Throws: `DataError` when the set does not fit the model; `NonFiniteOutputError` when a
  ///   score is NaN or infinite.
  public func anomalyScores(_ set: ImageSet, score: AnomalyScore, loss: Loss, batchSize: Int = 1024) throws -> [Float] {
    var scores = [Float]()
    scores.reserveCapacity(set.count)
    var batches = try Batches(inferenceOn: set, batchSize: batchSize, for: architecture)
    let size = set.exampleSize
    for index in 0..<batches.count {
      let input = batches.batch(index)
      let output = reconstruct(input)
      input.withUnsafeBufferPointer { x in
        output.withUnsafeBufferPointer { y in
          for row in 0..<input.shape[0] {
            scores.append(AnomalyScore.score(score, loss: loss, input: x.baseAddress! + row * size, output: y.baseAddress! + row * size, count: size))
          }
        }
      }
    }
    if let bad = scores.firstIndex(where: { !$0.isFinite }) {
      throw nonFinite("the anomaly score of example \(bad) of \(set.source) is NaN or infinite")
    }
    return scores
  }
}
