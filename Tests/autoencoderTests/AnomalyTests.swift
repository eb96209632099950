import Datasets
import FileIO
import Foundation
import ImageFiles
import ModelFiles
import TestSupport
import Testing

/// Anomaly detection end to end: one-class training, scores, calibration, metrics, plots.
@Suite(.serialized) struct AnomalyTests {
  let data: TemporaryDirectory
  let work: TemporaryDirectory

  init() throws {
    data = try CLI.dataFolder()
    work = try TemporaryDirectory()
  }

  func oneClassModel() throws -> String {
    let model = work.path("one.safetensors")
    let result = try CLI.run(["train", "--data", data.path, "--classes", "0", "--hidden", "8", "--epochs", "3", "--batch-size", "16",
                              "--no-reconstruction", "-o", model])
    #expect(result.status == 0, "\(result.error)")
    return model
  }

  @Test func oneClassTrainingScoresCalibratesAndFlags() throws {
    let model = try oneClassModel()
    #expect(try ModelFile.read(model).training?.classes == [0])
    let scored = try CLI.run(["score", model, "--data", data.path, "--json", "-o", work.path("scores.csv"), "--plot", work.path("roc.png")])
    #expect(scored.status == 0, "\(scored.error)")
    let report = try JSONSerialization.jsonObject(with: Data(scored.output.utf8)) as! [String: Any]
    let auc = try #require(report["roc_auc"] as? Double)
    #expect(auc >= 0 && auc <= 1 && report["examples"] as? Int == 60 && report["anomalies"] as? Int == 54)
    let (header, rows) = try CSV.read(work.path("scores.csv"))
    #expect(header == ["score", "label"] && rows.count == 60)
    let plot = try PNG.read(work.path("roc.png"))
    #expect(plot.width == 1680 && plot.channels == 3)
    // Calibrate in place on class 0's training images, then score labels each example.
    let calibrated = try CLI.run(["calibrate", model, "--data", data.path, "--percentile", "90"])
    #expect(calibrated.status == 0 && calibrated.output.contains("Calibrated on 30 normal examples"), "\(calibrated.error) \(calibrated.output)")
    let file = try ModelFile.read(model)
    #expect(file.calibration?.rule == .percentile(90) && file.calibration?.normalExamples == 30)
    let flagged = try CLI.run(["score", model, "--data", data.path, "-o", work.path("flags.csv")])
    #expect(flagged.status == 0 && flagged.output.contains("flagged anomalous; precision"), "\(flagged.error)")
    #expect(try CSV.read(work.path("flags.csv")).header == ["score", "label", "anomalous"])
  }

