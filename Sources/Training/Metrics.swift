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
  /// Structural similarity of the reconstructions to the originals (`ImageQuality.ssim`), averaged
  /// over images; nil where the model's image shape is unknown.
  public var ssim: Float?
  /// For a denoising model: the corrupted inputs' PSNR and SSIM against the clean images, to set
  /// beside the denoised ones' (`psnr`, `ssim`).
  public var noisyPSNR: Float?
  public var noisySSIM: Float?
  /// The number of examples measured.
  public var examples: Int
  /// For an objective of several terms (a variational model's), each term's mean; `loss` is then
  /// their weighted sum, with one latent sample per example.
  public var terms: [String: Float]?
  /// A variational model's negative evidence lower bound, `reconstruction + kl` (β = 1), per example.
  public var negativeELBO: Float?

  enum CodingKeys: String, CodingKey {
    case loss, meanSquaredError = "mse", psnr, ssim, noisyPSNR = "noisy_psnr", noisySSIM = "noisy_ssim", examples, terms
    case negativeELBO = "negative_elbo"
  }
}

extension Evaluator {
  /// The loss, MSE, PSNR and SSIM of the model's reconstructions of every example of `set`; for a
  /// denoising model, reconstructions of the inputs corrupted by its noise (with the evaluation
  /// seed), measured against the clean images, and the corrupted inputs' own PSNR and SSIM. For a
  /// variational model the loss is its objective's (`terms(on:)`, one latent sample per example)
  /// and the images are the reconstructions of the codes' means.
  public func metrics(on set: ImageSet, batchSize: Int = 1024) throws -> ReconstructionMetrics {
    var batches = try Batches(inferenceOn: set, batchSize: batchSize, for: model.architecture)
    var lossTotal: Double = 0, squaredTotal: Double = 0, psnrTotal: Double = 0, ssimTotal: Double = 0
    var noisyPSNRTotal: Double = 0, noisySSIMTotal: Double = 0
    let size = set.exampleSize
    let image = model.architecture.displayShape.flatMap { shape in
      size % (shape.height * shape.width) == 0 ? (height: shape.height, width: shape.width, channels: size / (shape.height * shape.width)) : nil
    }
    for index in 0..<batches.count {
      let batch = batches.batch(index)
      let first = index * batches.batchSize
      let input = corrupted(batch, firstExample: first)
      let rows = batch.shape[0]
      let (value, output) = withoutGradients {
        let output = model(Variable(input))
        return (loss(predicted: output, expected: batch, reduction: reduction).value.scalar, output.value)
      }
      try model.checkFinite(output, what: "reconstructions", firstExample: first, source: set.source)
      guard value.isFinite else {
        throw model.nonFinite("the \(loss.name) of the model's outputs on \(set.source) is \(value.spelledOut) (its outputs saturate or overflow)")
      }
      lossTotal += Double(value) * Double(rows)
      output.withUnsafeBufferPointer { outputs in
        batch.withUnsafeBufferPointer { originals in
          input.withUnsafeBufferPointer { inputs in
            for row in 0..<rows {
              let range = (row * size)..<((row + 1) * size)
              let (out, clean, noisy) = (UnsafeBufferPointer(rebasing: outputs[range]), UnsafeBufferPointer(rebasing: originals[range]),
                                         UnsafeBufferPointer(rebasing: inputs[range]))
              let mse = ImageQuality.meanSquaredError(out, clean)
              squaredTotal += mse
              psnrTotal += ImageQuality.psnr(meanSquaredError: mse)
              if let image { ssimTotal += ImageQuality.ssim(out, clean, height: image.height, width: image.width, channels: image.channels) }
              if noise != nil {
                noisyPSNRTotal += ImageQuality.psnr(noisy, clean)
                if let image {
                  noisySSIMTotal += ImageQuality.ssim(noisy, clean, height: image.height, width: image.width, channels: image.channels)
                }
              }
            }
          }
        }
      }
    }
    let count = Double(max(set.count, 1))
    var metrics = ReconstructionMetrics(
      loss: Float(lossTotal / count), meanSquaredError: Float(squaredTotal / count), psnr: Float(psnrTotal / count),
      ssim: image.map { _ in Float(ssimTotal / count) }, noisyPSNR: noise.map { _ in Float(noisyPSNRTotal / count) },
      noisySSIM: noise != nil && image != nil ? Float(noisySSIMTotal / count) : nil, examples: set.count)
    if model.isVariational {
      let terms = try terms(on: set, batchSize: batchSize)
      metrics.loss = terms.total
      metrics.terms = Dictionary(uniqueKeysWithValues: terms.terms.map { ($0.name, $0.value) })
      metrics.negativeELBO = terms.terms.reduce(0) { $0 + $1.value }
    }
    return metrics
  }
}
