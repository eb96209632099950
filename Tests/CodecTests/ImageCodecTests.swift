import Datasets
import Autodiff
import EntropyCoding
import NN
import TensorCore
import TestSupport
import Testing
import Training

@testable import Codec

struct ImageCodecTests {
  let images = syntheticImages(count: 40, side: 8)

  func model(_ architecture: Architecture = .dense(inputSize: 64, hiddenSizes: [6])) throws -> Autoencoder {
    var generator = SplitMix64(seed: 3)
    return try Autoencoder(architecture, using: &generator)
  }

  @Test func decompressingGivesTheDecoderOutputOfTheQuantizedCodes() throws {
    let model = try model()
    let codec = ImageCodec(model: model, modelName: "dense.safetensors")
    for rule in [CodeQuantizer.Rule.bits(5), .step(0.01)] {
      let file = try CompressedFile.decode(try codec.compress(images, quantization: rule).encoded())
      #expect(file.header.count == 40 && file.header.imageShape == [8, 8, 1] && file.header.codeShape == [6])
      #expect(file.header.fingerprint == model.fingerprint && file.header.model == "dense.safetensors")
      let codes = try model.encode(images).scalars
      let expectedSymbols = try file.quantizer.symbols(codes).get()
      #expect(try codec.symbols(of: file, path: "f.aec") == expectedSymbols)
      let expected = try model.decode(codes: Tensor(shape: [40, 6], scalars: file.quantizer.values(expectedSymbols)))
      let decoded = try codec.decompress(file, path: "f.aec")
      #expect(decoded.shape == [40, 8, 8, 1] && decoded.scalars == expected.scalars)
      // Quantization to 5 bits moves each code by at most half a step.
      if case .bits = rule {
        for (index, value) in file.quantizer.values(expectedSymbols).enumerated() {
          #expect(abs(value - codes[index]) <= file.quantizer.steps[index % 6] / 2 * 1.0001)
        }
      }
    }
  }

  @Test func convolutionalCodesShareATablePerChannel() throws {
    let model = try model(try Architecture(spec: "conv 4 3 relu, pool 2 | up 2, conv 1 3 sigmoid", exampleShape: [8, 8]))
    let codeShape = try model.architecture.codeShape()
    let file = try ImageCodec(model: model, modelName: "conv").compress(images, quantization: .bits(6))
    #expect(file.tables.count == codeShape.last! && file.quantizer.channels == codeShape.last!)
    #expect(try ImageCodec(model: model, modelName: "conv").decompress(file, path: "f").shape == [40, 8, 8, 1])
  }

  @Test func theSameFileAndSymbolsAtEveryThreadCountAndSIMDLevel() throws {
    let model = try model(try Architecture(spec: "conv 4 3 relu, pool 2 | up 2, conv 1 3 sigmoid", exampleShape: [8, 8]))
    let codec = ImageCodec(model: model, modelName: "conv")
    let reference = try codec.compress(images, quantization: .bits(8)).encoded()
    let symbols = try codec.symbols(of: try CompressedFile.decode(reference), path: "f")
    let levels = SIMDLevel.allCases.filter { $0.rawValue <= SIMDLevel.supported.rawValue }
    for threads in [1, 2, 3] {
      for level in levels {
        try Parallel.withThreads(threads) {
          try SIMDLevel.withKernels(at: level) {
            let file = try CompressedFile.decode(reference)
            #expect(try codec.symbols(of: file, path: "f") == symbols, "\(threads) threads, \(level)")
            // Decoded pixels written as bytes agree too (the decoder's float rounding stays far from a byte's edge here).
            let bytes = try codec.decompress(file, path: "f").scalars.map { Int(($0 * 255).rounded()) }
            let first = try Parallel.withThreads(1) { try SIMDLevel.withKernels(at: .baseline) { try codec.decompress(file, path: "f") } }
            #expect(bytes == first.scalars.map { Int(($0 * 255).rounded()) })
          }
        }
      }
    }
  }

