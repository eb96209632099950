import ArgumentParser
import AutoencoderKit
import Foundation

struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure a model's reconstruction loss, MSE, PSNR and SSIM on a dataset split; a variational model's negative ELBO and test log-likelihood.",
    discussion: """
      For a denoising model (trained with --noise), the inputs are corrupted by the same noise, with a fixed seed, and the report sets \
      the noisy inputs' PSNR and SSIM beside the denoised ones'. For a variational model: the negative evidence lower bound and its \
      terms (one latent sample per image), and the negative log-likelihood estimated with --importance-samples draws per image \
      (the importance-weighted bound; papers use 5000), in nats per image and bits per dimension. Every draw is seeded.
      """)

  @Argument(help: "The model file.") var model: String
  @OptionGroup var data: DataOptions
  @Option(help: "Which split.") var split: SplitOption = .test
  @Option(help: "The loss to report (default: the one the model was trained with).") var loss: Loss?
  @Option(help: "Examples per batch.") var batchSize = 1024
  @Option(help: ArgumentHelp("A variational model's importance samples per image for the log-likelihood.", valueName: "k"))
  var importanceSamples = 100
  @Flag(help: "Skip a variational model's log-likelihood estimate.") var noLikelihood = false
  @Flag(help: "Print one JSON object.") var json = false
  @OptionGroup var threads: ThreadOptions

  struct Report: Encodable {
    var model: String, data: String, split: String
    var loss: Float, lossUnit: String, lossName: String, reduction: String
    var mse: Float?, psnr: Float?, ssim: Float?, noise: String?, noisyPSNR: Float?, noisySSIM: Float?, examples: Int
    // A variational model's.
    var reconstruction: Float?, kl: Float?, beta: Float?, negativeELBO: Float?, negativeELBOBitsPerDimension: Double?
    var likelihood: LikelihoodEstimate?
    // A codec's: its density's estimate of the rounded codes' bits per pixel, and its λ.
    var rate: Float?, lambda: Float?
    // A token model's cross-entropy in bits per token (per character of a text).
    var bitsPerToken: Double?
    // Every relu layer's units that are zero on every example.
    var deadUnits: [DeadUnits]?
    enum CodingKeys: String, CodingKey {
      case model, data, split, loss, lossUnit = "loss_unit", lossName = "loss_name", reduction, mse, psnr = "psnr_db", ssim, noise
      case noisyPSNR = "noisy_psnr_db", noisySSIM = "noisy_ssim", examples, reconstruction, kl, beta, negativeELBO = "negative_elbo"
      case negativeELBOBitsPerDimension = "negative_elbo_bits_per_dim", rate = "rate_bits_per_pixel", lambda, bitsPerToken = "bits_per_token"
      case deadUnits = "dead_units"
    }
    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(model, forKey: .model)
      try container.encode(data, forKey: .data)
      try container.encode(split, forKey: .split)
      try container.encode(loss, forKey: .loss)
      try container.encode(lossUnit, forKey: .lossUnit)
      try container.encode(lossName, forKey: .lossName)
      try container.encode(reduction, forKey: .reduction)
      try container.encodeIfPresent(mse, forKey: .mse)
      try container.encodeIfPresent(psnr, forKey: .psnr)
      try container.encodeIfPresent(bitsPerToken, forKey: .bitsPerToken)
      try container.encodeIfPresent(ssim, forKey: .ssim)
      try container.encodeIfPresent(noise, forKey: .noise)
      try container.encodeIfPresent(noisyPSNR, forKey: .noisyPSNR)
      try container.encodeIfPresent(noisySSIM, forKey: .noisySSIM)
      try container.encode(examples, forKey: .examples)
      try container.encodeIfPresent(reconstruction, forKey: .reconstruction)
      try container.encodeIfPresent(kl, forKey: .kl)
      try container.encodeIfPresent(beta, forKey: .beta)
      try container.encodeIfPresent(negativeELBO, forKey: .negativeELBO)
      try container.encodeIfPresent(negativeELBOBitsPerDimension, forKey: .negativeELBOBitsPerDimension)
      try container.encodeIfPresent(rate, forKey: .rate)
      try container.encodeIfPresent(lambda, forKey: .lambda)
      try container.encodeIfPresent(deadUnits, forKey: .deadUnits)
      try likelihood?.encode(to: encoder)  // nll, nll_bits_per_dim, importance_samples beside the rest
    }
  }

  func validate() throws {
    guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    guard (1...1_000_000).contains(importanceSamples) else {
      throw ValidationError("--importance-samples \(importanceSamples): give 1 to 1000000 (papers use 5000; --no-likelihood skips the estimate)")
    }
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    let set = try data.examples(for: file, split: split)
    var evaluator = Evaluator(model: file.model, trainedWith: file.training)
    if let loss { evaluator.loss = loss }
    let metrics = try evaluator.metrics(on: set, batchSize: batchSize)
    let variational = file.model.isVariational
    let likelihood = variational && !noLikelihood && evaluator.loss == .binaryCrossEntropy
      ? try evaluator.negativeLogLikelihood(on: set, samples: importanceSamples) : nil
    let bitsPerDimension = { (nats: Float) in Double(nats) / (Double(set.exampleSize) * log(2.0)) }
    let rate = file.model.bottleneck == nil ? nil : try evaluator.terms(on: set, batchSize: batchSize)["rate"]
    var report = Report(model: model, data: data.data, split: split.rawValue, loss: metrics.loss, lossUnit: evaluator.loss.unit(evaluator.reduction, scaled: file.data?.scaling != nil),
                        lossName: evaluator.loss.name, reduction: evaluator.reduction.rawValue, mse: metrics.meanSquaredError, psnr: metrics.psnr,
                        ssim: metrics.ssim, noise: evaluator.noise?.description, noisyPSNR: metrics.noisyPSNR,
                        noisySSIM: metrics.noisySSIM, examples: metrics.examples, reconstruction: metrics.terms?["reconstruction"],
                        kl: metrics.terms?["kl"], beta: variational ? evaluator.beta : nil, negativeELBO: metrics.negativeELBO,
                        negativeELBOBitsPerDimension: metrics.negativeELBO.map(bitsPerDimension), likelihood: likelihood,
                        rate: rate, lambda: rate == nil ? nil : evaluator.rateWeight)
    let tokens = file.model.architecture.vocabulary != nil
    report.deadUnits = tokens ? nil : try file.model.deadUnits(on: set, batchSize: batchSize)
    let dead = (report.deadUnits ?? []).filter { $0.dead > 0 }
    let deadLine = dead.isEmpty ? nil : "relu units zero on every example: \(dead.map(\.summary).joined(separator: ", "))"
    defer { if !json, let deadLine { say(deadLine) } }
    if tokens {
      // Logits are not images: no MSE or PSNR, and the loss in bits too.
      (report.mse, report.psnr, report.ssim) = (nil, nil, nil)
      report.bitsPerToken = Double(metrics.loss) / log(2.0)
    }
    if json { return try printJSON(report) }
    if tokens {
      say("\(evaluator.loss.name) \(String(format: "%.4f", metrics.loss)) \(report.lossUnit) (\(String(format: "%.4f", report.bitsPerToken!)) bits per "
        + "token) on \(grouped(metrics.examples)) windows of \(data.data), each predicted from its own start")
      return
    }
    let source = "\(grouped(metrics.examples)) \(split.rawValue) images of \(data.data)"
    let ssim = metrics.ssim.map { ", SSIM \(String(format: "%.4f", $0))" } ?? ""
    if variational, let elbo = metrics.negativeELBO, let terms = metrics.terms {
      say("negative ELBO \(String(format: "%.2f", elbo)) \(report.lossUnit) (reconstruction \(String(format: "%.2f", terms["reconstruction"] ?? .nan)), "
        + "kl \(String(format: "%.2f", terms["kl"] ?? .nan))) on \(source); "
        + String(format: "%.4f nats/pixel, %.4f bits/dim", Double(elbo) / Double(set.exampleSize), bitsPerDimension(elbo)))
      if evaluator.beta != 1 { say("training loss (β \(evaluator.beta)): \(String(format: "%.2f", metrics.loss)) \(report.lossUnit)") }
      if let likelihood {
        say("negative log-likelihood \(String(format: "%.2f", likelihood.nats)) nats/image, "
          + String(format: "%.4f bits/dim", likelihood.bitsPerDimension) + " (importance-weighted bound, K = \(likelihood.samples))")
      }
      say("mean reconstructions: MSE \(String(format: "%.5f", metrics.meanSquaredError)) intensity²/pixel, PSNR \(String(format: "%.2f", metrics.psnr)) dB\(ssim)")
      return
    }
    let noise = evaluator.noise
    if let rate {
      say(String(format: "rate %.4f bits/pixel: the density's estimate for the rounded codes (compress --report gives a file's), λ %g", rate,
                 evaluator.rateWeight))
    }
    say("\(evaluator.loss.name) \(String(format: "%.4f", metrics.loss)) \(report.lossUnit) on \(source)"
      + (noise.map { ", inputs corrupted by \($0) noise" } ?? ""))
    if let noise, let noisyPSNR = metrics.noisyPSNR {
      let noisySSIM = metrics.noisySSIM.map { ", SSIM \(String(format: "%.4f", $0))" } ?? ""
      say("noisy inputs (\(noise)) against the clean images: PSNR \(String(format: "%.2f", noisyPSNR)) dB\(noisySSIM)")
      say("denoised outputs against the clean images:  PSNR \(String(format: "%.2f", metrics.psnr)) dB\(ssim), MSE \(String(format: "%.5f", metrics.meanSquaredError)) intensity²/pixel")
    } else {
      say("MSE \(String(format: "%.5f", metrics.meanSquaredError)) intensity²/pixel, PSNR \(String(format: "%.2f", metrics.psnr)) dB\(ssim)")
    }
  }
}
