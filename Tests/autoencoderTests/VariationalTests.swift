import AutoencoderKit
import Foundation
import ModelFiles
import TestSupport
import Testing

/// Variational autoencoders end to end: training, the files, evaluation, generation, and bad input.
@Suite(.serialized) struct VariationalTests {
  let data: TemporaryDirectory
  let work: TemporaryDirectory

  init() throws {
    data = try CLI.dataFolder()
    work = try TemporaryDirectory()
  }

  var model: String { work.path("vae.safetensors") }

  func train(_ extra: [String] = []) throws -> CLI.Result {
    try CLI.run(["train", "--data", data.path, "--hidden", "32", "--latent", "2", "--epochs", "3", "--batch-size", "32", "--output", model] + extra)
  }

  @Test func trainingLogsEveryTermAndTheFileHoldsTheModel() throws {
    let result = try train(["--beta", "2", "--kl-warmup", "1"])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("64 → 32 relu → latent 2 → 32 relu → 64 sigmoid"))
    #expect(result.output.contains("binary cross-entropy summed per image + β·KL (β 2.0), KL weight warmed up over 1 epochs"))
    let epoch = try #require(result.output.split(separator: "\n").first { $0.hasPrefix("Epoch 3/3") })
    for part in ["loss ", "reconstruction ", "kl ", "kl_weight 2.0000", "val_loss ", "val_reconstruction ", "val_kl ", "(nats/image; val_loss ", "bits/dim)"] {
      #expect(epoch.contains(part), "\(epoch) should show \(part)")
    }
    let file = try ModelFile.read(model)
    #expect(file.model.isVariational && file.training?.beta == 2 && file.training?.reduction == .sum)
    #expect(file.history?.epochs.last?.terms.keys.sorted() == ["kl", "reconstruction"])
    let info = try CLI.run(["info", model])
    #expect(info.output.contains("Variational: a 2-dimensional Gaussian latent") && info.output.contains("val_kl"))
    #expect(info.output.contains("latent     GaussianLatent(2: mean and log-variance)"))
  }

  @Test func evaluateReportsTheNegativeELBOAndTheLikelihood() throws {
    #expect(try train().status == 0)
    let result = try CLI.run(["evaluate", model, "--data", data.path, "--importance-samples", "50", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    let (elbo, nll) = (try #require(report["negative_elbo"] as? Double), try #require(report["nll"] as? Double))
    #expect(abs(elbo - (report["reconstruction"] as! Double) - (report["kl"] as! Double)) < 1e-3)
    #expect(nll < elbo && report["importance_samples"] as? Int == 50 && report["nll_bits_per_dim"] is Double)
    // The same command gives the same figures; the last epoch's val_loss is the negative ELBO.
    #expect(try CLI.run(["evaluate", model, "--data", data.path, "--importance-samples", "50", "--json"]).output == result.output)
    #expect(abs(Double(try ModelFile.read(model).history!.epochs.last!.validationLoss!) - elbo) < 1e-3)
    let text = try CLI.run(["evaluate", model, "--data", data.path, "--importance-samples", "5"])
    #expect(text.output.hasPrefix("negative ELBO ") && text.output.contains("negative log-likelihood") && text.output.contains("K = 5"))
  }

  @Test func sampleInterpolateManifoldAndEncode() throws {
    #expect(try train().status == 0)
    let sample = try CLI.run(["sample", model, "--count", "12", "--output", work.path("samples.png")])
    #expect(sample.status == 0, "\(sample.error)")
    let grid = try PNG.read(work.path("samples.png"))
    #expect(grid.width == 2 + 4 * (16 + 2) && grid.height == 2 + 3 * (16 + 2))  // 4 columns of 8×8 images at scale 2
    #expect(try CLI.run(["sample", model, "--count", "3", "--seed", "5", "--output", work.path("a.npy")]).status == 0)
    #expect(try CLI.run(["sample", model, "--count", "3", "--seed", "5", "--output", work.path("b.npy")]).status == 0)
    #expect(try NPY.read(work.path("a.npy")).values == (try NPY.read(work.path("b.npy")).values))
    #expect(try NPY.read(work.path("a.npy")).shape == [3, 8, 8])
    let strip = try CLI.run(["interpolate", model, "--data", data.path, "--from", "0", "--to", "5", "--steps", "6", "--spherical",
                             "--output", work.path("strip.png")])
    #expect(strip.status == 0, "\(strip.error)")
    #expect(try PNG.read(work.path("strip.png")).width == 2 + 8 * (16 + 2))  // the two images and 6 decoded codes
    let manifold = try CLI.run(["manifold", model, "--size", "5", "--output", work.path("manifold.png")])
    #expect(manifold.status == 0 && manifold.output.contains("from -1.64 to 1.64"), "\(manifold.error)")
    // The grid of 5×5 images at scale 2 (2 + 5 · (16 + 2) pixels a side), with its labels around it.
    let figure = try PNG.read(work.path("manifold.png"))
    #expect(figure.width > 92 + 20 && figure.height > 92 + 30)
    let codes = try CLI.run(["encode", model, "--data", data.path, "--code", "distribution", "--output", work.path("codes.csv")])
    #expect(codes.status == 0)
    #expect(try CSV.read(work.path("codes.csv")).header == ["label", "mean0", "mean1", "logvar0", "logvar1"])
  }

  @Test func badInputIsNamed() throws {
    let plain = work.path("plain.safetensors")
    #expect(try CLI.run(["train", "--data", data.path, "--hidden", "4", "--epochs", "1", "--output", plain, "--no-reconstruction"]).status == 0)
    try CLI.expectFailure(["sample", plain, "--output", work.path("s.png")], mentions: [plain, "sampling needs a variational model"])
    try CLI.expectFailure(["manifold", plain, "--output", work.path("m.png")], mentions: [plain, "the manifold needs a variational model"])
    try CLI.expectFailure(["evaluate", plain, "--data", data.path, "--importance-samples", "0"], mentions: ["--importance-samples 0"])
    try CLI.expectFailure(["train", "--data", data.path, "--model", "vae", "--beta=-1"], mentions: ["--beta -1.0"])
    try CLI.expectFailure(["train", "--data", data.path, "--hidden", "4", "--beta", "2"], mentions: ["--beta and --kl-warmup apply to variational models"])
    try CLI.expectFailure(["train", "--data", data.path, "--model", "vae", "--reduction", "mean"], mentions: ["--reduction mean"])
    try CLI.expectFailure(["train", "--data", data.path, "--model", "conv", "--latent", "2"], mentions: ["--latent 2", "conv is not variational"])
    try CLI.expectFailure(["sample", plain, "--count", "0"], mentions: ["--count 0"])
    #expect(try train().status == 0)
    try CLI.expectFailure(["interpolate", model, "--data", data.path, "--from", "0", "--to", "60"], mentions: ["--to 60", "60 images (0 to 59)"])
    try CLI.expectFailure(["manifold", model, "--dimensions", "0,2"], mentions: ["--dimensions 0,2", "the latent has 2"])
    try CLI.expectFailure(["encode", plain, "--data", data.path, "--code", "sample"], mentions: ["--code sample", "not a variational model"])
    #expect(!FileManager.default.fileExists(atPath: work.path("s.png")) && !FileManager.default.fileExists(atPath: work.path("m.png")))
  }
}
