import Foundation
import ModelFiles
import TestSupport
import Testing

/// Text from the command line: a text model trained on a file's bytes, and lossless compression
/// of any bytes with it.
@Suite(.serialized) struct TextTests {
  let work: TemporaryDirectory

  init() throws { work = try TemporaryDirectory() }

  /// English-like text: sentences drawn from a few words with a seeded generator.
  func text(_ name: String, sentences: Int, seed: UInt64) throws -> String {
    let words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "house", "with", "red", "door", "quickly"]
    var generator = SplitMixForTests(seed)
    var text = ""
    for _ in 0..<sentences {
      let count = 4 + Int(generator.next() % 6)
      let sentence = (0..<count).map { _ in words[Int(generator.next() % UInt64(words.count))] }.joined(separator: " ")
      text += sentence.prefix(1).uppercased() + sentence.dropFirst() + ".\n"
    }
    return try work.write(Array(text.utf8), to: name)
  }

  /// The text preset learns, and compresses held-out text with bytes it never saw, byte-exact,
  /// the same file at any thread count.
  @Test func aTextModelLearnsAndCompressesAnyBytesLosslessly() throws {
    let corpus = try text("corpus.txt", sentences: 700, seed: 1), model = work.path("text.safetensors")
    let trained = try CLI.run(["train", "--model", "text", "--data", corpus, "--window", "32", "--epochs", "6", "--learning-rate", "0.01",
                               "--validation-split", "0.1", "-o", model])
    #expect(trained.status == 0, "\(trained.error)")
    #expect(trained.output.contains("32 → embedding 256→32 → gru 256 sequences → 256 identity"), "\(trained.output)")
    #expect(trained.output.contains("nats/token"), "\(trained.output)")
    let file = try ModelFile.read(model)
    #expect(file.training?.reading?.text == true && file.training?.reading?.window == 32 && file.training?.loss == .categoricalCrossEntropy)
    let history = try #require(file.history?.epochs)
    // From ln 256 = 5.5 nats per byte at the start to near the text's entropy (15 words: about 0.6 nats a byte).
    #expect(history.first!.loss < 4 && history.last!.validationLoss! < 1.2, "\(history.map(\.loss)), \(history.map(\.validationLoss))")

    // Held out: new sentences, then bytes never in the corpus (NUL, 0xFF, UTF-8), and one byte alone.
    var heldOut = Array(try String(contentsOfFile: try text("held.txt", sentences: 150, seed: 9), encoding: .utf8).utf8)
    heldOut += [0, 255, 1, 254] + Array("naïve café — 東京 🙂\n".utf8) + [UInt8](repeating: 0x41, count: 300)
    let input = try work.write(heldOut, to: "input.bin")
    let packed = work.path("input.aec"), unpacked = work.path("input.out")
    let compressed = try CLI.run(["compress", model, input, "-o", packed, "--report", "--json"])
    #expect(compressed.status == 0, "\(compressed.error)")
    let report = try JSONSerialization.jsonObject(with: Data(compressed.output.utf8)) as? [String: Any]
    let bitsPerCharacter = try #require(report?["bits_per_character"] as? Double)
    #expect(bitsPerCharacter < 2.5, "\(compressed.output)")  // the words are learned: under 2.5 bits a byte, headers included
    let decompressed = try CLI.run(["decompress", model, packed, "-o", unpacked])
    #expect(decompressed.status == 0, "\(decompressed.error)")
    #expect(try Array(Data(contentsOf: URL(fileURLWithPath: unpacked))) == heldOut)
    // One thread or two: the same file.
    let single = work.path("single.aec")
    #expect(try CLI.run(["compress", model, input, "-o", single, "--threads", "1"]).status == 0)
    #expect(try Data(contentsOf: URL(fileURLWithPath: single)) == Data(contentsOf: URL(fileURLWithPath: packed)))
    let one = try work.write([0x7A], to: "one.txt")
    #expect(try CLI.run(["compress", model, one, "-o", work.path("one.aec")]).status == 0)
    #expect(try CLI.run(["decompress", model, work.path("one.aec"), "-o", work.path("one.out")]).status == 0)
    #expect(try Array(Data(contentsOf: URL(fileURLWithPath: work.path("one.out")))) == [0x7A])

    // evaluate gives the cross-entropy in bits per character; commands on reconstructions refuse a text model.
    let evaluated = try CLI.run(["evaluate", model, "--data", input, "--json"])
    #expect(evaluated.status == 0 && evaluated.output.contains("\"bits_per_token\"") && !evaluated.output.contains("psnr"), "\(evaluated.output)")
    try CLI.expectFailure(["score", model, "--data", input, "-o", work.path("s.csv")], mentions: ["is a text model", "has no reconstructions to score"])

    // Bad input: an empty text, a corrupt or truncated file, another model's file, images for a text model.
    let empty = try work.write([], to: "empty.txt")
    try CLI.expectFailure(["compress", model, empty, "-o", work.path("empty.aec")], mentions: [empty, "holds no characters"])
    try CLI.expectFailure(["train", "--model", "text", "--data", empty, "-o", work.path("e.safetensors")], mentions: [empty, "holds no characters"])
    try CLI.expectFailure(["train", "--model", "text", "--data", one, "--window", "8", "-o", work.path("e.safetensors")],
                          mentions: [one, "a window of 8 bytes is longer than the text of 1 byte"])
    var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: packed)))
    bytes[bytes.count / 2] ^= 0x10
    let corrupt = try work.write(bytes, to: "corrupt.aec"), truncated = try work.write(Array(bytes.prefix(30)), to: "truncated.aec")
    try CLI.expectFailure(["decompress", model, corrupt, "-o", work.path("c.txt")], mentions: [corrupt, "checksum mismatch"])
    try CLI.expectFailure(["decompress", model, truncated, "-o", work.path("c.txt")], mentions: [truncated])
    #expect(!FileManager.default.fileExists(atPath: work.path("c.txt")))
    let other = work.path("other.safetensors")
    #expect(try CLI.run(["train", "--text", "--architecture", "embedding 256 8, gru 8 sequences | dense 256", "--data", corpus, "--window", "32",
                         "--epochs", "1", "-o", other, "--no-reconstruction"]).status == 0)
    try CLI.expectFailure(["decompress", other, packed, "-o", work.path("c.txt")], mentions: [packed, "made by the model text.safetensors", "not by other.safetensors"])
    let images = try CLI.dataFolder()
    try CLI.expectFailure(["compress", model, images.path, "-o", work.path("i.aec")], mentions: ["is a text model: give one text file"])
    try CLI.expectFailure(["train", "--model", "text", "--data", images.path, "-o", work.path("i.safetensors")], mentions: [images.path, "is a folder; give a text file"])
  }

  /// Token ids beyond the embedding, and token models that would see later tokens, are refused by name.
  @Test func tokenModelsTakeOnlyTheirIdsAndStayCausal() throws {
    // An .npy of ids [examples, steps] with 300 in it, for an embedding of 256.
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 8), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    var npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count + 1), 0] + Array(header.utf8) + [0x0A]
    for index in 0..<32 { withUnsafeBytes(of: Float(index == 13 ? 300 : index % 7).bitPattern.littleEndian) { npy += $0 } }
    let ids = try work.write(npy, to: "ids.npy")
    try CLI.expectFailure(["train", "--data", ids, "--scaling", "none", "--architecture", "embedding 256 8, gru 8 sequences | dense 256", "-o", work.path("t.safetensors")],
                          mentions: [ids, "example 2 holds 300.0, which is not a token id of the model's embedding"])
    try CLI.expectFailure(["train", "--data", ids, "--scaling", "none", "--architecture", "embedding 256 8, conv1d 8 3 same | dense 256", "-o", work.path("t.safetensors")],
                          mentions: ["would let a step see later tokens"])
  }
}

/// A tiny seeded generator for the tests' texts.
struct SplitMixForTests {
  var state: UInt64
  init(_ seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
