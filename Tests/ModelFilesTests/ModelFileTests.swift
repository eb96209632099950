import Datasets
import EntropyCoding
import FileIO
import Foundation
import ModelFiles
import NN
import Optimizers
import TensorCore
import TestSupport
import Testing
import Training

@Suite struct ModelFileTests {
  func model(seed: UInt64 = 1) throws -> Autoencoder {
    var generator = SplitMix64(seed: seed)
    return try Autoencoder(Architecture.dense(inputSize: 12, hiddenSizes: [6, 3], activation: .leakyRelu(slope: 0.1)), using: &generator)
  }

  let training = TrainingConfiguration(epochs: 2, batchSize: 8, seed: 1, loss: .meanSquaredError, reduction: .sum,
                                       optimizer: OptimizerConfiguration(name: .sgd, learningRate: 0.1, momentum: 0.9),
                                       data: "/data", validation: "test split", threads: 2)
  let history = History(epochs: [.init(epoch: 1, loss: 0.5, validationLoss: 0.45, seconds: 1.5, examplesPerSecond: 1000)])

  @Test func roundTripsEverythingTheModelNeeds() throws {
    let original = try model()
    let directory = try TemporaryDirectory()
    try ModelFile(model: original, training: training, history: history).write(to: directory.path("m.safetensors"))
    let read = try ModelFile.read(directory.path("m.safetensors"))
    #expect(read.model.architecture == original.architecture)
    #expect(read.training == training && read.history == history)
    for ((name, a), (otherName, b)) in zip(read.model.namedParameters, original.namedParameters) {
      #expect(name == otherName && a.value == b.value)
    }
    let x = randomTensor([2, 12], in: 0..<1)
    #expect(read.model.reconstruct(x) == original.reconstruct(x))
  }

  @Test func roundTripsTheDataDescriptionAndChecksIt() throws {
    let original = try model()
    let directory = try TemporaryDirectory()
    let description = DataDescription(classNames: ["a", "b"], columnNames: (0..<12).map { "c\($0)" },
                                      scaling: FeatureScaling(kind: .standard, offset: Array(repeating: 1, count: 12), scale: Array(repeating: 2, count: 12)))
    try ModelFile(model: original, training: training, history: history, data: description).write(to: directory.path("m.safetensors"))
    #expect(try ModelFile.read(directory.path("m.safetensors")).data == description)
    var wrong = description
    wrong.scaling?.scale[3] = 0
    let data = try ModelFile(model: original, data: wrong).encode()
    #expect(problem(data) == "corrupt data metadata: scaling: offsets must be finite and scales positive")
  }

  @Test func roundTripsConvolutionalModelsAndTheirNoise() throws {
    var generator = SplitMix64(seed: 2)
    let original = try Autoencoder(Architecture.convolutionalTranspose(height: 8, width: 8), using: &generator)
    var denoising = training
    denoising.noise = .gaussian(standardDeviation: 0.5)
    let directory = try TemporaryDirectory()
    try ModelFile(model: original, training: denoising, history: history).write(to: directory.path("c.safetensors"))
    let read = try ModelFile.read(directory.path("c.safetensors"))
    #expect(read.model.architecture == original.architecture && read.training?.noise == .gaussian(standardDeviation: 0.5))
    #expect(read.model.namedParameters.map(\.name) == original.namedParameters.map(\.name))
    #expect(read.model.parameter(named: "decoder.0.weight")?.value.shape == [3, 3, 32, 32])
    let x = randomTensor([2, 8, 8, 1], in: 0..<1)
    #expect(read.model.reconstruct(x) == original.reconstruct(x))
  }

