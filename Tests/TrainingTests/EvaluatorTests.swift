import Datasets
import Foundation
import NN
import Optimizers
import TensorCore
import TestSupport
import Testing
import Training

@Suite(.serialized) struct EvaluatorTests {
  let data = syntheticImages(count: 300)

  func trained() throws -> Autoencoder {
    var generator = SplitMix64(seed: 3)
    let model = try Autoencoder(.variational(inputSize: 64, hiddenSizes: [32], latent: 2), using: &generator)
    _ = try Trainer(model: model, optimizer: Adam(learningRate: 0.003), reduction: .sum).fit(on: data, epochs: 4, batchSize: 32, using: &generator)
    return model
  }

  @Test func importanceSamplingTightensTheBoundAndRepeats() throws {
    let model = try trained()
    let evaluator = Evaluator(model: model, reduction: .sum)
    let test = data.prefix(60)
    let elbo = try evaluator.terms(on: test)
    let negativeELBO = elbo.terms.reduce(0) { $0 + $1.value }
    let one = try evaluator.negativeLogLikelihood(on: test, samples: 1)
    let many = try evaluator.negativeLogLikelihood(on: test, samples: 200)
    // K = 1 is the ELBO (other draws: close); more samples give a tighter bound, below it.
    #expect(abs(one.nats - Double(negativeELBO)) < 0.02 * Double(negativeELBO))
    #expect(many.nats < one.nats && many.nats < Double(negativeELBO))
    #expect(abs(many.bitsPerDimension - many.nats / (64 * log(2.0))) < 1e-9)
    #expect(try evaluator.negativeLogLikelihood(on: test, samples: 200) == many)  // seeded
    #expect(many.samples == 200 && many.examples == 60)
  }

  @Test func perExampleLikelihoodsAndBoundsForAnomalyScores() throws {
    let model = try trained()
    let evaluator = Evaluator(model: model, reduction: .sum)
    let test = data.prefix(40)
    let (nll, elbo) = try evaluator.negativeLogLikelihoods(on: test, samples: 50)
    #expect(nll.count == 40 && elbo.count == 40)
    // Their mean is the estimate; each example's importance-weighted bound is below its ELBO
    // (log of a mean ≥ mean of logs, Jensen), and the ELBO agrees with the objective's terms.
    #expect(abs(nll.reduce(0, +) / 40 - (try evaluator.negativeLogLikelihood(on: test, samples: 50)).nats) < 1e-9)
    #expect(zip(nll, elbo).allSatisfy { $0 <= $1 + 1e-9 })
    let terms = try evaluator.terms(on: test).terms.reduce(0) { $0 + $1.value }
    #expect(abs(elbo.reduce(0, +) / 40 - Double(terms)) < 0.02 * Double(terms))
  }

  @Test func theLikelihoodNeedsAVariationalBernoulliModel() throws {
    var generator = SplitMix64(seed: 1)
    let plain = try Autoencoder(.dense(inputSize: 64, hiddenSizes: [4]), using: &generator)
    #expect(throws: EvaluationError.notVariational("the log-likelihood")) {
      try Evaluator(model: plain).negativeLogLikelihood(on: data, samples: 5)
    }
    let model = try trained()
    #expect(throws: EvaluationError.notBernoulli(.meanSquaredError)) {
      try Evaluator(model: model, loss: .meanSquaredError).negativeLogLikelihood(on: data, samples: 5)
    }
    #expect(throws: EvaluationError.badSampleCount(0)) { try Evaluator(model: model).negativeLogLikelihood(on: data, samples: 0) }
  }

  @Test func metricsOfAVariationalModelCarryItsTerms() throws {
    let model = try trained()
    let metrics = try Evaluator(model: model, reduction: .sum).metrics(on: data.prefix(50))
    let terms = try #require(metrics.terms)
    #expect(abs(metrics.negativeELBO! - (terms["reconstruction"]! + terms["kl"]!)) < 1e-3)
    #expect(metrics.loss == metrics.negativeELBO && metrics.psnr > 5)
  }
}
