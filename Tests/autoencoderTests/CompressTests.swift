import Datasets
import FileIO
import Foundation
import ImageFiles
import ModelFiles
import TestSupport
import Testing

/// `compress` and `decompress` end to end: IDX and PNG inputs, PNG and IDX outputs, the report,
/// and every bad input getting one line and no output.
@Suite(.serialized) struct CompressTests {
  let data: TemporaryDirectory
  let work: TemporaryDirectory
  let model: String

  init() throws {
    data = try CLI.dataFolder()
    work = try TemporaryDirectory()
    model = work.path("dense.safetensors")
    let trained = try CLI.run(["train", "--data", data.path, "--hidden", "8", "--epochs", "2", "--batch-size", "32", "--no-reconstruction", "-o", model])
    #expect(trained.status == 0, "\(trained.error)")
  }

  @Test func anIDXSplitRoundTripsThroughTheFile() throws {
    let compressed = try CLI.run(["compress", model, data.path, "--bits", "6", "--report", "--json", "-o", work.path("test.aec")])
    #expect(compressed.status == 0, "\(compressed.error)")
    let report = try JSONSerialization.jsonObject(with: Data(compressed.output.utf8)) as! [String: Any]
    let size = try FileManager.default.attributesOfItem(atPath: work.path("test.aec"))[.size] as! Int
    #expect(report["images"] as? Int == 60 && report["bytes"] as? Int == size && report["quantization"] as? String == "6 bits per value")
    #expect(report["estimated_bits_per_pixel"] == nil)  // only a rate-trained codec estimates its rate
    #expect(abs((report["bits_per_pixel"] as! Double) - Double(size * 8) / Double(60 * 64)) < 1e-12)
    let psnr = try #require(report["psnr"] as? Double)
    #expect(psnr > 10 && psnr < 60)
    // Back as PNG files and as one IDX file, equal to each other.
    let folder = try CLI.run(["decompress", model, work.path("test.aec"), "-o", work.path("out")])
    #expect(folder.status == 0 && folder.output.contains("Wrote 60 PNG files of 8×8"), "\(folder.error)")
    let idx = try CLI.run(["decompress", model, work.path("test.aec"), "-o", work.path("out-idx3-ubyte")])
    #expect(idx.status == 0, "\(idx.error)")
    let images = try IDX.read(work.path("out-idx3-ubyte"), rank: 3)
    #expect(images.shape == [60, 8, 8])
    #expect(try PNG.read(work.path("out/00059.png")).pixels == Array(images.bytes[(59 * 64)...]))
    // The PSNR reported is the decoded images' against the originals.
    let originals = try IDXFolder(data.path).load(.test)
    var total = 0.0
    for index in 0..<60 {
      let original = originals.example(index)
      let mse = (0..<64).reduce(0.0) { sum, pixel in
        let difference = Double(images.bytes[index * 64 + pixel]) / 255 - Double(original[pixel])
        return sum + difference * difference
      } / 64
      total += 10 * log10(1 / mse)
    }
    #expect(abs(total / 60 - psnr) < 1e-4)
  }

  @Test func pngFilesKeepTheirNames() throws {
    for (index, name) in ["b.png", "a.png"].enumerated() {
      let pixels = (0..<64).map { UInt8(($0 * 3 + index * 50) % 256) }
      try PNG.write(Image(width: 8, height: 8, channels: 1, pixels: pixels), to: work.path(name))
    }
    let compressed = try CLI.run(["compress", model, work.path("b.png"), work.path("a.png"), "--step", "0.05", "-o", work.path("two.aec")])
    #expect(compressed.status == 0 && compressed.output.contains("2 images"), "\(compressed.error)")
    let decompressed = try CLI.run(["decompress", model, work.path("two.aec"), "-o", work.path("named")])
    #expect(decompressed.status == 0, "\(decompressed.error)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: work.path("named")).sorted() == ["a.png", "b.png"])
  }

