import Datasets
import FileIO
import Foundation
@testable import ImageFiles
import ModelFiles
import TensorCore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One regression test per case of the hostile-input issue: each input that once trapped, hung,
/// replaced a device or gave a wrong answer with exit 0 now gets one line naming the file or value,
/// an exit status below 128, and no output file. (`scripts/hostile-inputs` times the same cases.)
@Suite(.serialized) struct HostileInputTests {
  let data: TemporaryDirectory
  let work: TemporaryDirectory

  init() throws {
    data = try CLI.dataFolder()
    work = try TemporaryDirectory()
  }

  /// A trained model file: the dense 64-4-64 model, or `architecture` (a spec) on the 8×8 data.
  func trainedModel(_ name: String = "m.safetensors", architecture: String? = nil) throws -> String {
    let path = work.path(name)
    let model = architecture.map { ["--architecture", $0] } ?? ["--hidden", "4"]
    let result = try CLI.run(["train", "--data", data.path, "--epochs", "1", "--output", path, "--no-reconstruction"] + model)
    #expect(result.status == 0, "\(result.error)")
    return path
  }

  /// A copy of the model file at `path` with its metadata and tensors changed by `change`.
  func rewritten(_ path: String, as name: String, _ change: (inout [String: String], inout [String: Tensor]) throws -> Void) throws -> String {
    var (tensors, metadata) = try SafeTensors.decode(FileIO.read(path))
    try change(&metadata, &tensors)
    let out = work.path(name)
    try FileIO.writeAtomically(try SafeTensors.encode(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: metadata), to: out)
    return out
  }

  /// `metadata["architecture"]` with `change` applied to its JSON object.
  func editArchitecture(_ metadata: inout [String: String], _ change: (inout [String: Any]) -> Void) throws {
    var object = try #require(try JSONSerialization.jsonObject(with: Data(metadata["architecture"]!.utf8)) as? [String: Any])
    change(&object)
    metadata["architecture"] = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
  }

  func layer(_ object: inout [String: Any], _ half: String, _ index: Int, _ key: String, _ value: Any) {
    var layers = object[half] as! [[String: Any]]
    layers[index][key] = value
    object[half] = layers
  }

  // MARK: - Sizes from model files

  @Test func hugeSizesInAModelFilesArchitectureAreRefusedBeforeAnythingIsBuilt() throws {
    let dense = try trainedModel()
    let conv = try trainedModel("conv.safetensors", architecture: "conv 4 3 relu, pool 2 | up 2, conv 1 3 sigmoid")
    let cases: [(String, String, (inout [String: Any]) -> Void, [String])] = [
      (dense, "units-2-31", { self.layer(&$0, "encoder", 0, "units", 1 << 31) }, ["units 2147483648 exceeds the limit of 16,777,216"]),
      (dense, "units-2-20", { self.layer(&$0, "encoder", 0, "units", 1 << 20) }, ["encoder.0.weight", "[64, 4]", "[64, 1048576]"]),
      (conv, "kernel-2-63", { self.layer(&$0, "encoder", 0, "kernel_size", Int.max) }, ["kernel size 9223372036854775807 exceeds the limit"]),
      (conv, "up-2-62", { self.layer(&$0, "decoder", 0, "size", 1 << 62) }, ["upsampling size 4611686018427387904 exceeds the limit"]),
      (dense, "input-2-40", { $0["input_shape"] = [1 << 40, 1 << 30] }, ["input shape [1099511627776, 1073741824] is too large"]),
    ]
    for (source, name, change, fragments) in cases {
      let path = try rewritten(source, as: "\(name).safetensors") { metadata, _ in try editArchitecture(&metadata) { change(&$0) } }
      try CLI.expectFailure(["info", path], mentions: [path] + fragments)
      try CLI.expectFailure(["evaluate", path, "--data", data.path], mentions: [path] + fragments)
    }
  }

  @Test func anImageShapeThatDisagreesWithTheInputIsRefusedByEveryCommand() throws {
    let model = try trainedModel()
    let codes = work.path("codes.npy")
    try NPY.write([Float](repeating: 0.5, count: 8), shape: [2, 4], to: codes)
    let png = work.path("in.png")
    try PNG.write(Image(width: 8, height: 8, intensities: [Float](repeating: 0.5, count: 64)), to: png)
    for shape in [[7, 8], [0, 0], [8, 9]] {
      let path = try rewritten(model, as: "image-\(shape[0])x\(shape[1]).safetensors") { metadata, _ in
        try editArchitecture(&metadata) { $0["image_shape"] = shape }
      }
      let fragments = [path, "image shape \(shape) does not hold the input's 64 values"]
      try CLI.expectFailure(["info", path], mentions: fragments)
      try CLI.expectFailure(["evaluate", path, "--data", data.path], mentions: fragments)
      try CLI.expectFailure(["reconstruct", path, "--data", data.path, "--output", work.path("r.png")], mentions: fragments)
      try CLI.expectFailure(["decode", path, codes, "--output", work.path("d.png")], mentions: fragments)
      try CLI.expectFailure(["denoise", path, png, "--output", work.path("out")], mentions: fragments)
    }
    #expect(!FileIO.exists(work.path("r.png")) && !FileIO.exists(work.path("d.png")) && !FileIO.exists(work.path("out")))
  }

