import Autodiff
import Datasets
import Foundation
import NN
import TensorCore

/// How well a model reconstructs a set: the training loss and image-quality measures.
public struct ReconstructionMetrics: Codable, Equatable, Sendable {
  /// The model's training loss (its loss function and reduction), mean over the examples.
  public var loss: Float
  /// Mean squared error per pixel, intensities in [0, 1].
  public var meanSquaredError: Float
  /// Peak signal-to-noise ratio in dB, `10·log10(1 / MSE)` per image, averaged over images
  /// (images reconstructed exactly count as 100 dB).
  public var psnr: Float
  /// The number of examples measured.
  public var examples: Int

  enum CodingKeys: String, CodingKey {
    case loss, meanSquaredError = "mse", psnr, examples
  }
}

extension Trainer {
  /// The loss, MSE and PSNR of the model's reconstructions of every example of `set`.
  public func measure(_ set: ImageSet, batchSize: Int = 1024) throws -> ReconstructionMetrics {
    var batches = try Batches(set, batchSize: batchSize, exampleShape: model.architecture.inputShape)
    var lossTotal: Double = 0, squaredTotal: Double = 0, psnrTotal: Double = 0
    let size = set.exampleSize
    for index in 0..<batches.count {
      let batch = batches.batch(index)
      let rows = batch.shape[0]
      let (value, output) = withoutGradients {
        let output = model(Variable(batch))
        return (loss(predicted: output, expected: batch, reduction: reduction).value.scalar, output.value)
      }
      lossTotal += Double(value) * Double(rows)
      let squared = (output - batch).squared()
      squared.withUnsafeBufferPointer { errors in
        for row in 0..<rows {
          let mse = errors[(row * size)..<((row + 1) * size)].reduce(0.0) { $0 + Double($1) } / Double(size)
          squaredTotal += mse
          psnrTotal += mse > 0 ? min(100, 10 * log10(1 / mse)) : 100
        }
      }
    }
    let count = Double(max(set.count, 1))
    return ReconstructionMetrics(loss: Float(lossTotal / count), meanSquaredError: Float(squaredTotal / count),
                                 psnr: Float(psnrTotal / count), examples: set.count)
  }
}
