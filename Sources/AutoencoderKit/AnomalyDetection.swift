/// Anomaly detection with a trained autoencoder: each example's score is how badly the model
/// reconstructs it.
extension Autoencoder {
  /// The anomaly score of every example of `set` (`AnomalyScore.score`), in order.
  ///
  /// - Parameter loss: The model's training loss, which `.loss` scores with.
  /// - Throws: as `reconstruct(_:batchSize:)`.
  public func anomalyScores(_ set: ImageSet, score: AnomalyScore, loss: Loss, batchSize: Int = 1024) throws -> [Float] {
    var scores = [Float]()
    scores.reserveCapacity(set.count)
    let size = set.exampleSize
    var start = 0
    while start < set.count {
      let chunk = set.slice(start..<min(start + 4 * batchSize, set.count))
      let outputs = try reconstruct(chunk, batchSize: batchSize)
      outputs.withUnsafeBufferPointer { output in
        for row in 0..<chunk.count {
          let input = chunk.example(row)
          input.withUnsafeBufferPointer { scores.append(AnomalyScore.score(score, loss: loss, input: $0.baseAddress!, output: output.baseAddress! + row * size, count: size)) }
        }
      }
      start += chunk.count
    }
    return scores
  }
}