  @Test func npyHeadersWhoseSizesOverflowAreNamed() throws {
    let model = try trainedModel()
    func npy(_ name: String, descr: String, shape: String, data: [UInt8] = []) throws -> String {
      var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
      header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
      let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
      return try work.write(bytes + Array(header.utf8) + data, to: name)
    }
    let product = try npy("product.npy", descr: "<f4", shape: "(4611686018427387904, 4)")
    try CLI.expectFailure(["decode", model, product, "--output", work.path("d.png")], mentions: [product, "holds more values than any file can"])
    let bytes = try npy("bytes.npy", descr: "<f8", shape: "(2305843009213693952,)")
    try CLI.expectFailure(["decode", model, bytes, "--output", work.path("d.png")], mentions: [bytes, "holds more values than any file can"])
    let rows = try npy("rows.npy", descr: "<f4", shape: "(9223372036854775807, 0)")
    try CLI.expectFailure(["decode", model, rows, "--output", work.path("d.png")], mentions: [rows, "the model's codes have 4 values each"])
    #expect(!FileIO.exists(work.path("d.png")))
  }

  // MARK: - Sizes from options and specs

  @Test func optionAndSpecSizesNearIntMaxAreErrorsNotTraps() throws {
    let model = work.path("m.safetensors")
    let base = ["train", "--data", data.path, "--epochs", "1", "--output", model, "--no-reconstruction"]
    try CLI.expectFailure(base + ["--hidden", "9223372036854775807"], mentions: ["units 9223372036854775807 exceeds the limit"])
    try CLI.expectFailure(base + ["--hidden", "2147483648"], mentions: ["units 2147483648 exceeds the limit"])
    let specs: [(String, String)] = [
      ("up 4611686018427387904 | conv 1 3 sigmoid", "upsampling size 4611686018427387904 exceeds the limit"),
      ("reshape 4294967296x4294967296 | dense 64 sigmoid", "target size 4294967296 exceeds the limit"),
      ("reshape 16777216x16777216x16777216 | dense 64 sigmoid", "64 values cannot take the shape"),
      ("dense 2147483648 | dense 64 sigmoid", "units 2147483648 exceeds the limit"),
      ("conv 4 9223372036854775807 | conv 1 3 sigmoid", "kernel size 9223372036854775807 exceeds the limit"),
      ("conv 4 3 stride 9223372036854775807 | convt 1 3 sigmoid", "stride 9223372036854775807 exceeds the limit"),
      ("dense 16777216 | dense 64 sigmoid", "the model has 2,164,260,928 parameters, more than the limit of 2,147,483,647"),
      ("dense 4000000 | dense 64 sigmoid", "training 64 → 4000000 identity → 64 sigmoid with batches of 256 needs about"),
    ]
    for (spec, fragment) in specs {
      try CLI.expectFailure(base + ["--architecture", spec], mentions: [fragment], environment: ["AUTOENCODERKIT_MEMORY_BUDGET": "1G"])
    }
    try CLI.expectFailure(base + ["--threads", "1000000"], mentions: ["--threads 1000000", "1 to 256"])
    // A batch larger than the data is the whole data, as in Keras.
    let huge = try CLI.run(base + ["--hidden", "4", "--batch-size", "9223372036854775807"])
    #expect(huge.status == 0, "\(huge.error)")
    #expect(huge.output.contains("Epoch 1/1"))
  }

