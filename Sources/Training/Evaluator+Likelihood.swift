import Autodiff
import CKernels
import Datasets
import Foundation
import NN
import TensorCore

/// An estimate of a variational model's test negative log-likelihood.
public struct LikelihoodEstimate: Codable, Equatable, Sendable {
  /// The mean of `-log p̂(x)` over the examples, in nats per example.
  public var nats: Double
  /// The same in bits per dimension: `nats / (values per example · ln 2)`.
  public var bitsPerDimension: Double
  /// The importance samples per example, K.
  public var samples: Int
  /// The examples measured.
  public var examples: Int

  enum CodingKeys: String, CodingKey {
    case nats = "nll", bitsPerDimension = "nll_bits_per_dim", samples = "importance_samples", examples
  }
}

/// Evaluation that needs a variational model, or a Bernoulli likelihood.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
  case notVariational(String)
  case notBernoulli(Loss)
  case badSampleCount(Int)

  public var description: String {
    switch self {
    case .notVariational(let what): "\(what) needs a variational model (trained with --model vae, vae-pytorch, conv-vae, --latent, or latent N)"
    case .notBernoulli(let loss):
      "the log-likelihood needs a Bernoulli decoder, a model trained with binary cross-entropy; this one was trained with \(loss.name)"
    case .badSampleCount(let count): "--importance-samples \(count): give at least 1"
    }
  }
}

extension Evaluator {
  /// The test negative log-likelihood `-log p(x)` of every example of `set`, estimated with the
  /// importance-weighted bound (Burda, Grosse and Salakhutdinov, 2016) over `samples` draws
  /// `z_k ~ q(z | x)`:
  ///
  ///     log p(x) ≈ log (1/K) Σ_k p(x | z_k) p(z_k) / q(z_k | x)
  ///
  /// with `p(x | z)` the decoder's Bernoulli likelihood (binary cross-entropy, on logits where the
  /// output is a sigmoid), `p(z) = N(0, I)` and `q` the encoder's Gaussian. It is a lower bound on
  /// `log p(x)` that tightens as K grows (K = 1 is the evidence lower bound); papers report K = 5000.
  /// The draws come from per-example streams of the evaluation seed: the same call gives the same
  /// figure. Inputs are not corrupted.
  ///
  /// - Throws: `EvaluationError` for a model that is not variational or not trained with binary
  ///   cross-entropy, or `samples < 1`; `DataError` when the set does not fit the model.
  public func negativeLogLikelihood(on set: ImageSet, samples: Int) throws -> LikelihoodEstimate {
    let perExample = try negativeLogLikelihoods(on: set, samples: samples).nll
    let nats = perExample.reduce(0, +) / Double(max(set.count, 1))
    return LikelihoodEstimate(nats: nats, bitsPerDimension: nats / (Double(set.exampleSize) * Foundation.log(2.0)), samples: samples, examples: set.count)
  }