  @Test func badRequestsAreOneLine() throws {
    let model = try oneClassModel()
    try CLI.expectFailure(["calibrate", model, "--data", data.path, "--contamination", "0.7"], mentions: ["--contamination 0.7", "(0, 0.5]"])
    try CLI.expectFailure(["calibrate", model, "--data", data.path, "--sigma", "3", "--percentile", "99"], mentions: ["one of"])
    let plain = work.path("plain.safetensors")
    _ = try CLI.run(["train", "--data", data.path, "--hidden", "4", "--epochs", "1", "--no-reconstruction", "-q", "-o", plain])
    // Class labels with no classes named: the scores, no metrics, and what to give for them.
    let scored = try CLI.run(["score", plain, "--data", data.path, "-o", work.path("scores.csv")])
    #expect(scored.status == 0 && scored.output.contains("No metrics") && scored.output.contains("labels are classes (0, 1")
            && scored.output.contains("--anomalous-classes") && !scored.output.contains("normal: ROC-AUC"), "\(scored.error) \(scored.output)")
    #expect(try CSV.read(work.path("scores.csv")).header == ["score", "label"])
    try CLI.expectFailure(["score", plain, "--data", data.path, "--plot", work.path("none.png")], mentions: ["--plot needs to know which examples are anomalous"])
    #expect(!FileIO.exists(work.path("none.png")))
    try CLI.expectFailure(["score", plain, "--data", data.path, "--anomalous-classes", "1", "--normal-classes", "0"], mentions: ["not both"])
    try CLI.expectFailure(["score", plain, "--data", data.path, "--normal-classes", "0", "--flag"], mentions: ["has no anomaly threshold", "calibrate"])
    try CLI.expectFailure(["score", plain, "--data", data.path, "--anomalous-classes", "0,1,2,3,4,5,6,7,8,9", "--plot", work.path("all.png")],
                          mentions: ["--plot needs normal and anomalous examples", "no normal"])
    try CLI.expectFailure(["train", "--data", data.path, "--classes", "300", "-o", work.path("x.safetensors")], mentions: ["--classes"])
    let csv = try work.write(Array("a,b\n1,2\n".utf8), to: "t.csv")
    try CLI.expectFailure(["score", plain, "--data", csv], mentions: ["do not fit the model's input"])
    #expect(!FileIO.exists(work.path("x.safetensors")))
  }

  @Test func everyScoreErrorMapsAndTheirOneLineRefusals() throws {
    let model = try oneClassModel()
    // 8×8 images are too small for the default smoothing; asked for, it is reported.
    for (arguments, name, smoothing) in [([String](), "mse", 0.0), (["--smoothing", "1"], "mse", 1.0), (["--score", "ssim"], "ssim", 0.0),
                                         (["--score", "mae"], "mae", 0.0), (["--score", "loss"], "loss", 0.0)] {
      let scored = try CLI.run(["score", model, "--data", data.path, "--json"] + arguments)
      #expect(scored.status == 0, "\(arguments) \(scored.error)")
      let report = try JSONSerialization.jsonObject(with: Data(scored.output.utf8)) as! [String: Any]
      #expect(report["score"] as? String == name && report["smoothing"] as? Double == smoothing, "\(arguments)")
    }
    let maps = work.path("maps")
    let drawn = try CLI.run(["score", model, "--data", data.path, "--limit", "5", "--smoothing", "1", "--maps", maps])
    #expect(drawn.status == 0 && drawn.output.contains("Wrote 5 error maps"), "\(drawn.error)")
    let names = try FileManager.default.contentsOfDirectory(atPath: maps).sorted()
    #expect(names == ["00000.png", "00001.png", "00002.png", "00003.png", "00004.png"])
    let figure = try PNG.read(maps + "/00000.png")
    #expect(figure.channels == 3 && figure.width > 3 * 8 * 8)
    try CLI.expectFailure(["score", model, "--data", data.path, "--score", "nll"], mentions: ["needs a variational model"])
    try CLI.expectFailure(["score", model, "--data", data.path, "--score", "loss", "--smoothing", "1"], mentions: ["--smoothing applies to the mse and mae"])
    try CLI.expectFailure(["score", model, "--data", data.path, "--per-feature"], mentions: ["-o scores.csv"])
    try CLI.expectFailure(["train", "--data", data.path, "--score", "ssim", "-o", work.path("y.safetensors")], mentions: ["--contamination"])
    try CLI.expectFailure(["train", "--data", data.path, "--hidden", "4", "--score", "nll", "--sigma", "3", "-o", work.path("y.safetensors")],
                          mentions: ["--score nll", "needs a variational model"])
    #expect(!FileIO.exists(work.path("y.safetensors")))
    let file = try work.write(Array("x".utf8), to: "a-file")
    try CLI.expectFailure(["score", model, "--data", data.path, "--maps", file], mentions: ["is a file"])
  }

  @Test func tablesGetPerFeatureErrors() throws {
    var text = "a,b,c\n"
    for row in 0..<80 { text += "\(Double(row % 7)),\(Double(row % 5) * 0.5),\(Double(row % 3) + 1)\n" }
    let csv = try work.write(Array(text.utf8), to: "table.csv")
    let model = work.path("table.safetensors")
    let trained = try CLI.run(["train", "--data", csv, "--hidden", "2", "--epochs", "3", "--batch-size", "16", "--no-reconstruction", "-q", "-o", model])
    #expect(trained.status == 0, "\(trained.error)")
    let scored = try CLI.run(["score", model, "--data", csv, "-o", work.path("t.csv"), "--per-feature"])
    #expect(scored.status == 0, "\(scored.error)")
    let (header, rows) = try CSV.read(work.path("t.csv"))
    #expect(header == ["score", "error_a", "error_b", "error_c"] && rows.count == 80)
    // A row's score is the mean of its features' squared errors.
    for row in rows.prefix(5) { #expect(abs(row[0] - (row[1] + row[2] + row[3]) / 3) < 1e-5 * max(1, row[0])) }
    try CLI.expectFailure(["score", model, "--data", csv, "--maps", work.path("m")], mentions: ["--per-feature"])
    try CLI.expectFailure(["score", model, "--data", csv, "--smoothing", "1"], mentions: ["--smoothing applies to images"])
    try CLI.expectFailure(["score", model, "--data", csv, "--score", "ssim"], mentions: ["ssim score compares images"])
  }

  @Test func trainingCalibratesWithoutASecondPass() throws {
    let model = work.path("calibrated.safetensors")
    let trained = try CLI.run(["train", "--data", data.path, "--classes", "0", "--hidden", "8", "--epochs", "3", "--batch-size", "16",
                               "--no-reconstruction", "-o", model, "--contamination", "0.1"])
    #expect(trained.status == 0 && trained.output.contains("scored in the last epoch's forward passes"), "\(trained.error) \(trained.output)")
    let calibration = try #require(try ModelFile.read(model).calibration)
    #expect(calibration.rule == .contamination(0.1) && calibration.normalExamples == 30 && calibration.score == .mse)
    // The second-pass threshold of the same model is close (the last epoch's scores come before its updates).
    let again = work.path("again.safetensors")
    _ = try CLI.run(["calibrate", model, "--data", data.path, "--contamination", "0.1", "-o", again])
    let second = try #require(try ModelFile.read(again).calibration)
    #expect(abs(second.threshold - calibration.threshold) < 0.25 * second.threshold)
    // A denoising model's training passes see corrupted inputs: it is scored after training.
    let denoising = try CLI.run(["train", "--data", data.path, "--classes", "0", "--hidden", "8", "--epochs", "2", "--noise", "gaussian:0.1",
                                 "--no-reconstruction", "-o", work.path("noisy.safetensors"), "--percentile", "95"])
    #expect(denoising.status == 0 && denoising.output.contains("scored after training"), "\(denoising.error)")
  }

  @Test func variationalModelsScoreByLikelihood() throws {
    let model = work.path("vae.safetensors")
    let trained = try CLI.run(["train", "--data", data.path, "--hidden", "16", "--latent", "2", "--epochs", "2", "--no-reconstruction", "-q", "-o", model])
    #expect(trained.status == 0, "\(trained.error)")
    var means: [String: Double] = [:]
    for kind in ["elbo", "nll"] {
      let scored = try CLI.run(["score", model, "--data", data.path, "--score", kind, "--importance-samples", "16", "--normal-classes", "0", "--json"])
      #expect(scored.status == 0, "\(scored.error)")
      let report = try JSONSerialization.jsonObject(with: Data(scored.output.utf8)) as! [String: Any]
      #expect(report["importance_samples"] as? Int == 16 && report["roc_auc"] is Double)
      means[kind] = report["mean_score"] as? Double
    }
    // In nats per image: the importance-weighted bound lies below the negative ELBO.
    #expect(try #require(means["nll"]) < #require(means["elbo"]) && means["nll"]! > 10)
    try CLI.expectFailure(["score", model, "--data", data.path, "--score", "nll", "--per-feature", "-o", work.path("v.csv")], mentions: ["has none"])
  }
}