  @Test func pngDecompressionBombsAreRefusedFromTheirHeader() throws {
    let model = try trainedModel("conv.safetensors", architecture: "conv 4 3 relu, pool 2 | up 2, conv 1 3 sigmoid")
    for (width, height) in [(65535, 65535), (16384, 16384), (4097, 4096)] {
      var header = PNG.bigEndian(UInt32(width)) + PNG.bigEndian(UInt32(height))
      header += [8, 0, 0, 0, 0]
      let rows = Zlib.deflate([UInt8](repeating: 0, count: 1 << 20))  // the start of a bomb: 1 MB of zeros in 1 KB
      let bytes = PNG.signature + PNG.chunk("IHDR", header) + PNG.chunk("IDAT", rows) + PNG.chunk("IEND", [])
      let bomb = try work.write(bytes, to: "bomb-\(width).png")
      try CLI.expectFailure(["denoise", model, bomb, "--output", work.path("out")],
                            mentions: [bomb, "\(width)×\(height) images exceed the limit of 16384 pixels a side and 16777216 pixels"])
    }
    #expect(!FileIO.exists(work.path("out")))
  }

  // MARK: - Wrong answers with exit 0

  @Test func aValidationSplitThatLeavesNoTrainingDataIsAnError() throws {
    try CLI.expectFailure(["train", "--data", data.path, "--limit", "1", "--validation-split", "0.5", "--output", work.path("m.safetensors")],
                          mentions: ["the training set is empty", "--validation-split 0.5 of 1 example leaves none to train on"])
    #expect(try work.contents().isEmpty)
  }

  @Test func imagesOfAnotherShapeWithTheSamePixelCountAreRefused() throws {
    let model = try trainedModel()
    let other = try TemporaryDirectory()
    try other.write(IDX.encode(IDX.Array(shape: [3, 4, 16], bytes: Array(repeating: 9, count: 192))), to: "t10k-images-idx3-ubyte")
    try CLI.expectFailure(["evaluate", model, "--data", other.path], mentions: ["t10k-images-idx3-ubyte", "[4, 16]", "images 8×8"])
    try CLI.expectFailure(["encode", model, "--data", other.path, "--output", work.path("codes.npy")], mentions: ["[4, 16]", "images 8×8"])
    let wide = work.path("wide.png")
    try PNG.write(Image(width: 16, height: 4, intensities: [Float](repeating: 0.5, count: 64)), to: wide)
    try CLI.expectFailure(["denoise", model, wide, "--output", work.path("out")], mentions: [wide, "[4, 16]", "images 8×8"])
    #expect(try work.contents() == ["m.safetensors", "wide.png"])
  }

  @Test func aCSVWithoutAHeaderWhoseFirstRowIsBadIsAnError() throws {
    let model = try trainedModel()
    let csv = try work.write(Array("0.1,x,0.3,0.4\n0.5,0.6,0.7,0.8\n".utf8), to: "codes.csv")
    try CLI.expectFailure(["decode", model, csv, "--output", work.path("d.png")], mentions: [csv, "line 1, column 2: \"x\" is not a finite number"])
    let nan = try work.write(Array("z0,z1,z2,z3\n0.1,nan,0.3,0.4\n".utf8), to: "nan.csv")
    try CLI.expectFailure(["decode", model, nan, "--output", work.path("d.png")], mentions: [nan, "line 2, column 2 (z1): \"nan\" is not a finite number"])
    #expect(!FileIO.exists(work.path("d.png")))
  }

  @Test func finiteButHugeWeightsGiveAnErrorNamingTheCause() throws {
    let model = try trainedModel()
    let huge = try rewritten(model, as: "huge.safetensors") { _, tensors in
      for (name, tensor) in tensors { tensors[name] = Tensor(shape: tensor.shape, scalars: tensor.scalars.map { $0 == 0 ? 1e30 : $0 * 1e30 }) }
    }
    for json in [false, true] {
      try CLI.expectFailure(["evaluate", huge, "--data", data.path] + (json ? ["--json"] : []),
                            mentions: ["binary cross-entropy of the model's outputs on", "is NaN", "its weights may be too large (the largest magnitude is"])
        }
      }
    
      @Test func aNaNValidationLossStopsTraining() throws {
        // One step of an absurd learning rate: the step's own loss is finite, the weights after it are not.
        try CLI.expectFailure(["train", "--data", data.path, "--hidden", "8", "--loss", "mse", "--output-activation", "identity", "--optimizer", "sgd",
                           "--learning-rate", "1e30", "--epochs", "1", "--batch-size", "512", "--output", work.path("m.safetensors")],
                          mentions: ["val_loss became", "after epoch 1"])
    #expect(try work.contents().isEmpty)
  }

  // MARK: - Files that are not regular files

