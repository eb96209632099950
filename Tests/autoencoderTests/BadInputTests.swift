import Datasets
import FileIO
import ImageFiles
import Foundation
import TestSupport
import Testing

/// Bad input gets one line on standard error naming the file or value, a non-zero exit, and no
/// output file.
@Suite(.serialized) struct BadInputTests {
  let data: TemporaryDirectory
  let work: TemporaryDirectory

  init() throws {
    data = try CLI.dataFolder()
    work = try TemporaryDirectory()
  }

  var model: String { work.path("m.safetensors") }

  @Test func missingOrWrongDataFolders() throws {
    try CLI.expectFailure(["train", "--data", work.path("nowhere"), "--output", model], mentions: [work.path("nowhere"), "no such file or folder"])
    try CLI.expectFailure(["train", "--data", work.path, "--output", model], mentions: [work.path, "no train images"])
    #expect(try work.contents().isEmpty)
  }

  @Test func corruptDataFiles() throws {
    let folder = try TemporaryDirectory()
    try folder.write(Array("\u{89}PNG....".utf8) + Array(repeating: 0, count: 20), to: "train-images-idx3-ubyte")
    try CLI.expectFailure(["train", "--data", folder.path, "--output", model], mentions: ["train-images-idx3-ubyte", "not an IDX file"])
    let images = IDX.encode(IDX.Array(shape: [10, 8, 8], bytes: Array(repeating: 1, count: 640)))
    try folder.write(Array(images.prefix(300)), to: "train-images-idx3-ubyte")
    try CLI.expectFailure(["train", "--data", folder.path, "--output", model], mentions: ["train-images-idx3-ubyte", "truncated"])
    try folder.write(images, to: "train-images-idx3-ubyte")
    try folder.write(IDX.encode(IDX.Array(shape: [9], bytes: Array(repeating: 1, count: 9))), to: "train-labels-idx1-ubyte")
    try CLI.expectFailure(["train", "--data", folder.path, "--output", model], mentions: ["train-labels-idx1-ubyte", "9 labels for 10 images"])
    #expect(try work.contents().isEmpty)
  }

  @Test func dataThatDoesNotFitTheModel() throws {
    // A model trained on 8x8 images, evaluated on 10x10 ones.
    #expect(try CLI.run(["train", "--data", data.path, "--hidden", "4", "--epochs", "1", "--output", model, "--no-reconstruction"]).status == 0)
    let other = try TemporaryDirectory()
    try other.write(IDX.encode(IDX.Array(shape: [3, 10, 10], bytes: Array(repeating: 9, count: 300))), to: "t10k-images-idx3-ubyte")
    try CLI.expectFailure(["evaluate", model, "--data", other.path], mentions: ["t10k-images-idx3-ubyte", "[10, 10]", "[64]"])
    try CLI.expectFailure(["encode", model, "--data", other.path, "--output", work.path("codes.npy")], mentions: ["[10, 10]", "[64]"])
    #expect(try work.contents() == ["m.safetensors"])
  }

  @Test func badOptionValues() throws {
    try CLI.expectFailure(["train", "--optimizer", "adamw"], mentions: ["adamw", "--optimizer"])
    try CLI.expectFailure(["train", "--loss", "hinge"], mentions: ["hinge", "--loss"])
    try CLI.expectFailure(["train", "--activation", "swish"], mentions: ["swish"])
    try CLI.expectFailure(["train", "--epochs", "0"], mentions: ["--epochs"])
    try CLI.expectFailure(["train", "--hidden", "64,x"], mentions: ["64,x"])
    try CLI.expectFailure(["train", "--learning-rate", "nan"], mentions: ["--learning-rate"])
    try CLI.expectFailure(["train", "--model", "dense", "--hidden", "32"], mentions: ["--model", "--hidden"])
    try CLI.expectFailure(["train", "--threads", "0"], mentions: ["--threads"])
  }

  @Test func unwritableOutputsAreCaughtBeforeTraining() throws {
    try CLI.expectFailure(["train", "--data", data.path, "--hidden", "4", "--output", work.path("no/such/dir/m.safetensors")],
                          mentions: ["no/such/dir", "does not exist"])
  }

