import Datasets
import AutoencoderKit
import ModelFiles
import TensorCore
import Foundation
import TestSupport
import Testing

/// Every subcommand, end to end, on a small synthetic dataset.
@Suite(.serialized) struct CommandsTests {
  let data: TemporaryDirectory
  let work: TemporaryDirectory

  init() throws {
    data = try CLI.dataFolder()
    work = try TemporaryDirectory()
  }

  func train(_ extra: [String] = []) throws -> CLI.Result {
    try CLI.run(["train", "--data", data.path, "--hidden", "16,4", "--epochs", "3", "--batch-size", "32", "--output", work.path("m.safetensors")] + extra)
  }

  @Test func helpAndVersion() throws {
    let help = try CLI.run(["--help"])
    #expect(help.status == 0 && help.output.contains("SUBCOMMANDS") && help.output.contains("train"))
    #expect(try CLI.run(["--version"]).output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    #expect(try CLI.run(["train", "--help"]).output.contains("--learning-rate"))
  }

  @Test func trainWritesAModelAndAReconstructionFigureAndLearns() throws {
    let result = try train()
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("Epoch 3/3") && result.output.contains("val_loss") && result.output.contains("(nats/pixel)"))
    #expect(result.output.contains("Wrote \(work.path("m.safetensors"))"))
    #expect(FileManager.default.fileExists(atPath: work.path("m-reconstruction.png")))
    #expect(try work.contents() == ["m-reconstruction.png", "m.safetensors"])
  }

  @Test func evaluateReportsTheLossWithItsUnitAsJSON() throws {
    #expect(try train().status == 0)
    let result = try CLI.run(["evaluate", work.path("m.safetensors"), "--data", data.path, "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    #expect((report["loss"] as? Double ?? 0) > 0)
    #expect(report["loss_unit"] as? String == "nats/pixel")
    #expect(report["examples"] as? Int == 60)
    #expect((report["psnr_db"] as? Double ?? 0) > 5)
    // Every relu layer of 784 → 16 → 4 → 16 → 784, with its units that never fired.
    let dead = try #require(report["dead_units"] as? [[String: Any]])
    #expect(dead.map { $0["layer"] as? String } == ["encoder.0", "encoder.1", "decoder.0"])
    #expect(dead.map { $0["units"] as? Int } == [16, 4, 16])
    #expect(dead.allSatisfy { ($0["dead"] as? Int).map { (0...16).contains($0) } ?? false })
    let text = try CLI.run(["evaluate", work.path("m.safetensors"), "--data", data.path])
    #expect(text.output.hasPrefix("binary cross-entropy ") && text.output.contains("nats/pixel on 60 test images"))
  }

  @Test func encodeDecodeAndReconstructRoundTrip() throws {
    #expect(try train().status == 0)
    let model = work.path("m.safetensors")
    let npy = try CLI.run(["encode", model, "--data", data.path, "--output", work.path("codes.npy")])
    #expect(npy.status == 0, "\(npy.error)")
    let codes = try NPY.read(work.path("codes.npy"))
    #expect(codes.shape == [60, 4])
    let csv = try CLI.run(["encode", model, "--data", data.path, "--limit", "5", "--output", work.path("codes.csv")])
    #expect(csv.status == 0)
    let table = try CSV.read(work.path("codes.csv"))
    #expect(table.header == ["label", "z0", "z1", "z2", "z3"] && table.rows.count == 5)
    #expect(table.rows[0].dropFirst().map { $0 } == Array(codes.values.prefix(4)) || zip(table.rows[0].dropFirst(), codes.values.prefix(4)).allSatisfy { abs($0 - $1) < 1e-5 })
    for (codesFile, output) in [("codes.npy", "decoded.png"), ("codes.csv", "decoded.npy")] {
      let decoded = try CLI.run(["decode", model, work.path(codesFile), "--output", work.path(output)])
      #expect(decoded.status == 0, "\(decoded.error)")
    }
    // Decoding the codes gives the model's reconstructions of the same images.
    let decoded = try NPY.read(work.path("decoded.npy"))
    #expect(decoded.shape == [5, 8, 8])
    let file = try ModelFile.read(model)
    let originals = try IDXFolder(data.path).load(.test).prefix(5)
    let reconstructions = try file.model.reconstruct(originals).scalars
    #expect(zip(decoded.values, reconstructions).allSatisfy { abs($0 - $1) < 1e-4 }, "decoded codes differ from reconstructions")
    #expect(decoded.values != Array(repeating: decoded.values[0], count: decoded.values.count))
    let grid = try CLI.run(["reconstruct", model, "--data", data.path, "--count", "4", "--output", work.path("grid.png")])
    #expect(grid.status == 0, "\(grid.error)")
    #expect(FileManager.default.fileExists(atPath: work.path("grid.png")))
  }

  @Test func benchmarkKernelsTimesEveryLayersPasses() throws {
    // The codec preset at batch 8: convolutions and GDN with their kernels and GFLOP/s.
    let result = try CLI.run(["benchmark", "--kernels", "--model", "codec", "--batch-size", "8"])
    #expect(result.status == 0, "\(result.error)")
    let lines = result.output.split(separator: "\n").map(String.init)
    #expect(lines.first?.hasPrefix("One training step of codec, batch 8") == true)
    for layer in ["encoder.0 Conv2D(1 => 32", "encoder.1 GDN(32)", "encoder.2 Conv2D(32 => 32", "decoder.1 IGDN(32)", "decoder.4 Conv2DTranspose(32 => 1"] {
      #expect(lines.contains { $0.hasPrefix(layer) }, "no row for \(layer)")
    }
    // Each GDN layer: a forward row, then a backward row, each the blocked kernel's positive time and rate.
    let gdn = try #require(lines.firstIndex { $0.hasPrefix("encoder.1 GDN(32)") })
    for (offset, pass) in [(0, "forward"), (1, "backward")] {
      let words = lines[gdn + offset].split(separator: " ").map(String.init)
      let at = try #require(words.firstIndex(of: pass))
      #expect(words[at + 1] == "blocked")
      let (microseconds, rate) = (try #require(Int(words[at + 2])), try #require(Double(words[at + 3])))
      #expect(microseconds > 0 && rate > 0)
    }
    #expect(lines.last?.hasPrefix("total") == true)
  }

  @Test func infoDescribesTheModelAndTheSystem() throws {
    #expect(try train().status == 0)
    let info = try CLI.run(["info", work.path("m.safetensors")])
    #expect(info.status == 0)
    #expect(info.output.contains("64 → 16 relu → 4 relu → 16 relu → 64 sigmoid"))
    #expect(info.output.contains("encoder.0") && info.output.contains("Parameters: 2,276"))
    #expect(info.output.contains("History (nats/pixel):"))
    let system = try CLI.run(["info", "--system"])
    #expect(system.status == 0 && system.output.contains("BLAS:") && system.output.contains("SIMD:"))
    let json = try CLI.run(["info", "--system", "--json"])
    #expect(json.output.contains("\"kernelSIMD\""))
  }

  @Test func aConvolutionalSpecTrainsLearnsAndEveryCommandTakesIt() throws {
    let model = work.path("c.safetensors")
    let result = try CLI.run(["train", "--data", data.path, "--architecture", "conv 8 3 relu, pool 2 | up 2, conv 1 3 sigmoid", "--epochs", "4",
                              "--batch-size", "32", "--learning-rate", "0.01", "--loss", "mse", "--output", model])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("8x8x1 → conv 8 3×3 relu → pool 2 → up 2 → conv 1 3×3 sigmoid"))
    let info = try CLI.run(["info", model, "--json"])
    let history = try #require(try JSONSerialization.jsonObject(with: Data(info.output.utf8)) as? [String: Any])["history"] as? [String: Any]
    let losses = try #require(history?["epochs"] as? [[String: Any]]).compactMap { $0["val_loss"] as? Double }
    #expect(losses.count == 4 && losses[3] < 0.5 * losses[0], "validation losses \(losses)")
    #expect(try CLI.run(["info", model]).output.contains("Conv2D(8, 3×3, same, relu)"))
    #expect(try CLI.run(["encode", model, "--data", data.path, "--output", work.path("codes.npy")]).status == 0)
    #expect(try NPY.read(work.path("codes.npy")).shape == [60, 4, 4, 8])
    let decoded = try CLI.run(["decode", model, work.path("codes.npy"), "--output", work.path("decoded.npy")])
    #expect(decoded.status == 0, "\(decoded.error)")
    #expect(try NPY.read(work.path("decoded.npy")).values.count == 60 * 64)
    #expect(try CLI.run(["reconstruct", model, "--data", data.path, "--output", work.path("grid.png")]).status == 0)
    #expect(FileManager.default.fileExists(atPath: work.path("grid.png")))
  }

  @Test func aDenoisingModelReportsNoisyAndDenoisedQuality() throws {
    let model = work.path("d.safetensors")
    let result = try CLI.run(["train", "--data", data.path, "--model", "conv-transpose", "--noise", "gaussian:0.3", "--epochs", "2",
                              "--batch-size", "32", "--output", model])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.output.contains("inputs corrupted by gaussian:0.3 noise") && result.output.contains("clean, with gaussian:0.3 noise, and denoised"))
    let evaluation = try CLI.run(["evaluate", model, "--data", data.path, "--json"])
    let report = try #require(try JSONSerialization.jsonObject(with: Data(evaluation.output.utf8)) as? [String: Any])
    #expect(report["noise"] as? String == "gaussian:0.3")
    let noisy = try #require(report["noisy_psnr_db"] as? Double), ssim = try #require(report["ssim"] as? Double)
    #expect(noisy > 5 && noisy < 20 && ssim > -1 && ssim <= 1 && report["noisy_ssim"] is Double)
    // The validation loss the training recorded is the one evaluate measures: same noise, same seed.
    let info = try #require(try JSONSerialization.jsonObject(with: Data(try CLI.run(["info", model, "--json"]).output.utf8)) as? [String: Any])
    let epochs = try #require((info["history"] as? [String: Any])?["epochs"] as? [[String: Any]])
    #expect(abs((epochs.last?["val_loss"] as? Double ?? 0) - (report["loss"] as? Double ?? 1)) < 1e-4)
  }
}