  @Test func outputsNeverReplaceDevicesFIFOsOrSymlinksToThem() throws {
    let model = try trainedModel()
    let fifo = work.path("fifo")
    #expect(mkfifo(fifo, 0o644) == 0)
    let devices = try TemporaryDirectory()
    let device = devices.characterDevice()
    let toDevice = work.path("null-link.png")
    try FileManager.default.createSymbolicLink(atPath: toDevice, withDestinationPath: device)
    for (output, fragment) in [(device, "is a character device"), (fifo, "is a named pipe (FIFO)"), (toDevice, "is a symbolic link to a character device")] {
      try CLI.expectFailure(["reconstruct", model, "--data", data.path, "--output", output], mentions: [output, fragment])
      try CLI.expectFailure(["train", "--data", data.path, "--hidden", "4", "--output", output], mentions: [output, fragment])
    }
    var status = stat()
    #expect(lstat(device, &status) == 0 && (status.st_mode & S_IFMT) == S_IFCHR)
    #expect(lstat(fifo, &status) == 0 && (status.st_mode & S_IFMT) == S_IFIFO)
    #expect(lstat(toDevice, &status) == 0 && (status.st_mode & S_IFMT) == S_IFLNK)
    // A symbolic link to a regular file is followed: the file is replaced, the link kept.
    let target = try work.write([1, 2, 3], to: "target.png")
    let link = work.path("link.png")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
    #expect(try CLI.run(["reconstruct", model, "--data", data.path, "--output", link]).status == 0)
    #expect(try PNG.read(target).width > 8)
    #expect(lstat(link, &status) == 0 && (status.st_mode & S_IFMT) == S_IFLNK)
  }

  @Test func fifosAndDevicesAsInputsAreRefusedWithoutReading() throws {
    let fifo = work.path("model.safetensors")
    #expect(mkfifo(fifo, 0o644) == 0)
    try CLI.expectFailure(["info", fifo], mentions: [fifo, "is a named pipe (FIFO), not a file"])
    try CLI.expectFailure(["info", "/dev/zero"], mentions: ["/dev/zero", "is a character device, not a file"])
    let folder = try TemporaryDirectory()
    #expect(mkfifo(folder.path("train-images-idx3-ubyte"), 0o644) == 0)
    try CLI.expectFailure(["train", "--data", folder.path, "--output", work.path("m.safetensors")], mentions: ["train-images-idx3-ubyte", "named pipe"])
  }

  // MARK: - Interruptions and full disks

  @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
  func anInterruptedWriteLeavesNoTemporaryFile(signal: Int32, status: Int32) throws {
    let process = CLI.process(["train", "--data", data.path, "--hidden", "4", "--epochs", "1", "--output", work.path("m.safetensors")],
                              environment: ["AUTOENCODERKIT_TEST_WRITE_PAUSE": "30"])
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    // Wait for the temporary files (model and figure) to be written, then interrupt.
    let deadline = Date().addingTimeInterval(60)
    while try work.contents().filter({ $0.contains(".tmp-") }).count < 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    #expect(try work.contents().filter { $0.contains(".tmp-") }.count == 2)
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == status)
    #expect(message.contains("interrupted by \(signal == SIGINT ? "SIGINT" : "SIGTERM"); removed 2 temporary files"), "\(message)")
    #expect(try work.contents().isEmpty)
  }

  @Test(.enabled(if: getuid() == 0, "mounting a small file system needs root"))
  func pngOutputsOntoAFullDiskAreAllOrNothing() throws {
    let model = try trainedModel("conv.safetensors", architecture: "conv 4 3 relu, pool 2 | up 2, conv 1 3 sigmoid")
    let inputs = try (0..<12).map { index in
      let path = work.path("in-\(index).png")
      try PNG.write(Image(width: 8, height: 8, intensities: (0..<64).map { Float(($0 * 7 + index) % 64) / 63 }), to: path)
      return path
    }
    let disk = try TemporaryDirectory()
    guard mount("tmpfs", disk.path, "tmpfs", 0, "size=20k") == 0 else {
      Issue.record("mount failed: \(String(cString: strerror(errno)))")
      return
    }
    defer { umount(disk.path) }
    // 12 files of at least a 4 KB page each do not fit in 20 KB.
    try CLI.expectFailure(["denoise", model] + inputs + ["--output", disk.path("cleaned")], mentions: [disk.path("cleaned"), "no space left on device"])
    #expect(try disk.contents().isEmpty)
    // Into an existing folder: what was there stays, nothing is added.
    try FileManager.default.createDirectory(atPath: disk.path("cleaned"), withIntermediateDirectories: false)
    try disk.write([1, 2, 3], to: "cleaned/keep.txt")
    try CLI.expectFailure(["denoise", model] + inputs + ["--output", disk.path("cleaned")], mentions: [disk.path("cleaned"), "no space left on device"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path("cleaned")) == ["keep.txt"])
  }
}
