import Foundation
import NN
import Optimizers
import TensorCore
import TestSupport
import Testing

/// The problem scripts/reference/keras_optimizers.py runs through Keras 3.15.1: θ₀ = [0.5, -1, 2, 0]
/// and, at step t, g[i] = sin(t + i)·(i + 1)/2.
enum ReferenceProblem {
  static let theta0: [Float] = [0.5, -1.0, 2.0, 0.0]

  static func gradient(step t: Int) -> [Float] {
    (0..<4).map { i in Float(Foundation.sin(Double(t + i)) * Double(i + 1) / 2) }
  }

  /// θ after each of five steps of `optimizer`, on a one-weight Dense layer standing in for a model,
  /// with the four-element problem repeated `tiles` times (each copy must move the same way).
  static func run(_ optimizer: any Optimizer, tiles: Int = 1) -> [[Float]] {
    let model = Dense(weight: Tensor(shape: [1, 4 * tiles], scalars: Array([[Float]](repeating: theta0, count: tiles).joined())))
    return (1...5).map { t in
      let g = Array([[Float]](repeating: gradient(step: t), count: tiles).joined())
      optimizer.update(model, along: Gradients(["weight": Tensor(shape: [1, 4 * tiles], scalars: g)]))
      return model.weight.value.scalars
    }
  }

  /// Checks every step against Keras's values: on the four elements, and on 5,000 copies of
  /// them, whose update is split across two threads.
  static func expectMatches(_ optimizer: @autoclosure () -> any Optimizer, _ keras: [[Float]],
                            sourceLocation: SourceLocation = #_sourceLocation) {
    for (step, (ours, theirs)) in zip(run(optimizer()), keras).enumerated() {
      expectClose(ours, theirs, rtol: 2e-6, atol: 2e-7, "step \(step + 1)", sourceLocation: sourceLocation)
    }
    let tiles = 5000
    let split = Parallel.withThreads(2) { run(optimizer(), tiles: tiles) }
    for (step, (ours, theirs)) in zip(split, keras).enumerated() {
      let expected = Array([[Float]](repeating: theirs, count: tiles).joined())
      expectClose(ours, expected, rtol: 2e-6, atol: 2e-7, "step \(step + 1), split across threads", sourceLocation: sourceLocation)
    }
  }
}
