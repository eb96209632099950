import ArgumentParser
import AutoencoderKit
import Foundation

struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure a model's reconstruction loss, MSE, PSNR and SSIM on a dataset split.",
    discussion: "For a denoising model (trained with --noise), the inputs are corrupted by the same noise, with a fixed seed, and the report sets the noisy inputs' PSNR and SSIM beside the denoised ones'.")

  @Argument(help: "The model file.") var model: String
  @OptionGroup var data: DataOptions
  @Option(help: "Which split.") var split: SplitOption = .test
  @Option(help: "The loss to report (default: the one the model was trained with).") var loss: Loss?
  @Option(help: "Examples per batch.") var batchSize = 1024
  @Flag(help: "Print one JSON object.") var json = false
  @OptionGroup var threads: ThreadOptions

  struct Report: Encodable {
    var model: String, data: String, split: String
    var loss: Float, lossUnit: String, lossName: String, reduction: String
    var mse: Float, psnr: Float, ssim: Float?, noise: String?, noisyPSNR: Float?, noisySSIM: Float?, examples: Int
    enum CodingKeys: String, CodingKey {
      case model, data, split, loss, lossUnit = "loss_unit", lossName = "loss_name", reduction, mse, psnr = "psnr_db", ssim, noise
      case noisyPSNR = "noisy_psnr_db", noisySSIM = "noisy_ssim", examples
    }
  }

  func validate() throws { guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") } }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    let set = try IDXFolder(data.data).load(split.split)
    let loss = self.loss ?? file.training?.loss ?? .binaryCrossEntropy
    let reduction = file.training?.reduction ?? .mean
    let trainer = Trainer(model: file.model, optimizer: Adam(), loss: loss, reduction: reduction, noise: file.training?.noise,
                          evaluationNoiseSeed: file.training?.evaluationNoiseSeed ?? 0)
    let metrics = try trainer.measure(set, batchSize: batchSize)
    let report = Report(model: model, data: data.data, split: split.rawValue, loss: metrics.loss, lossUnit: loss.unit(reduction),
                        lossName: loss.name, reduction: reduction.rawValue, mse: metrics.meanSquaredError, psnr: metrics.psnr,
                        ssim: metrics.ssim, noise: file.training?.noise?.description, noisyPSNR: metrics.noisyPSNR,
                        noisySSIM: metrics.noisySSIM, examples: metrics.examples)
    if json { return try printJSON(report) }
    let noise = file.training?.noise
    say("\(loss.name) \(String(format: "%.4f", metrics.loss)) \(report.lossUnit) on \(grouped(metrics.examples)) \(split.rawValue) images of \(data.data)"
      + (noise.map { ", inputs corrupted by \($0) noise" } ?? ""))
    let ssim = metrics.ssim.map { ", SSIM \(String(format: "%.4f", $0))" } ?? ""
    if let noise, let noisyPSNR = metrics.noisyPSNR {
      let noisySSIM = metrics.noisySSIM.map { ", SSIM \(String(format: "%.4f", $0))" } ?? ""
      say("noisy inputs (\(noise)) against the clean images: PSNR \(String(format: "%.2f", noisyPSNR)) dB\(noisySSIM)")
      say("denoised outputs against the clean images:  PSNR \(String(format: "%.2f", metrics.psnr)) dB\(ssim), MSE \(String(format: "%.5f", metrics.meanSquaredError)) intensity²/pixel")
    } else {
      say("MSE \(String(format: "%.5f", metrics.meanSquaredError)) intensity²/pixel, PSNR \(String(format: "%.2f", metrics.psnr)) dB\(ssim)")
    }
  }
}