  @Test func strippedFilesLeaveTheNamesOutAndOneImageGoesToAPNGFile() throws {
    let pixels = (0..<64).map { UInt8(($0 * 5) % 256) }
    try PNG.write(Image(width: 8, height: 8, channels: 1, pixels: pixels), to: work.path("shirt.png"))
    let named = try CLI.run(["compress", model, work.path("shirt.png"), "--step", "0.05", "-o", work.path("named.aec")])
    let stripped = try CLI.run(["compress", model, work.path("shirt.png"), "--step", "0.05", "--strip", "-o", work.path("stripped.aec")])
    #expect(named.status == 0 && stripped.status == 0, "\(named.error) \(stripped.error)")
    let (full, bare) = (try FileIO.readBytes(work.path("named.aec")), try FileIO.readBytes(work.path("stripped.aec")))
    // Exactly the two names fewer, "dense.safetensors" (17 bytes; its length, now 0, stays) and "shirt.png" (9 and its length).
    #expect(full.count - bare.count == 17 + (1 + 9), "\(full.count) against \(bare.count) bytes")
    #expect(!String(decoding: bare, as: UTF8.self).contains("dense") && !String(decoding: bare, as: UTF8.self).contains("shirt"))
    // One image to a PNG file: the same pixels as the folder output's 00000.png.
    let one = try CLI.run(["decompress", model, work.path("stripped.aec"), "-o", work.path("back.png")])
    #expect(one.status == 0 && one.output.contains("Wrote \(work.path("back.png")): one 8×8 image"), "\(one.error)")
    let again = try CLI.run(["decompress", model, work.path("stripped.aec"), "-o", work.path("back.png")])  // over the PNG file it wrote
    #expect(again.status == 0, "\(again.error)")
    let folder = try CLI.run(["decompress", model, work.path("stripped.aec"), "-o", work.path("bare")])
    #expect(folder.status == 0, "\(folder.error)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: work.path("bare")) == ["00000.png"])
    #expect(try PNG.read(work.path("back.png")).pixels == PNG.read(work.path("bare/00000.png")).pixels)
    // Another model's file names no model when stripped; a file of several images will not go to one PNG file.
    let other = work.path("other.safetensors")
    let trained = try CLI.run(["train", "--data", data.path, "--hidden", "4", "--epochs", "1", "--no-reconstruction", "-o", other])
    #expect(trained.status == 0, "\(trained.error)")
    try CLI.expectFailure(["decompress", other, work.path("stripped.aec"), "-o", work.path("never.png")],
                          mentions: ["stripped.aec: made by another model (fingerprint", "not by other.safetensors"])
    let many = try CLI.run(["compress", model, data.path, "--limit", "3", "--strip", "-o", work.path("three.aec")])
    #expect(many.status == 0, "\(many.error)")
    try CLI.expectFailure(["decompress", model, work.path("three.aec"), "-o", work.path("never.png")], mentions: ["holds 3 images", "give a folder"])
    #expect(!FileIO.exists(work.path("never.png")))
  }