  /// Each example's importance-sampled negative log-likelihood (as `negativeLogLikelihood(on:samples:)`)
  /// and, from the same draws, its negative evidence lower bound −(1/K) Σ_k log [p(x | z_k) p(z_k) / q(z_k | x)],
  /// both in nats, in data order.
  ///
  /// - Parameter what: What the figures are for, in errors about the model.
  public func negativeLogLikelihoods(on set: ImageSet, samples: Int, for what: String = "the log-likelihood") throws -> (nll: [Double], elbo: [Double]) {
    guard let latent = model.latent else { throw EvaluationError.notVariational(what) }
    guard loss == .binaryCrossEntropy else { throw EvaluationError.notBernoulli(loss) }
    guard samples >= 1 else { throw EvaluationError.badSampleCount(samples) }
    // Each example's K samples are decoded together; as many examples per batch as keep the
    // decoded rows near 8,192 (or the memory budget).
    let rows = try model.architecture.inferenceBatchSize(max(8192, samples))
    let examplesPerBatch = max(1, rows / samples)
    var batches = try Batches(set, batchSize: examplesPerBatch, for: model.architecture)
    let dimensions = latent.latentSize
    var nll = [Double](), elbo = [Double]()
    nll.reserveCapacity(set.count)
    elbo.reserveCapacity(set.count)
    for index in 0..<batches.count {
      let batch = batches.batch(index)
      let count = batch.shape[0], first = index * batches.batchSize
      guard let (mean, logVariance) = model.encodeDistribution(batch) else { continue }
      let noise = Tensor.randomNormal(rows: count, columns: samples * dimensions, seed: samplingSeed ^ 0x11_E1, firstRow: first)
      // z = μ + σ ε for every sample; the log-weights' terms that do not need the decoder.
      var logPriorOverPosterior = [Double](repeating: 0, count: count * samples)
      let codes = Tensor(shape: [count * samples, dimensions]) { z in
        mean.withUnsafeBufferPointer { mu in
          logVariance.withUnsafeBufferPointer { logVar in
            noise.withUnsafeBufferPointer { eps in
              for example in 0..<count {
                for sample in 0..<samples {
                  let row = example * samples + sample
                  var logRatio = 0.0
                  for d in 0..<dimensions {
                    let (m, v, e) = (mu[example * dimensions + d], logVar[example * dimensions + d], eps[row * dimensions + d])
                    let value = m + Foundation.exp(0.5 * v) * e
                    z[row * dimensions + d] = value
                    // log N(z; 0, 1) - log N(z; μ, σ²) = -z²/2 + ε²/2 + log σ (the 2π terms cancel).
                    logRatio += Double(-0.5 * value * value + 0.5 * e * e + 0.5 * v)
                  }
                  logPriorOverPosterior[row] = logRatio
                }
              }
            }
          }
        }
      }
      let logLikelihoods = withoutGradients { bernoulliLogLikelihoods(of: batch, samples: samples, codes: codes) }
      for example in 0..<count {
        let weights = (0..<samples).map { logLikelihoods[example * samples + $0] + logPriorOverPosterior[example * samples + $0] }
        let largest = weights.max()!
        let logMean = largest + Foundation.log(weights.reduce(0) { $0 + Foundation.exp($1 - largest) } / Double(samples))
        guard logMean.isFinite else {
          throw model.nonFinite("the log-likelihood of example \(first + example) of \(set.source) is \(Float(logMean).spelledOut)")
        }
        nll.append(-logMean)
        elbo.append(-weights.reduce(0, +) / Double(samples))
      }
    }
    return (nll, elbo)
  }

  /// `log p(x | z)` under the decoder's Bernoulli outputs for each code: the negative binary
  /// cross-entropy summed over the example's values, example `i` of `inputs` against codes
  /// `i·samples ..< (i + 1)·samples`.
  private func bernoulliLogLikelihoods(of inputs: Tensor, samples: Int, codes: Tensor) -> [Double] {
    let size = inputs.count / max(inputs.shape[0], 1)
    let output = model.decoder(Variable(codes))
    var result = [Double](repeating: 0, count: codes.shape[0])
    inputs.withUnsafeBufferPointer { x in
      if let logits = output.logits {
        logits.value.withUnsafeBufferPointer { l in
          for row in result.indices { result[row] = -aek_bce_logits(size, l.baseAddress! + row * size, x.baseAddress! + (row / samples) * size) }
        }
      } else {
        output.value.withUnsafeBufferPointer { p in
          for row in result.indices {
            var sum = 0.0
            for i in 0..<size {
              let (q, t) = (Double(min(max(p[row * size + i], 1e-7), 1 - 1e-7)), Double(x[(row / samples) * size + i]))
              sum += t * Foundation.log(q) + (1 - t) * Foundation.log(1 - q)
            }
            result[row] = sum
          }
        }
      }
    }
    return result
  }
}
