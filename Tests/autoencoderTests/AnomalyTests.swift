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
    try CLI.expectFailure(["score", plain, "--data", data.path], mentions: ["not 0 (normal) and 1 (anomalous)"])
    try CLI.expectFailure(["score", plain, "--data", data.path, "--anomalous-classes", "1", "--normal-classes", "0"], mentions: ["not both"])
    try CLI.expectFailure(["train", "--data", data.path, "--classes", "300", "-o", work.path("x.safetensors")], mentions: ["--classes"])
    let csv = try work.write(Array("a,b\n1,2\n".utf8), to: "t.csv")
    try CLI.expectFailure(["score", plain, "--data", csv], mentions: ["do not fit the model's input"])
    #expect(!FileIO.exists(work.path("x.safetensors")))
  }
}