  @Test func corruptAndHostileModelFiles() throws {
    try CLI.expectFailure(["evaluate", work.path("missing.safetensors"), "--data", data.path], mentions: ["missing.safetensors", "no such file"])
    let junk = try work.write(Array("this is not a model".utf8), to: "junk.safetensors")
    try CLI.expectFailure(["info", junk], mentions: [junk, "exceeds"])
    var huge = withUnsafeBytes(of: UInt64(1 << 62).littleEndian, Array.init)
    huge += Array("{}".utf8)
    let hostile = try work.write(huge, to: "hostile.safetensors")
    try CLI.expectFailure(["info", hostile], mentions: [hostile, "exceeds"])
    #expect(try CLI.run(["train", "--data", data.path, "--hidden", "4", "--epochs", "1", "--output", model, "--no-reconstruction"]).status == 0)
    let bytes = [UInt8](try FileIO.read(model))
    let truncated = try work.write(Array(bytes.dropLast(10)), to: "truncated.safetensors")
    try CLI.expectFailure(["evaluate", truncated, "--data", data.path], mentions: [truncated, "truncated"])
  }

  @Test func aNaNLossStopsTrainingWithoutWritingAModel() throws {
    try CLI.expectFailure(["train", "--data", data.path, "--hidden", "8", "--loss", "mse", "--output-activation", "identity",
                           "--optimizer", "sgd", "--learning-rate", "1e20", "--epochs", "3", "--output", model],
                          mentions: ["the loss became", "--learning-rate"])
    #expect(try work.contents().isEmpty)
  }

  @Test func codesOfTheWrongWidthAreNamed() throws {
    #expect(try CLI.run(["train", "--data", data.path, "--hidden", "4", "--epochs", "1", "--output", model, "--no-reconstruction"]).status == 0)
    try NPY.write([1, 2, 3, 4, 5, 6], shape: [2, 3], to: work.path("wrong.npy"))
    try CLI.expectFailure(["decode", model, work.path("wrong.npy"), "--output", work.path("out.png")], mentions: ["wrong.npy", "4 values each"])
    #expect(!FileManager.default.fileExists(atPath: work.path("out.png")))
  }

  @Test func architecturesThatDoNotFitTheDataAreNamedBeforeTraining() throws {
    // The blog's model needs sizes divisible by 8 to come back to its input: 8×8 comes back as 4×4.
    try CLI.expectFailure(["train", "--data", data.path, "--model", "conv", "--output", model],
                          mentions: ["the decoder outputs shape [4, 4, 1], but the input shape is [8, 8, 1]", "decoder.4 2×2×16"])
    try CLI.expectFailure(["train", "--data", data.path, "--architecture", "pool 3 | up 3", "--output", model],
                          mentions: ["encoder.0 MaxPool2D(3×3, valid)", "[8, 8, 1]", "does not divide 8×8"])
    try CLI.expectFailure(["train", "--data", data.path, "--architecture", "conv 8 3 relu | conv 1 3 swish", "--output", model],
                          mentions: ["decoder layer 1 \"conv 1 3 swish\"", "unknown word \"swish\""])
    try CLI.expectFailure(["train", "--data", data.path, "--architecture", work.path("missing.json"), "--output", model],
                          mentions: [work.path("missing.json")])
    let json = try work.write(Array(#"{"encoder": [{"type": "dense"}], "decoder": []}"#.utf8), to: "bad.json")
    try CLI.expectFailure(["train", "--data", data.path, "--architecture", json, "--output", model], mentions: [json, "missing \"units\""])
    try FileManager.default.removeItem(atPath: json)
    try CLI.expectFailure(["train", "--data", data.path, "--noise", "blur:3", "--output", model], mentions: ["--noise", "blur:3"])
    #expect(try work.contents().isEmpty)
  }

  @Test func denoisingInputsThatAreNotPNGsOrDoNotFit() throws {
    #expect(try CLI.run(["train", "--data", data.path, "--architecture", "conv 4 3 relu, pool 2 | up 2, conv 1 3 sigmoid", "--epochs", "1",
                         "--output", model, "--no-reconstruction"]).status == 0)
    let images = try TemporaryDirectory()
    let fake = try images.write(Array("GIF89a, not a PNG".utf8), to: "fake.png")
    try CLI.expectFailure(["denoise", model, fake, "--output", work.path("out")], mentions: [fake])
    let small = images.path("small.png"), large = images.path("large.png")
    try PNG.write(Image(width: 8, height: 8, intensities: [Float](repeating: 0.5, count: 64)), to: small)
    try PNG.write(Image(width: 10, height: 10, intensities: [Float](repeating: 0.5, count: 100)), to: large)
    try CLI.expectFailure(["denoise", model, small, large, "--output", work.path("out")], mentions: [large, "10×10", "8×8"])
    try CLI.expectFailure(["denoise", model, large, "--output", work.path("out")], mentions: [large, "[10, 10]", "[8, 8, 1]"])
    #expect(try work.contents() == ["m.safetensors"])
  }
}