  @Test func aRateTrainedCodecCompressesUnderItsOwnTables() throws {
    let codec = work.path("codec.safetensors")
    let trained = try CLI.run(["train", "--data", data.path, "--model", "codec", "--lambda", "0.05", "--epochs", "2", "--batch-size", "32",
                               "--no-reconstruction", "-o", codec])
    #expect(trained.status == 0 && trained.output.contains("mean squared error + λ·rate in bits per pixel (λ 0.05)"), "\(trained.error)")
    #expect(trained.output.contains(" rate ") && trained.output.contains("val_rate"))
    let file = try ModelFile.read(codec)
    #expect(file.training?.lambda == 0.05 && file.entropyTables?.count == 16 && file.history?.epochs.compactMap { $0.validationTerms?["rate"] }.count == 2)
    // Training ends by fitting context tables to the training images' codes (8×8 images: 2×2 codes).
    let contextTables = try #require(file.contextTables)
    #expect(contextTables.grid == [2, 2] && contextTables.codes == 300 && trained.output.contains("Context tables: 16 sets per cell of a 2×2 code and signed neighbourhood (±2)"))
    #expect(contextTables.neighbourhood == .signed(limit: 2) && contextTables.priorWeight == 16)
    let compressed = try CLI.run(["compress", codec, data.path, "--report", "--json", "-o", work.path("codec.aec")])
    #expect(compressed.status == 0, "\(compressed.error)")
    let report = try JSONSerialization.jsonObject(with: Data(compressed.output.utf8)) as! [String: Any]
    #expect(report["quantization"] as? String == "rounded (a rate-trained codec)" && report["context_tables"] as? Bool == true)
    // Without them, the file costs about what the density estimates (the rANS state and escapes aside).
    let perChannel = work.path("codec-no-context.safetensors")
    var untabled = file
    untabled.contextTables = nil
    try untabled.write(to: perChannel)
    let plain = try CLI.run(["compress", perChannel, data.path, "--report", "--json", "-o", work.path("codec-plain.aec")])
    let plainReport = try JSONSerialization.jsonObject(with: Data(plain.output.utf8)) as! [String: Any]
    let estimate = try #require(plainReport["estimated_bits_per_pixel"] as? Double), payload = try #require(plainReport["payload_bits_per_pixel"] as? Double)
    #expect(plainReport["context_tables"] as? Bool == false && report["estimated_bits_per_pixel"] as? Double == estimate)
    #expect(payload >= estimate * 0.98 && payload <= estimate * 1.1 + 0.1, "payload \(payload) against the estimate \(estimate)")
    // fit-tables: again, on the test split, into another file; the same network, another fingerprint.
    let refitted = try CLI.run(["fit-tables", codec, "--data", data.path, "--split", "test", "-o", work.path("refit.safetensors")])
    #expect(refitted.status == 0 && refitted.output.contains("per cell of a 2×2 code and signed neighbourhood (±2), 16 channels, counted from 60 codes"),
            "\(refitted.error)")
    #expect(try ModelFile.read(work.path("refit.safetensors")).contextTables?.codes == 60)
    try CLI.expectFailure(["decompress", work.path("refit.safetensors"), work.path("codec.aec"), "-o", work.path("never")],
                          mentions: ["codec.aec", "made by the model codec.safetensors", "not by refit.safetensors"])
    let info = try CLI.run(["info", work.path("refit.safetensors")])
    #expect(info.output.contains("context tables 16 sets per cell of a 2×2 code and signed neighbourhood (±2)"))
    // The tables before December 2026: the magnitude neighbourhood, add-½.
    let magnitude = try CLI.run(["fit-tables", codec, "--data", data.path, "--split", "test", "--neighbourhood", "magnitude", "--prior-weight", "0",
                                 "-o", work.path("magnitude.safetensors")])
    #expect(magnitude.status == 0 && magnitude.output.contains("per cell of a 2×2 code and neighbourhood, 16 channels"), "\(magnitude.error)")
    let magnitudeTables = try #require(try ModelFile.read(work.path("magnitude.safetensors")).contextTables)
    #expect(magnitudeTables.neighbourhood == .magnitude && magnitudeTables.priorWeight == 0)
    try CLI.expectFailure(["fit-tables", work.path("refit.safetensors"), "--data", work.path("missing"), "-o", work.path("never.safetensors")],
                          mentions: [work.path("missing")])
    #expect(!FileIO.exists(work.path("never.safetensors")))
    let decompressed = try CLI.run(["decompress", codec, work.path("codec.aec"), "-o", work.path("codec-out")])
    #expect(decompressed.status == 0, "\(decompressed.error)")
    // One image, stripped: the compact form (version 4), 17 bytes beside its payload (12×8 is not the
    // model's own size), back to a PNG file.
    try PNG.write(Image(width: 12, height: 8, channels: 1, pixels: (0..<96).map { UInt8(($0 * 9) % 256) }), to: work.path("one.png"))
    let compact = try CLI.run(["compress", codec, work.path("one.png"), "--strip", "--report", "--json", "-o", work.path("one.aec")])
    #expect(compact.status == 0, "\(compact.error)")
    let oneReport = try JSONSerialization.jsonObject(with: Data(compact.output.utf8)) as! [String: Any]
    let oneBytes = try FileIO.readBytes(work.path("one.aec"))
    #expect(oneBytes[4] == 4 && oneReport["bytes"] as? Int == oneBytes.count && oneReport["payload_bytes"] as? Int == oneBytes.count - 17)
    let oneBack = try CLI.run(["decompress", codec, work.path("one.aec"), "-o", work.path("one-back.png")])
    #expect(oneBack.status == 0, "\(oneBack.error)")
    #expect(try PNG.read(work.path("one-back.png")).width == 12)
    // A flat folder of PNG images of three sizes (one padded to the strides): a section per size,
    // every image back at its size under its name; an IDX output, which holds one size, refused.
    let folder = work.path("sizes")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for (name, (width, height)) in [("p.png", (8, 8)), ("q.png", (12, 8)), ("r.png", (8, 8)), ("s.png", (10, 6))] {
      let pixels = (0..<(width * height)).map { UInt8(($0 * 7 + width * 13) % 256) }
      try PNG.write(Image(width: width, height: height, channels: 1, pixels: pixels), to: "\(folder)/\(name)")
    }
    let sizes = try CLI.run(["compress", codec, folder, "--report", "-o", work.path("sizes.aec")])
    #expect(sizes.status == 0 && sizes.output.contains("4 images of 3 sizes (2 of 8×8, 1 of 12×8, 1 of 10×6)"), "\(sizes.error)")
    #expect(sizes.output.contains("bits per pixel") && sizes.output.contains("PSNR"))
    #expect(try FileIO.readBytes(work.path("sizes.aec"))[8] == 2)  // format version 2
    let back = try CLI.run(["decompress", codec, work.path("sizes.aec"), "-o", work.path("sizes-out")])
    #expect(back.status == 0 && back.output.contains("Wrote 4 PNG files of 3 sizes"), "\(back.error)")
    for (name, width, height) in [("p.png", 8, 8), ("q.png", 12, 8), ("r.png", 8, 8), ("s.png", 10, 6)] {
      let image = try PNG.read(work.path("sizes-out/\(name)"))
      #expect(image.width == width && image.height == height)
    }
    try CLI.expectFailure(["decompress", codec, work.path("sizes.aec"), "-o", work.path("sizes-idx3-ubyte")],
                          mentions: ["holds images of 3 sizes", "8×8, 12×8, 10×6", "give a folder"])
    // Class folders of several sizes are refused with what compress takes (it has no --resize).
    let classes = work.path("classes")
    for (name, width) in [("a/p.png", 8), ("b/q.png", 12)] {
      try FileManager.default.createDirectory(atPath: "\(classes)/\((name as NSString).deletingLastPathComponent)", withIntermediateDirectories: true)
      try PNG.write(Image(width: width, height: 8, channels: 1, pixels: [UInt8](repeating: 9, count: width * 8)), to: "\(classes)/\(name)")
    }
    try CLI.expectFailure(["compress", codec, classes, "-o", work.path("classes.aec")],
                          mentions: ["\(classes)/b/q.png", "is 12×8", "from PNG files or a flat folder, not from class or split folders"])
    #expect(!FileIO.exists(work.path("classes.aec")))
    let bytes = try FileIO.readBytes(work.path("sizes.aec"))
    let cut = try work.write(Array(bytes.dropLast(3)), to: "sizes-cut.aec")
    try CLI.expectFailure(["decompress", codec, cut, "-o", work.path("never")], mentions: [cut, "checksum mismatch"])
    #expect(!FileIO.exists(work.path("never")))
    try CLI.expectFailure(["compress", codec, data.path, "--bits", "6", "-o", work.path("x.aec")], mentions: ["--bits", "rate-trained codec"])
    try CLI.expectFailure(["train", "--data", data.path, "--lambda", "0.1", "-o", work.path("x.safetensors")], mentions: ["--lambda applies to codecs"])
    try CLI.expectFailure(["train", "--data", data.path, "--model", "codec", "--activation", "tanh", "-o", work.path("x.safetensors")],
                          mentions: ["--activation tanh", "GDN", "conv 32 5 stride 2 tanh"])
    #expect(!FileIO.exists(work.path("x.safetensors")))
  }

  @Test func rateDistortionAveragesOverAPSNRRangeWhenAsked() throws {
    // Ours saves 50% at 24 dB, falling linearly in log rate to 0% at 36 dB (JPEG's curve a line in log rate).
    var lines = ["codec,bits_per_pixel,psnr,ssim"]
    for psnr in stride(from: 24.0, through: 36, by: 3) {
      let jpeg = pow(10, -1 + 0.05 * psnr), saving = pow(10, log10(0.5) * (36 - psnr) / 12)
      lines += ["jpeg,\(jpeg),\(psnr),\(psnr / 40)", "ours,\(jpeg * saving),\(psnr),\(psnr / 40)"]
    }
    let points = try work.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: "points.csv")
    func psnrDelta(_ extra: [String]) throws -> Double {
      let result = try CLI.run(["rate-distortion", points, "--json", "-o", work.path("rd.png")] + extra)
      #expect(result.status == 0, "\(result.error)")
      let report = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as! [String: Any]
      return ((report["codecs"] as! [[String: Any]])[0]["bd_rate_psnr"] as! Double)
    }
    // The mean log saving over 24 to 36 dB is half of log 0.5's; over 24 to 30 dB, three quarters of it.
    #expect(abs(try psnrDelta([]) - (pow(0.5, 0.5) - 1)) < 1e-6)
    #expect(abs(try psnrDelta(["--psnr-range", "22:30"]) - (pow(0.5, 0.75) - 1)) < 1e-6)
    try CLI.expectFailure(["rate-distortion", points, "--psnr-range", "32:22", "-o", work.path("never.png")], mentions: ["--psnr-range 32:22", "LOW:HIGH"])
    #expect(!FileIO.exists(work.path("never.png")))
  }

  @Test func badInputGetsOneLineAndNoOutput() throws {
    let good = work.path("good.aec")
    #expect(try CLI.run(["compress", model, data.path, "--limit", "5", "-o", good]).status == 0)
    let bytes = try FileIO.readBytes(good)
    let truncated = try work.write(Array(bytes.dropLast(9)), to: "truncated.aec")
    var flipped = bytes
    flipped[bytes.count / 2] ^= 0xFF
    let corrupt = try work.write(flipped, to: "corrupt.aec")
    let png = try work.write(PNG.encode(Image(width: 2, height: 2, channels: 1, pixels: [0, 1, 2, 3])), to: "not.aec")
    let small = try work.write(PNG.encode(Image(width: 2, height: 2, channels: 1, pixels: [0, 1, 2, 3])), to: "small.png")
    let other = work.path("other.safetensors")
    #expect(try CLI.run(["train", "--data", data.path, "--hidden", "4", "--epochs", "1", "--no-reconstruction", "-o", other]).status == 0)
    let out = work.path("never")
    let cases: [([String], [String])] = [
      (["decompress", model, truncated, "-o", out], [truncated, "checksum mismatch"]),
      (["decompress", model, corrupt, "-o", out], [corrupt, "checksum mismatch"]),
      (["decompress", model, png, "-o", out], [png, "not a compressed image file"]),
      (["decompress", model, work.path("missing.aec"), "-o", out], ["missing.aec", "no such file"]),
      (["decompress", other, good, "-o", out], [good, "made by the model dense.safetensors", "not by other.safetensors"]),
      (["compress", model, data.path, "--bits", "0", "-o", work.path("x.aec")], ["--bits 0", "1 to 16"]),
      (["fit-tables", model, "--data", data.path, "-o", work.path("x.safetensors")], ["dense.safetensors", "not a rate-trained codec"]),
      (["fit-tables", model, "--sets", "0", "-o", work.path("x.safetensors")], ["--sets 0", "1 to 256"]),
      (["fit-tables", model, "--neighbourhood", "signed:9", "-o", work.path("x.safetensors")], ["--neighbourhood signed:9", "magnitude or signed[:L]"]),
      (["fit-tables", model, "--prior-weight", "70000", "-o", work.path("x.safetensors")], ["--prior-weight 70000", "0 to 65536"]),
      (["compress", model, data.path, "--bits", "4", "--step", "1", "-o", work.path("x.aec")], ["--bits or --step"]),
      (["compress", model, data.path, "--step", "-1", "-o", work.path("x.aec")], ["--step"]),
      (["compress", model, data.path, "-o", work.path("x.png")], ["must end in .aec"]),
      (["compress", model, data.path, "-o", "/nonexistent/x.aec"], ["/nonexistent"]),
      (["compress", model, small, "-o", work.path("x.aec")], [small, "[2, 2]", "do not fit"]),
      (["compress", model, png, "-o", work.path("x.aec")], [png, "is not data this tool reads"]),
    ]
    for (arguments, fragments) in cases {
      try CLI.expectFailure(arguments, mentions: fragments)
    }
    #expect(!FileIO.exists(out) && !FileIO.exists(work.path("x.aec")))
    #expect(try work.contents().allSatisfy { !$0.contains(".tmp") })
  }
}