  @Test func anotherModelsFileIsRefusedByName() throws {
    let file = try ImageCodec(model: try model(), modelName: "a.safetensors").compress(images, quantization: .bits(8))
    var generator = SplitMix64(seed: 4)
    let other = ImageCodec(model: try Autoencoder(.dense(inputSize: 64, hiddenSizes: [6]), using: &generator), modelName: "b.safetensors")
    #expect(throws: CodecError.self) { try other.decompress(file, path: "x.aec") }
    do {
      _ = try other.decompress(file, path: "x.aec")
    } catch {
      #expect("\(error)".hasPrefix("x.aec: made by the model a.safetensors (fingerprint \(file.header.fingerprint)), not by b.safetensors"))
    }
  }

  @Test func imagesTheModelCannotTakeAreRefused() throws {
    let codec = ImageCodec(model: try model(), modelName: "dense")
    #expect(throws: DataError.self) { try codec.compress(syntheticImages(count: 3, side: 9), quantization: .bits(8)) }
    let table = ImageSet(storage: .floats([Float](repeating: 0.5, count: 128)), exampleShape: [64], source: "table.csv")
    #expect(throws: CodecError.notImages(source: "table.csv", shape: [64])) { try codec.compress(table, quantization: .bits(8)) }
  }

  @Test func aCorruptPayloadIsNamed() throws {
    let codec = ImageCodec(model: try model(), modelName: "dense")
    var file = try codec.compress(images, quantization: .bits(8))
    file.payload.removeLast()
    #expect(throws: CodecError.corrupt(path: "f.aec", problem: "the coded data ends early")) { try codec.symbols(of: file, path: "f.aec") }
  }

  @Test func aRateTrainedCodecRoundsItsCodeAndCodesItUnderItsOwnTables() throws {
    let model = try model(try Architecture(spec: "conv 4 3 stride 2 relu, conv 3 3, bottleneck | convt 4 3 stride 2 relu, conv 1 3 sigmoid",
                                           exampleShape: [8, 8]))
    let codec = ImageCodec(model: model, modelName: "codec", tables: model.bottleneck!.symbolTables())  // as its model file holds them
    #expect(codec.isRateTrained)
    let file = try CompressedFile.decode(try codec.compress(images, quantization: .bits(3)).encoded())  // the rule does not apply
    #expect(file.header.tablesInModel && file.tables.isEmpty && file.quantizer.steps == [1, 1, 1] && file.quantizer.origins == [0, 0, 0])
    // A model file without tables (written before they were stored): the file carries them.
    let untabled = ImageCodec(model: model, modelName: "codec")
    let carried = try CompressedFile.decode(try untabled.compress(images, quantization: .bits(3)).encoded())
    #expect(!carried.header.tablesInModel && carried.tables == model.bottleneck!.symbolTables() && carried.payload == file.payload)
    #expect(try untabled.decompress(carried, path: "f").scalars == codec.decompress(file, path: "f").scalars)
    #expect(throws: CodecError.self) { try untabled.decompress(file, path: "f") }  // "model" tables it does not have
    let codes = try model.encode(images)
    #expect(try codec.symbols(of: file, path: "f") == codes.scalars.map { Int32($0.rounded(.toNearestOrEven)) })
    #expect(try codec.decompress(file, path: "f").scalars == model.reconstruct(images).scalars)
    // The payload costs about what the density says the rounded codes cost.
    let bits = Double(model.bottleneck!.bits(of: Variable(codes.rounded())).value.scalar)
    #expect(Double(file.payload.count * 8) < bits * 1.02 + 64)
  }

