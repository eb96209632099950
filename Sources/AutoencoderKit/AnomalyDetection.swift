/// Anomaly detection with a trained autoencoder: each example's score is how badly the model
/// reconstructs it, or for a variational model how unlikely it finds it.
extension Autoencoder {
  /// The anomaly score of every example of `set`, in order: batch by batch, each batch's inputs and
  /// reconstructions compared where they lie by `scorer`, examples split over the threads. A
  /// variational model's `elbo` and `nll` scores come from `samples` importance samples each.
  ///
  /// - Parameters:
  ///   - each: Called with every batch's first example, inputs and outputs (per-value scores only),
  ///     for the error maps and per-feature errors of some examples.
  /// - Throws: `DataError` when the set does not fit the model; `EvaluationError` for a variational
  ///   score of a model that is not variational or not Bernoulli; `NonFiniteOutputError` when a
  ///   score is NaN or infinite.
  public func anomalyScores(_ set: ImageSet, scorer: AnomalyScorer, samples: Int = 64, batchSize: Int = 1024,
                            each: ((_ first: Int, _ input: Tensor, _ output: Tensor) throws -> Void)? = nil) throws -> [Float] {
    var scores: [Float]
    if scorer.kind.isVariational {
      let evaluator = Evaluator(model: self, loss: scorer.loss)
      let (nll, elbo) = try evaluator.negativeLogLikelihoods(on: set, samples: samples, for: "the \(scorer.kind.rawValue) score")
      scores = (scorer.kind == .nll ? nll : elbo).map(Float.init)
    } else if each == nil {
      // Each thread takes whole small batches (one in `threads`), from gathering the inputs to the
      // scores: no barrier between the model's operations, and a batch's outputs stay in the core's
      // cache for the scorer.
      scores = [Float](repeating: 0, count: set.count)
      let batches = try Batches(inferenceOn: set, batchSize: min(batchSize, 128), for: architecture)
      let threads = min(Parallel.threads, batches.count)
      scores.withUnsafeMutableBufferPointer { out in
        let out = UnsafeSendable(out.baseAddress!)
        Parallel.forEachShard(threads) { shard in
          for index in stride(from: shard, to: batches.count, by: threads) {
            let input = batches.batch(index, rows: 0..<batches.positions(ofBatch: index).count)
            let output = reconstruct(input)
            input.withUnsafeBufferPointer { x in
              output.withUnsafeBufferPointer { y in
                scorer.scores(input: x.baseAddress!, output: y.baseAddress!, rows: input.shape[0], into: out.value + index * batches.batchSize)
              }
            }
          }
        }
      }
    } else {
      scores = [Float](repeating: 0, count: set.count)
      var batches = try Batches(inferenceOn: set, batchSize: batchSize, for: architecture)
      for index in 0..<batches.count {
        let input = batches.batch(index)
        let output = reconstruct(input)
        let first = index * batches.batchSize
        input.withUnsafeBufferPointer { x in
          output.withUnsafeBufferPointer { y in
            scores.withUnsafeMutableBufferPointer { out in
              scorer.scores(input: x.baseAddress!, output: y.baseAddress!, rows: input.shape[0], into: out.baseAddress! + first)
            }
          }
        }
        try each?(first, input, output)
      }
    }
    if let bad = scores.firstIndex(where: { !$0.isFinite }) {
      throw nonFinite("the anomaly score of example \(bad) of \(set.source) is NaN or infinite")
    }
    return scores
  }
}
