import Datasets
import FileIO
import Foundation
import ImageFiles
import TestSupport
import Testing

/// `embed`, end to end: codes and maps written, separation measured, bad requests refused.
@Suite(.serialized) struct EmbedTests {
  let data: TemporaryDirectory
  let work: TemporaryDirectory

  init() throws {
    data = try CLI.dataFolder()
    work = try TemporaryDirectory()
  }

  func trainedModel() throws -> String {
    let model = work.path("m.safetensors")
    let result = try CLI.run(["train", "--data", data.path, "--hidden", "16", "--epochs", "2", "--batch-size", "32", "--no-reconstruction", "-q", "-o", model])
    #expect(result.status == 0, "\(result.error)")
    return model
  }

  @Test func writesCodesMapsAndPlots() throws {
    let model = try trainedModel()
    let result = try CLI.run(["embed", model, "--data", data.path, "-o", work.path("codes.csv"), "--plot", work.path("map.png"),
                              "--projection", "tsne", "--perplexity", "5", "--iterations", "300", "--trustworthiness"])
    #expect(result.status == 0, "\(result.error)")
    let (header, rows) = try CSV.read(work.path("codes.csv"))
    #expect(header == ["label", "x", "y"] && rows.count == 60)
    let map = try PNG.read(work.path("map.png"))
    #expect(map.channels == 3 && map.width == 900)
    #expect(result.output.contains("Trustworthiness (k = 10) of the map: "))
    // Same seed, same map.
    _ = try CLI.run(["embed", model, "--data", data.path, "-o", work.path("again.csv"), "--projection", "tsne", "--perplexity", "5", "--iterations", "300"])
    #expect(try CSV.read(work.path("again.csv")).rows == rows)
    // Without a projection, 16-value codes are written as they are.
    _ = try CLI.run(["embed", model, "--data", data.path, "-o", work.path("codes.npy")])
    #expect(try NPY.read(work.path("codes.npy")).shape == [60, 16])
  }

  @Test func measuresSeparationAsJSON() throws {
    let model = try trainedModel()
    let result = try CLI.run(["embed", model, "--data", data.path, "--knn", "3", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as! [String: Any]
    for key in ["knn_accuracy", "probe_accuracy", "raw_knn_accuracy", "raw_probe_accuracy", "pca_knn_accuracy", "pca_probe_accuracy"] {
      let value = try #require(report[key] as? Double, "\(key)")
      #expect(value >= 0 && value <= 1)
    }
    #expect(report["training_examples"] as? Int == 300 && report["test_examples"] as? Int == 60 && report["width"] as? Int == 16)
    // Raw-value mode needs no model.
    let raw = try CLI.run(["embed", "--data", data.path, "--knn", "1", "--width", "8"])
    #expect(raw.status == 0 && raw.output.contains("PCA-8 of the raw values"), "\(raw.error)")
  }

  @Test func badRequestsAreOneLine() throws {
    let model = try trainedModel()
    try CLI.expectFailure(["embed", model, "--data", data.path], mentions: ["say what to do"])
    try CLI.expectFailure(["embed", model, "--data", data.path, "-o", work.path("c.txt")], mentions: ["must end in .npy or .csv"])
    try CLI.expectFailure(["embed", model, "--data", data.path, "--plot", work.path("m.png"), "--projection", "tsne", "--perplexity", "100"],
                          mentions: ["perplexity"])
    try CLI.expectFailure(["embed", model, "--data", data.path, "--plot", work.path("m.png"), "--projection", "none"], mentions: ["--projection pca or tsne"])
    try CLI.expectFailure(["embed", model, "--data", data.path, "--knn", "0"], mentions: ["--knn 0"])
    try CLI.expectFailure(["embed", model, "--data", data.path, "--knn", "400"], mentions: ["k"])
    let unlabelled = work.path("x.npy")
    try NPY.write(Array(repeating: 0.5, count: 64 * 20), shape: [20, 8, 8], to: unlabelled)
    try CLI.expectFailure(["embed", model, "--data", unlabelled, "--knn", "1"], mentions: ["needs labels"])
    #expect(!FileIO.exists(work.path("m.png")))
  }
}