  /// A model file's bytes with the tensors changed by `edit`.
  func file(editing edit: (inout [(name: String, tensor: Tensor)]) -> Void, metadata: ((inout [String: String]) -> Void)? = nil) throws -> Data {
    let encoded = try ModelFile(model: try model()).encode()
    var (tensors, meta) = try SafeTensors.decode(encoded)
    var list = tensors.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }
    edit(&list)
    metadata?(&meta)
    return try SafeTensors.encode(list, metadata: meta)
  }

  func problem(_ data: Data) -> String? {
    do {
      _ = try ModelFile.decode(data)
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test func strictAboutTensorsTheArchitectureDoesNotExpect() throws {
    #expect(try problem(file { $0.removeAll { $0.name == "decoder.1.bias" } }) == "missing tensor decoder.1.bias")
    #expect(try problem(file { $0.append(("encoder.9.weight", Tensor([1]))) })
      == "unexpected tensor encoder.9.weight (the architecture has no such parameter)")
    // Tensors are sorted by name, so the first is decoder.0.bias, shape [6].
    #expect(try problem(file { list in list[0].tensor = Tensor.zeros(shape: [5]) }) == "tensor decoder.0.bias has shape [5], the architecture needs [6]")
    #expect(try problem(file { list in list[0].tensor = Tensor(shape: [6], repeating: .nan) }) == "tensor decoder.0.bias holds NaN or infinite values")
  }

  @Test func strictAboutTheMetadata() throws {
    #expect(try problem(file(editing: { _ in }) { $0["format"] = nil })
      == "not an AutoencoderKit model (no \"format\": \"autoencoderkit\" in its metadata)")
    #expect(try problem(file(editing: { _ in }) { $0["format_version"] = "2" })
      == "model format version 2 is newer than this tool's 1; update AutoencoderKit")
    #expect(try problem(file(editing: { _ in }) { $0["architecture"] = "{\"input_shape\": [12]}" })
      == "corrupt architecture metadata: no encoder")
    #expect(try problem(file(editing: { _ in }) { $0["architecture"] = #"{"input_shape": [12], "encoder": [{"type": "dense", "units": 3, "activation": "relu"}], "decoder": [{"type": "dense", "units": 5, "activation": "relu"}]}"# })
      == "its architecture cannot be built: the decoder outputs shape [5], but the input shape is [12]; a reconstruction must match its input (shapes: input 12, encoder.0 3, decoder.0 5)")
    #expect(try problem(file(editing: { _ in }) { $0["architecture"] = #"{"input_shape": [12], "encoder": [{"type": "conv9d"}], "decoder": []}"# })
      == "corrupt architecture metadata: unknown layer type \"conv9d\" (known: dense, conv2d, conv2d_transpose, max_pool2d, up_sampling2d, flatten, reshape, dropout, conv1d, conv1d_transpose, max_pool1d, up_sampling1d, lstm, gru, repeat_vector, embedding, gdn)")
  }

  @Test func readErrorsNameTheFile() throws {
    let directory = try TemporaryDirectory()
    let path = try directory.write(Array("not a model".utf8), to: "bad.safetensors")
    #expect {
      try ModelFile.read(path)
    } throws: { error in
      guard let error = error as? FileError else { return false }
      return error.path == path && error.problem.hasPrefix("header of")
    }
    let python = try #require(Bundle.module.path(forResource: "python", ofType: "safetensors", inDirectory: "Fixtures"))
    #expect(throws: FileError(python, "not an AutoencoderKit model (no \"format\": \"autoencoderkit\" in its metadata)")) {
      try ModelFile.read(python)
    }
  }

  @Test func metadataIsCheckedAgainstTheTensorsBeforeAnyLayerIsBuilt() throws {
    // Units 2^20 in a file whose tensors are 12-6-3-6-12: refused without allocating 12·2^20 floats.
    let huge = try problem(file(editing: { _ in }) { metadata in
      metadata["architecture"] = metadata["architecture"]!.replacingOccurrences(of: #""units":6"#, with: #""units":1048576"#)
    })
    #expect(huge == "tensor encoder.0.weight has shape [12, 6], the architecture needs [12, 1048576]")
    let image = try problem(file(editing: { _ in }) { metadata in
      metadata["architecture"] = metadata["architecture"]!.replacingOccurrences(of: #""input_shape":[12]"#, with: #""image_shape":[3,5],"input_shape":[12]"#)
    })
    #expect(image == "its architecture cannot be built: image shape [3, 5] does not hold the input's 12 values (input shape [12])")
  }

  @Test func trainingSettingsOutOfRangeAreCorrupt() throws {
    func withTraining(_ change: (inout TrainingConfiguration) -> Void) throws -> String? {
      var settings = training
      change(&settings)
      return problem(try ModelFile(model: try model(), training: settings).encode())
    }
    #expect(try withTraining { $0.batchSize = 0 } == "corrupt training metadata: batch size 0 is not positive")
    #expect(try withTraining { $0.threads = 100_000 } == "corrupt training metadata: threads 100000 does not lie in 1...256")
    #expect(try withTraining { $0.optimizer.momentum = 1.5 } == "corrupt training metadata: optimizer: momentum 1.5 does not lie in [0, 1)")
    #expect(try withTraining { $0.optimizer.learningRate = -1 } == "corrupt training metadata: optimizer: learning rate -1.0 is not a positive number")
    #expect(try withTraining { _ in } == nil)
  }

  /// The numbers and file bytes of a plain autoencoder's training, pinned: recorded from the code
  /// before objectives had named terms (commit 5a11e8f), so a change to the trainer, the losses or
  /// the file format that moves a bit fails here. The losses and the file's header are the same on
  /// every machine; the weights' last bits depend on OpenBLAS's kernel family (an AVX-512 Xeon's
  /// SkylakeX and an AVX2 EPYC's Haswell give different files; an AVX-512 EPYC with
  /// OPENBLAS_CORETYPE=Haswell in its environment gives the Haswell file at either element-wise
  /// level), so whole-file hashes are pinned per family.
  /// The C kernels are compiled at -O2 in debug builds too, as release builds compile them: that
  /// moved the noisy run's first validation loss by 2 ulp (…965 at -O0), and nothing else.
  @Test(arguments: [(1, false, [UInt32(1_060_235_982), 1_060_194_173], [UInt32(1_060_204_537), 1_060_171_766],
                     ["SkylakeX": UInt64(17_209_257_081_826_122_074), "Haswell": 3_566_563_635_486_994_421]),
                    (2, false, [1_060_235_982, 1_060_194_173], [1_060_204_537, 1_060_171_766],
                     ["SkylakeX": 16_586_765_090_238_957_545, "Haswell": 5_831_952_654_025_353_403]),
                    (2, true, [1_060_269_817, 1_060_232_991], [1_060_246_967, 1_060_211_565],
                     ["SkylakeX": 10_825_482_336_834_397_949, "Haswell": 5_125_483_967_484_388_057])])
  func plainAutoencodersKeepTheirNumbersAndFilesBitForBit(threads: Int, noise: Bool, loss: [UInt32], validation: [UInt32],
                                                          file: [String: UInt64]) throws {
    try Parallel.withThreads(threads) {
      var generator = SplitMix64(seed: 42)
      let model = try Autoencoder(.dense(inputSize: 64, hiddenSizes: [8]), using: &generator)
      let (training, validationSet) = syntheticImages(count: 200).split(validationFraction: 0.25)
      let trainer = Trainer(model: model, optimizer: Adam(), noise: noise ? .gaussian(standardDeviation: 0.3) : nil)
      let history = try trainer.fit(on: training, validation: validationSet, epochs: 2, batchSize: 64, using: &generator)
      #expect(history.loss.map(\.bitPattern) == loss)
      #expect(history.validationLoss.map { $0?.bitPattern } == validation)
      let configuration = TrainingConfiguration(epochs: 2, batchSize: 64, seed: 42, loss: .binaryCrossEntropy, reduction: .mean,
                                                optimizer: OptimizerConfiguration(name: .adam), data: "synthetic", validation: "last 25%",
                                                threads: threads)
      let bytes = [UInt8](try ModelFile(model: model, training: configuration).encode())
      func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 { bytes.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 } }
      let headerEnd = 8 + Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
      #expect(fnv1a(bytes[8..<headerEnd]) == [1: UInt64(4_354_098_970_782_959_664), 2: 13_165_457_484_113_352_805][threads])
      let family = SystemInfo.current().blasCore
      if let expected = file[family] { #expect(fnv1a(bytes) == expected, "BLAS kernels \(family)") }
      #expect(history.epochs.allSatisfy { $0.terms.isEmpty && $0.validationTerms == nil && $0.klWeight == nil })
    }
  }

  @Test func aCodecsFileHoldsItsTablesComputedOnce() throws {
    var generator = SplitMix64(seed: 2)
    let model = try Autoencoder(try Architecture(spec: "conv 3 3 stride 2, bottleneck | convt 1 3 stride 2 sigmoid", exampleShape: [4, 4]),
                                using: &generator)
    let bytes = try ModelFile(model: model).encode()
    let read = try ModelFile.decode(bytes)
    let tables = try #require(read.entropyTables)
    #expect(tables == model.bottleneck!.symbolTables() && tables.count == 3)
    // Tables read are kept as read, not recomputed: a file written again holds the same ones.
    var edited = read
    edited.entropyTables = [tables[0], tables[0], tables[0]]
    #expect(try ModelFile.decode(try edited.encode()).entropyTables == edited.entropyTables)
    // Other models have none, and a count that does not fit the code is refused.
    #expect(try ModelFile.decode(try ModelFile(model: try self.model()).encode()).entropyTables == nil)
    edited.entropyTables = [tables[0]]
    #expect(throws: (any Error).self) { try ModelFile.decode(try edited.encode()) }
  }

  @Test func aCodecsContextTablesRoundTripAndTablesOfOtherChannelsAreRefused() throws {
    var generator = SplitMix64(seed: 2)
    let model = try Autoencoder(try Architecture(spec: "conv 3 3 stride 2, bottleneck | convt 1 3 stride 2 sigmoid", exampleShape: [4, 4]),
                                using: &generator)
    var file = ModelFile(model: model)
    file.contextTables = ContextTables(fitting: (0..<(5 * 12)).map { Int32($0 % 7) - 3 }, codeShape: [2, 2, 3])
    let read = try ModelFile.decode(try file.encode())
    #expect(read.contextTables == file.contextTables && read.contextTables?.grid == [2, 2])
    #expect(try ModelFile.decode(try ModelFile(model: model).encode()).contextTables == nil)
    file.contextTables = ContextTables(fitting: [Int32](repeating: 0, count: 8), codeShape: [2, 2, 2])
    let bytes = try file.encode()
    let error = #expect(throws: SafeTensors.Problem.self) { try ModelFile.decode(bytes) }
    #expect(error?.description == "corrupt context_tables metadata: tables of 2 channels for 3 code channels")
  }
}