  @Test func aStrippedCodecFileIsCompactAndItsModelCompletesIt() throws {
    let model = try model(try Architecture(spec: "conv 4 3 stride 2, gdn, conv 3 3, bottleneck | convt 4 3 stride 2, igdn, conv 1 3 sigmoid",
                                           exampleShape: [8, 8]))
    let codec = ImageCodec(model: model, modelName: "codec.safetensors", tables: model.bottleneck!.symbolTables())
    var stripped = codec
    stripped.stripsNames = true
    // Images of the model's size, and of a size padded to its strides (9×7 → 10×8).
    let odd = ImageSet(storage: .floats((0..<(3 * 9 * 7)).map { Float($0 % 13) / 13 }), exampleShape: [9, 7], source: "odd")
    for set in [images, odd] {
      let full = try codec.compress(set, quantization: .rounded), small = try stripped.compress(set, quantization: .rounded)
      #expect(!full.header.compact && small.header.compact && small.payload == full.payload)
      let (fullBytes, smallBytes) = (try full.encoded(), try small.encoded())
      // 15 bytes beside the payload at the model's own size (8×8), 17 at 9×7.
      #expect(smallBytes[4] == 4 && small.header.sizeFromModel == (set.exampleShape == [8, 8]))
      #expect(smallBytes.count == 4 + 1 + 4 + 1 + (small.header.sizeFromModel ? 1 : 3) + small.payload.count + 4)
      #expect(fullBytes.count - smallBytes.count >= 20)
      // One image of the model's size: version 5, 9 bytes beside the payload, which carries the
      // fingerprint in its start state: as long as a stream without it, or a byte longer.
      let one = try stripped.compress(set.prefix(1), quantization: .rounded), oneBytes = try one.encoded()
      let alone = try codec.compress(set.prefix(1), quantization: .rounded)
      #expect(oneBytes[4] == (set.exampleShape == [8, 8] ? 5 : 4) && one.header.fingerprintInCoder == (set.exampleShape == [8, 8]))
      #expect(oneBytes.count == (set.exampleShape == [8, 8] ? 9 : 17) + one.payload.count)
      #expect(one.payload.count - alone.payload.count <= 1 && (one.payload == alone.payload) == !one.header.fingerprintInCoder)
      if one.header.fingerprintInCoder {
        // Another codec of the same layers (other weights, another fingerprint) decodes it to the wrong state: refused, named.
        var generator = SplitMix64(seed: 9)
        let otherModel = try Autoencoder(model.architecture, using: &generator)
        let other = ImageCodec(model: otherModel, modelName: "other.safetensors", tables: otherModel.bottleneck!.symbolTables())
        let error = #expect(throws: CodecError.self) { try other.decompress(try CompressedFile.decode(oneBytes), path: "one.aec") }
        #expect(error?.description == "one.aec: made by another model, not by other.safetensors (fingerprint \(CompressedFile.shortFingerprint(other.fingerprint))): "
          + "its code does not decode under it; decompress it with that model")
        // And a corrupt one is caught by its checksum first.
        var flipped = oneBytes
        flipped[6] ^= 1
        #expect(throws: CompressedFile.Problem.self) { try CompressedFile.decode(flipped) }
      }
      #expect(try codec.decompress(try CompressedFile.decode(oneBytes), path: "f").scalars == Array(codec.decompress(full, path: "f").scalars.prefix(set.exampleShape.reduce(1, *))))
      let read = try CompressedFile.decode(smallBytes)
      #expect(read.header.codeShape.isEmpty && read.header.paddedShape == nil && read.header.imageShape.isEmpty == small.header.sizeFromModel)
      // Completed by the model: the shapes compress computed, and the same images as the full file's.
      let completed = try codec.completed(read, path: "f")
      #expect(completed.header.codeShape == full.header.codeShape && completed.header.paddedShape == full.header.paddedShape)
      #expect(completed.header.imageShape == full.header.imageShape)
      #expect(completed.quantizer == full.quantizer)
      #expect(try codec.decompress(read, path: "f").scalars == codec.decompress(try CompressedFile.decode(fullBytes), path: "f").scalars)
      let report = try codec.report(originals: set, bytes: smallBytes, encodeSeconds: 1)
      #expect(report.bytes == smallBytes.count && report.payloadBytes == small.payload.count && report.estimatedBitsPerPixel != nil)
    }
    // Another model: named by its fingerprint alone.
    var generator = SplitMix64(seed: 9)
    let other = ImageCodec(model: try Autoencoder(model.architecture, using: &generator), modelName: "other.safetensors",
                           tables: model.bottleneck!.symbolTables())
    let read = try CompressedFile.decode(try stripped.compress(images, quantization: .rounded).encoded())
    #expect(throws: CodecError.otherModel(path: "f.aec", made: "", fingerprint: CompressedFile.shortFingerprint(model.fingerprint),
                                          given: "other.safetensors", givenFingerprint: CompressedFile.shortFingerprint(other.model.fingerprint))) {
      try other.decompress(read, path: "f.aec")
    }
    // A plain autoencoder's stripped file keeps the full form: its quantization and tables are its own.
    let plain = ImageCodec(model: try self.model(), modelName: "dense")
    var strippedPlain = plain
    strippedPlain.stripsNames = true
    #expect(try strippedPlain.compress(images, quantization: .bits(6)).encoded()[8] == 1)
  }

  @Test func contextTablesCodeTheSameSymbolsInTheirOwnStreamAndJoinTheFingerprint() throws {
    let model = try model(try Architecture(spec: "conv 4 3 stride 2, gdn, conv 3 3, bottleneck | convt 4 3 stride 2, igdn, conv 1 3 sigmoid",
                                           exampleShape: [8, 8]))
    let plain = ImageCodec(model: model, modelName: "codec.safetensors", tables: model.bottleneck!.symbolTables())
    let tables = try plain.fittedContextTables(images)
    #expect(tables.grid == [4, 4] && tables.channels == 3 && tables.codes == images.count)
    // Counted from the rounded codes, as compress rounds them.
    let symbols = try plain.symbols(of: try plain.compress(images, quantization: .rounded), path: "f")
    #expect(tables == ContextTables(fitting: symbols, codeShape: [4, 4, 3], sets: ContextTables.defaultSets, neighbourhood: .signed(limit: 2), priorWeight: 16))
    #expect(tables.sets == 16 && tables.neighbourhood == ContextTables.defaultNeighbourhood && tables.priorWeight == ContextTables.defaultPriorWeight)
    let magnitude = try plain.fittedContextTables(images, sets: 1, neighbourhood: .magnitude, priorWeight: 0)
    #expect(magnitude == ContextTables(fitting: symbols, codeShape: [4, 4, 3]))
    // The neighbourhood and the prior weight are part of the fingerprint.
    let signed = try plain.fittedContextTables(images, sets: 1, neighbourhood: .signed(limit: 1), priorWeight: 0)
    #expect(Set([magnitude, signed, try plain.fittedContextTables(images, sets: 1, neighbourhood: .signed(limit: 1), priorWeight: 1)]
      .map { model.fingerprint(contextTables: $0) }).count == 3)
    var codec = ImageCodec(model: model, modelName: "codec.safetensors", tables: model.bottleneck!.symbolTables(), contextTables: tables)
    #expect(codec.fingerprint == model.fingerprint(contextTables: tables) && codec.fingerprint != plain.fingerprint)
    #expect(model.fingerprint(contextTables: tables) != model.fingerprint(contextTables: try plain.fittedContextTables(images.prefix(20))))
    for strip in [false, true] {
      codec.stripsNames = strip
      let file = try codec.compress(images, quantization: .rounded), before = try plain.compress(images, quantization: .rounded)
      let read = try CompressedFile.decode(try file.encoded())
      #expect(read.header.compact == strip && file.payload != before.payload)
      // Fitted to these very codes, the tables cost less than the density's.
      #expect(file.payload.count < before.payload.count, "\(file.payload.count) against \(before.payload.count) bytes")
      #expect(try codec.symbols(of: read, path: "f") == plain.symbols(of: before, path: "f"))
      #expect(try codec.decompress(read, path: "f").scalars == plain.decompress(before, path: "f").scalars)
      #expect(try codec.report(originals: images, bytes: try file.encoded(), encodeSeconds: 1).contextTables == true)
      // Each codec refuses the other's files.
      #expect(throws: CodecError.self) { try plain.decompress(read, path: "f") }
      #expect(throws: CodecError.self) { try codec.decompress(before, path: "f") }
    }
    // Images of another size (9×7, padded to 10×8: a 5×4 code) fall back to one table per channel.
    let odd = ImageSet(storage: .floats((0..<(3 * 9 * 7)).map { Float($0 % 13) / 13 }), exampleShape: [9, 7], source: "odd")
    let oddFile = try codec.compress(odd, quantization: .rounded)
    #expect(oddFile.payload == (try plain.compress(odd, quantization: .rounded)).payload)
    #expect(try codec.report(originals: odd, bytes: try oddFile.encoded(), encodeSeconds: 1).contextTables == false)
    // Tables of any grid code both sizes.
    let anySize = ImageCodec(model: model, modelName: "codec.safetensors", tables: model.bottleneck!.symbolTables(),
                             contextTables: try plain.fittedContextTables(images, perCell: false))
    let anyFile = try anySize.compress(odd, quantization: .rounded)
    #expect(anyFile.payload != oddFile.payload)
    #expect(try anySize.decompress(anyFile, path: "f").scalars == codec.decompress(oddFile, path: "f").scalars)
    // A plain autoencoder has no context tables to fit, and takes none.
    let dense = try self.model()
    #expect(throws: CodecError.notRateTrained(model: "dense")) { try ImageCodec(model: dense, modelName: "dense").fittedContextTables(images) }
    #expect(ImageCodec(model: dense, modelName: "dense", contextTables: tables).contextTables == nil)
  }

  @Test func aCompactFileLeavingItsSizeToAModelOfNoImageSizeIsRefused() throws {
    // A dense codec of 8×8 images: its compact files leave the size to it, and read back.
    let dense = try model(try Architecture(spec: "dense 6, bottleneck | dense 64 sigmoid", exampleShape: [8, 8]))
    var codec = ImageCodec(model: dense, modelName: "dense-codec", tables: dense.bottleneck!.symbolTables())
    codec.stripsNames = true
    let small = try codec.compress(images, quantization: .rounded)
    #expect(small.header.compact && small.header.sizeFromModel)
    #expect(try codec.decompress(try CompressedFile.decode(try small.encoded()), path: "f").scalars == dense.reconstruct(images).scalars)
    // The same model without an image shape (flat inputs): a hostile file saying "the model's size" is refused, not a crash.
    var flat = dense.architecture
    flat.imageShape = nil
    let parameters = Dictionary(uniqueKeysWithValues: dense.namedParameters.map { ($0.name, $0.parameter.value) })
    let flatCodec = ImageCodec(model: try Autoencoder(flat, parameters: parameters), modelName: "flat", tables: dense.bottleneck!.symbolTables())
    var hostile = small
    hostile.header.fingerprint = flatCodec.model.fingerprint
    #expect(throws: CodecError.self) { try flatCodec.decompress(try CompressedFile.decode(try hostile.encoded()), path: "f") }
  }

  @Test func aFullyConvolutionalModelTakesOtherSizesPaddedToItsStrides() throws {
    let model = try model(try Architecture(spec: "conv 4 3 stride 2 relu, conv 3 3, bottleneck | convt 4 3 stride 2 relu, conv 1 3 sigmoid",
                                           exampleShape: [8, 8]))
    let codec = ImageCodec(model: model, modelName: "codec")
    let small = syntheticImages(count: 5, side: 10, seed: 7)  // 10×10: its stride of 2 divides it
    let file = try CompressedFile.decode(try codec.compress(small, quantization: .bits(8)).encoded())
    #expect(file.header.imageShape == [10, 10, 1] && file.header.paddedShape == nil && file.header.codeShape == [5, 5, 3])
    let odd = ImageSet(storage: .floats((0..<(3 * 9 * 7)).map { Float($0 % 13) / 13 }), exampleShape: [9, 7], source: "odd")
    let oddFile = try CompressedFile.decode(try codec.compress(odd, quantization: .bits(8)).encoded())
    #expect(oddFile.header.imageShape == [9, 7, 1] && oddFile.header.paddedShape == [10, 8] && oddFile.header.codeShape == [5, 4, 3])
    // Decoding crops the model's output for the edge-padded images.
    let padded = ImageCodec.padded(odd, height: 10, width: 8)
    #expect(padded.example(0)[9 * 8 + 7] == odd.example(0)[8 * 7 + 6])  // the corner repeated
    let wide = try codec.model(forHeight: 10, width: 8)
    let expected = wide.reconstruct(Tensor(shape: [3, 10, 8, 1], scalars: (0..<3).flatMap { padded.example($0) })).scalars
    let decoded = try codec.decompress(oddFile, path: "f")
    #expect(decoded.shape == [3, 9, 7, 1])
    for index in 0..<3 {
      for y in 0..<9 {
        for x in 0..<7 { #expect(decoded.scalars[(index * 9 + y) * 7 + x] == expected[(index * 10 + y) * 8 + x]) }
      }
    }
    // Images of several sizes: a section per size, each what compressing that size alone gives;
    // the report measures them all.
    let groups: [(images: ImageSet, names: [String]?)] = [(small, (0..<5).map { "s\($0).png" }), (odd, ["o0.png", "o1.png", "o2.png"])]
    let mixed = try CompressedImages.decode(try codec.compress(groups, quantization: .bits(8)).encoded())
    #expect(mixed.sections.count == 2 && mixed.count == 8)
    #expect(mixed.sections[1].payload == oddFile.payload && mixed.sections[1].header.names == ["o0.png", "o1.png", "o2.png"])
    #expect(try codec.decompress(mixed.sections[1], path: "f").scalars == decoded.scalars)
    let bytes = try codec.compress(groups, quantization: .bits(8)).encoded()
    let report = try codec.report(originals: [small, odd], bytes: bytes, encodeSeconds: 1)
    #expect(report.images == 8 && report.pixels == 5 * 100 + 3 * 63 && report.bytes == bytes.count)
    // Its PSNR and SSIM are the means over every image: the sizes' reports weighted by their counts.
    let (smallAlone, oddAlone) = (try codec.report(originals: small, bytes: try file.encoded(), encodeSeconds: 1),
                                  try codec.report(originals: odd, bytes: try oddFile.encoded(), encodeSeconds: 1))
    #expect(abs(report.psnr - (5 * smallAlone.psnr + 3 * oddAlone.psnr) / 8) < 1e-9)
    #expect(abs(report.ssim - (5 * smallAlone.ssim + 3 * oddAlone.ssim) / 8) < 1e-9)
    #expect(report.payloadBytes == file.payload.count + oddFile.payload.count)
    #expect(throws: CodecError.self) { try codec.compress([(small, nil), (odd, ["o.png"])], quantization: .bits(8)) }  // unnamed
    // Stripped: no model name, and names only where several sizes need them; the same payloads.
    var stripped = codec
    stripped.stripsNames = true
    let bare = try CompressedImages.decode(try stripped.compress(groups, quantization: .bits(8)).encoded())
    #expect(bare.sections.map(\.header.model) == ["", ""] && bare.sections[1].header.names == ["o0.png", "o1.png", "o2.png"])
    #expect(bare.sections.map(\.payload) == mixed.sections.map(\.payload))
    let one = try CompressedFile.decode(try stripped.compress([(odd, ["o0.png", "o1.png", "o2.png"])], quantization: .bits(8)).encoded())
    #expect(one.header.model == "" && one.header.names == nil && one.payload == oddFile.payload)
    #expect(try stripped.compress(odd, quantization: .bits(8), names: ["a.png", "b.png", "c.png"]).header.names == nil)
    // A model with dense layers takes only its own size.
    let dense = ImageCodec(model: try self.model(), modelName: "dense")
    #expect(throws: DataError.self) { try dense.compress(odd, quantization: .bits(8)) }
  }
}
