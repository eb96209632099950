import Datasets
import Foundation
import ModelFiles
import TestSupport
import Testing

/// Time series from the command line: a CSV of timestamps and values cut into windows, the 1-D
/// convolution preset, and later commands reading a series as the model's training did.
@Suite(.serialized) struct SequenceTests {
  let work: TemporaryDirectory

  init() throws { work = try TemporaryDirectory() }

  /// A daily cycle of 24 steps over 40 days, with a timestamp column: `time,load`.
  func series() throws -> String {
    var lines = ["time,load"]
    for t in 0..<960 { lines.append("2010-01-\(t / 24 + 1) \(t % 24):00,\(String(format: "%.3f", 50 + 20 * sin(Double(t) * 2 * .pi / 24) + Double(t % 7) * 0.1))") }
    return try work.write(Array(lines.joined(separator: "\n").utf8), to: "load.csv")
  }

  @Test func aSeriesTrainsOnItsWindowsAndLaterCommandsReadItTheSameWay() throws {
    let csv = try series(), model = work.path("s.safetensors"), figure = work.path("s.png")
    let result = try CLI.run(["train", "--data", csv, "--value-columns", "load", "--window", "48", "--window-stride", "2", "--model", "conv1d",
                              "--epochs", "6", "--validation-split", "0.1", "-o", model, "--reconstruction", figure])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("411 training and 46 validation examples (last 10% of training) of shape [48, 1]"), "\(result.output)")
    #expect(result.output.contains("48x1 → conv1d 32 7 /2 relu → dropout 0.2 → conv1d 16 7 /2 relu → convt1d 16 7 ×2 relu"))
    let file = try ModelFile.read(model)
    #expect(file.training?.reading?.window == 48 && file.training?.reading?.windowStride == 2 && file.training?.reading?.columns == ["load"])
    #expect(file.data?.scaling?.columns == 1 && file.training?.loss == .meanSquaredError)
    let history = try #require(file.history?.epochs)
    #expect(history.last!.loss < 0.5 * history.first!.loss, "\(history.map(\.loss))")
    #expect(FileManager.default.fileExists(atPath: figure))
    // evaluate reads the series as training did: its columns, windows of 48 (stride as trained).
    let evaluated = try CLI.run(["evaluate", model, "--data", csv, "--json"])
    #expect(evaluated.status == 0, "\(evaluated.error)")
    #expect(evaluated.output.contains("\"examples\" : 457") || evaluated.output.contains("\"examples\":457"), "\(evaluated.output)")
  }

  /// `series()` with a column of 0/1 labels and the load raised by 25 over `anomalies` (step ranges).
  func labelledSeries(_ name: String, steps: Int, anomalies: [Range<Int>]) throws -> String {
    var lines = ["time,load,anomaly"]
    for t in 0..<steps {
      let anomalous = anomalies.contains { $0.contains(t) }
      let load = 50 + 20 * sin(Double(t) * 2 * .pi / 24) + Double(t % 7) * 0.1 + (anomalous ? 25 : 0)
      lines.append("t\(t),\(String(format: "%.3f", load)),\(anomalous ? 1 : 0)")
    }
    return try work.write(Array(lines.joined(separator: "\n").utf8), to: name)
  }

  /// keras-io's recipe: train on a normal series, threshold at the largest training window's
  /// MAE, flag the steps whose every window is above it; here through train, score and the
  /// series' own labels.
  @Test func stepsOfAnInjectedAnomalyAreFlaggedAtTheCalibratedThreshold() throws {
    let normal = try labelledSeries("normal.csv", steps: 960, anomalies: []), test = try labelledSeries("test.csv", steps: 480, anomalies: [100..<112, 300..<306])
    let model = work.path("a.safetensors"), steps = work.path("steps.csv"), plot = work.path("steps.png")
    let trained = try CLI.run(["train", "--data", normal, "--value-columns", "load", "--label-column", "anomaly", "--window", "48", "--model", "conv1d",
                               "--epochs", "10", "--validation-split", "0.1", "--score", "mae", "--percentile", "100", "-o", model])
    #expect(trained.status == 0, "\(trained.error)")
    let scored = try CLI.run(["score", model, "--data", test, "--json", "-o", steps, "--plot", plot])
    #expect(scored.status == 0, "\(scored.error)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(scored.output.utf8)) as? [String: Any])
    #expect(report["examples"] as? Int == 480 && report["windows"] as? Int == 433 && report["anomalies"] as? Int == 18)
    #expect((report["roc_auc"] as? Double ?? 0) > 0.95, "\(report)")
    let atThreshold = try #require(report["at_threshold"] as? [String: Any])
    #expect((atThreshold["precision"] as? Double ?? 0) > 0.8 && (atThreshold["recall"] as? Double ?? 0) > 0.3, "\(atThreshold)")
    let (header, rows) = try CSV.read(steps)
    #expect(header == ["step", "score", "label", "anomalous"] && rows.count == 480 && rows[105][2] == 1 && rows[0][2] == 0)
    #expect(FileManager.default.fileExists(atPath: plot))
    let maps = try CLI.run(["score", model, "--data", test, "--per-feature", "-o", work.path("x.csv")])
    #expect(maps.status != 0 && maps.error.contains("is a time series, scored step by step"), "\(maps.error)")
  }

  /// The LSTM autoencoder on the windows: an LSTM to its last state, repeated over the steps, an
  /// LSTM back and a dense layer at each step.
  @Test func theLSTMAutoencoderLearnsTheWindows() throws {
    let csv = try series(), model = work.path("l.safetensors")
    let result = try CLI.run(["train", "--data", csv, "--value-columns", "load", "--window", "24", "--window-stride", "2", "--model", "lstm",
                              "--epochs", "8", "--learning-rate", "0.01", "-o", model])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("24x1 → lstm 64 → repeat 24 → lstm 64 sequences → 1 identity"), "\(result.output)")
    let history = try #require(try ModelFile.read(model).history?.epochs)
    #expect(history.last!.loss < 0.3 * history.first!.loss, "\(history.map(\.loss))")
  }

  @Test func aWindowLongerThanTheSeriesOrAnImageModelIsRefused() throws {
    let csv = try series()
    let long = try CLI.run(["train", "--data", csv, "--value-columns", "load", "--window", "2000", "--model", "conv1d", "-o", work.path("x.safetensors")])
    #expect(long.status != 0 && long.error.contains("a window of 2,000 steps is longer than the series of 960 steps"), "\(long.error)")
    let images = try CLI.run(["train", "--model", "conv1d", "--limit", "10", "-o", work.path("y.safetensors")])
    #expect(images.status != 0 && images.error.contains("conv1d"), "\(images.error)")
  }
}
