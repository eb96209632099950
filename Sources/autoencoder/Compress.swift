import ArgumentParser
import AutoencoderKit
import Foundation

struct Compress: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compress images into an .aec file through a model's codes (quantized, entropy-coded), or a text file with a text model.",
    discussion: """
      A fully convolutional model (the codec preset) takes images of any size, padded by repeating their edges \
      to a multiple of its strides; the file records the original size. PNG files (or a flat PNG folder) of several \
      sizes make one file with a section per size, each image written back by its file name. Each image's code is quantized per channel (--bits levels between the channel's least and greatest value, or \
      a fixed --step) and coded with rANS under probability tables fitted to these codes and stored in the file. \
      `autoencoder decompress` with the same model writes the images back. --report decodes the file again and \
      prints the rate (bits per pixel, whole file and payload), PSNR, SSIM (and MS-SSIM for images of 176 pixels a side or \
      more) and speed.

      With a text model (--model text), the input is one file of any bytes: each byte is coded with rANS under the \
      model's prediction from the bytes before it, losslessly; --report decodes it again and prints bits per \
      character and the encode and decode speed.
      """)

  @Argument(help: "The model file.") var model: String
  @Argument(help: ArgumentHelp("PNG files, or one PNG folder, IDX folder or IDX images file; or, for a text model, one text file.", valueName: "input"))
  var inputs: [String]
  @Option(help: "Which split of an IDX folder or a PNG folder with train and test subfolders.") var split: SplitOption = .test
  @Option(help: ArgumentHelp("Compress the first N images only.", valueName: "n")) var limit: Int?
  @Option(help: ArgumentHelp("Quantize each code value to 2^bits levels between its channel's least and greatest value (1 to 16; default 8).", valueName: "bits"))
  var bits: Int?
  @Option(help: ArgumentHelp("Quantize each code value with this step instead (round(z / step)).", valueName: "step")) var step: Float?
  @Flag(help: "Leave the model file's and the images' names out of the file (images of several sizes keep theirs): 30-odd bytes less, a third of a small image's file; decompress names the images 00000.png, ..., or writes one image to --output NAME.png.")
  var strip = false
  @Flag(help: "Decode the file again and report bits per pixel, PSNR, SSIM and images per second.") var report = false
  @Flag(help: "Print the report as one line of JSON.") var json = false
  @Option(name: .shortAndLong, help: "The compressed file (.aec).") var output = "images.aec"
  @OptionGroup var threads: ThreadOptions

  var pngInputs: Bool { !inputs.isEmpty && inputs.allSatisfy { $0.lowercased().hasSuffix(".png") } }

  var quantization: CodeQuantizer.Rule { step.map { .step($0) } ?? .bits(bits ?? 8) }

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give PNG files, or a PNG or IDX folder, to compress") }
    guard pngInputs || inputs.count == 1 else { throw ValidationError("give PNG files (named .png), or one PNG or IDX folder or IDX images file") }
    guard bits == nil || step == nil else { throw ValidationError("give --bits or --step, not both") }
    if let bits, !(1...16).contains(bits) { throw ValidationError("--bits \(bits): give 1 to 16") }
    if let step, !(step > 0 && step.isFinite) { throw ValidationError("--step \(step): give a positive number") }
    if let limit, limit < 1 { throw ValidationError("--limit \(limit): give a positive number") }
    if json && !report { throw ValidationError("--json goes with --report") }
    guard output.hasSuffix(".aec") else { throw ValidationError("--output \(output): must end in .aec") }
    try checkWritable(output, option: "--output")
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    if file.model.architecture.vocabulary != nil { return try compressText(file) }
    var names: [String]?
    var set: ImageSet
    let colour: ImageFolder.Colour = file.model.architecture.inputShape.count == 3 && file.model.architecture.inputShape[2] == 3 ? .rgb : .gray
    // A flat PNG folder may hold several sizes, unless the model resizes what it reads (trained with --resize).
    let flatFolder = !pngInputs && FileIO.isDirectory(inputs[0]) && ImageFolder.looksLikeImages(inputs[0]) && ImageFolder(inputs[0]).splitFolders == nil
      && (try? FileManager.default.contentsOfDirectory(atPath: inputs[0]))?.contains { FileIO.isDirectory("\(inputs[0])/\($0)") } == false
      && file.readingOptions(given: ReadingOptions()).resize == nil
    var oneSize: ImageSet?
    if file.model.architecture.isFullyConvolutional, pngInputs || flatFolder {
      // PNG files of several sizes: one section of the file per size, each image written back by its name.
      let groups = try ImageFolder(inputs[0], colour: colour).loadGroupedBySize(files: pngInputs ? inputs : nil, threads: Parallel.threads)
      if groups.count > 1 {
        if let repeated = repeatedFileName(groups.flatMap(\.paths)) {
          throw ValidationError("two inputs are named \(repeated); decompressed files would share the name")
        }
        return try compress(groups, file)
      }
      oneSize = groups[0].set  // one size: the folder or files already read
    }
    if let oneSize {
      set = oneSize
      if pngInputs {
        names = inputs.map { ($0 as NSString).lastPathComponent }
        if let repeated = repeatedFileName(inputs) {
          throw ValidationError("two inputs are named \(repeated); decompressed files would share the name")
        }
      }
    } else if pngInputs {
      set = try ImageInput.pngs(inputs, colour: colour)
      names = inputs.map { ($0 as NSString).lastPathComponent }
      if let repeated = repeatedFileName(inputs) {
        throw ValidationError("two inputs are named \(repeated); decompressed files would share the name")
      }
    } else if FileIO.isDirectory(inputs[0]) {
      let source = try DataSource(inputs[0], options: file.readingOptions(given: ReadingOptions()))
      do {
        // A fully convolutional model takes images of other sizes (the codec pads them as its strides need).
        set = file.model.architecture.isFullyConvolutional ? try source.load(split.split, threads: Parallel.threads)
          : try file.examples(from: source, split: split.split)
      } catch let error as FileError where error.problem.hasSuffix(ImageFolder.severalSizesAdvice) {
        // Compress has no --resize: say what it does take.
        let advice = file.model.architecture.isFullyConvolutional
          ? "images of several sizes are compressed from PNG files or a flat folder, not from class or split folders"
          : "\(model) was trained without --resize, so it reads images of one size"
        throw FileError(error.path, String(error.problem.dropLast(ImageFolder.severalSizesAdvice.count)) + advice)
      }
    } else {
      set = try ImageInput.idx(inputs[0], split: split.split)
    }
    if let limit {
      set = set.prefix(limit)
      names = names.map { Array($0.prefix(limit)) }
    }
    let codec = try imageCodec(file)
    let (_, bytes, seconds) = try codec.compressTimed(set, quantization: quantization, names: names)
    try FileIO.writeAtomically(Data(bytes), to: output)
    let pixels = set.count * set.exampleShape.prefix(2).reduce(1, *)
    if !json {
      say("Wrote \(output): \(grouped(set.count)) image\(set.count == 1 ? "" : "s") of \(set.source) in \(grouped(bytes.count)) bytes, "
        + "\(String(format: "%.3f", Double(bytes.count * 8) / Double(max(pixels, 1)))) bits per pixel "
        + (codec.isRateTrained ? "(its rate-trained code, rounded)" : "(codes quantized to \(quantization))"))
    }
    guard report else { return }
    try printReport(try codec.report(originals: set, bytes: bytes, encodeSeconds: seconds))
  }

  /// Compresses PNG images of several sizes (`groups`, one per size) into one file of a section per size.
  func compress(_ groups: [(set: ImageSet, indices: [Int], paths: [String])], _ file: ModelFile) throws {
    var groups = groups
    if let limit {  // the first N images in the inputs' order
      groups = groups.compactMap { group in
        let kept = group.indices.enumerated().filter { $0.element < limit }.map(\.offset)
        return kept.isEmpty ? nil : (group.set.prefix(kept.count), Array(group.indices.prefix(kept.count)), Array(group.paths.prefix(kept.count)))
      }
    }
    let codec = try imageCodec(file)
    let sections = groups.map { (images: $0.set, names: Optional($0.paths.map { ($0 as NSString).lastPathComponent })) }
    let (_, bytes, seconds) = try codec.compressTimed(sections, quantization: quantization)
    try FileIO.writeAtomically(Data(bytes), to: output)
    let count = groups.reduce(0) { $0 + $1.set.count }
    let pixels = groups.reduce(0) { $0 + $1.set.count * $1.set.exampleShape.prefix(2).reduce(1, *) }
    let sizes = groups.map { "\($0.set.count) of \($0.set.exampleShape[1])×\($0.set.exampleShape[0])" }.joined(separator: ", ")
    if !json {
      say("Wrote \(output): \(grouped(count)) image\(count == 1 ? "" : "s") of \(groups.count) size\(groups.count == 1 ? "" : "s") (\(sizes)) in \(grouped(bytes.count)) bytes, "
        + "\(String(format: "%.3f", Double(bytes.count * 8) / Double(max(pixels, 1)))) bits per pixel "
        + (codec.isRateTrained ? "(its rate-trained code, rounded)" : "(codes quantized to \(quantization))"))
    }
    guard report else { return }
    try printReport(try codec.report(originals: groups.map(\.set), bytes: bytes, encodeSeconds: seconds))
  }

  /// The codec of the model file, stripping names if asked.
  ///
  /// - Throws: `ValidationError` for --bits or --step given to a rate-trained codec.
  func imageCodec(_ file: ModelFile) throws -> ImageCodec {
    var codec = ImageCodec(file: file, name: (model as NSString).lastPathComponent)
    if codec.isRateTrained, bits != nil || step != nil {
      throw ValidationError("\(bits != nil ? "--bits" : "--step"): \(model) is a rate-trained codec; its code is rounded and coded under its own tables")
    }
    codec.stripsNames = strip
    return codec
  }

  /// Prints what `--report` measured.
  func printReport(_ measured: CompressionReport) throws {
    if json {
      try printJSON(measured)
    } else {
      if let estimate = measured.estimatedBitsPerPixel {
        say(String(format: "the codec's own estimate of its rate: %.4f bits per pixel (the payload is %+.2f%% off it%@)", estimate,
                   100 * (measured.payloadBitsPerPixel / estimate - 1), measured.contextTables == true ? ", coded under its context tables" : ""))
      }
      say(String(format: "bits per pixel %.4f (payload %.4f) · PSNR %.2f dB · SSIM %.4f%@ · encode %@ images/s · decode %@ images/s",
                 measured.bitsPerPixel, measured.payloadBitsPerPixel, measured.psnr, measured.ssim,
                 measured.multiscaleSSIM.map { String(format: " · MS-SSIM %.4f", $0) } ?? "",
                 grouped(Int(measured.encodeImagesPerSecond.rounded())), grouped(Int(measured.decodeImagesPerSecond.rounded()))))
    }
  }

  /// Compresses one text file with a text model.
  func compressText(_ file: ModelFile) throws {
    guard inputs.count == 1, !FileIO.isDirectory(inputs[0]) else {
      throw ValidationError("\(model) is a text model: give one text file to compress")
    }
    if bits != nil || step != nil { throw ValidationError("\(bits != nil ? "--bits" : "--step"): \(model) is a text model; it codes bytes, not quantized codes") }
    if limit != nil { throw ValidationError("--limit applies to images; \(model) is a text model") }
    if strip { throw ValidationError("--strip applies to images; a compressed text's header is nothing beside its text") }
    let text = try FileIO.readBytes(inputs[0])
    let codec = try TextCodec(model: file.model, name: (model as NSString).lastPathComponent)
    let start = Date()
    let compressed = try codec.compress(text, source: inputs[0])
    let encodeSeconds = Date().timeIntervalSince(start)
    let bytes = compressed.encoded()
    try FileIO.writeAtomically(Data(bytes), to: output)
    let bitsPerCharacter = Double(bytes.count * 8) / Double(text.count)
    if !json {
      say("Wrote \(output): \(grouped(text.count)) bytes of \(inputs[0]) in \(grouped(bytes.count)) bytes, "
        + String(format: "%.3f bits per character (%.2f%% of the text), %d segment%@", bitsPerCharacter, 100 * Double(bytes.count) / Double(text.count),
                 compressed.streams.count, compressed.streams.count == 1 ? "" : "s coded side by side"))
    }
    guard report else { return }
    let decodeStart = Date()
    let decoded = try codec.decompress(try CompressedText.decode(bytes), path: output)
    let decodeSeconds = Date().timeIntervalSince(decodeStart)
    guard decoded == text else { throw ValidationError("\(output) does not decode to \(inputs[0]); please report this") }
    let measured = TextCompressionReport(bytes: text.count, compressedBytes: bytes.count, payloadBytes: compressed.streams.reduce(0) { $0 + $1.count },
                                         encodeSeconds: encodeSeconds, decodeSeconds: decodeSeconds)
    if json {
      try printJSON(measured)
    } else {
      say(String(format: "bits per character %.4f (payload %.4f) · encode %.1f KB/s · decode %.1f KB/s · round trip byte-exact",
                 measured.bitsPerCharacter, measured.payloadBitsPerCharacter, measured.encodeKilobytesPerSecond, measured.decodeKilobytesPerSecond))
    }
  }
}

/// What `compress --report` measures for a text.
struct TextCompressionReport: Encodable {
  let bytes: Int, compressedBytes: Int, payloadBytes: Int
  let bitsPerCharacter: Double, payloadBitsPerCharacter: Double
  let encodeSeconds: Double, decodeSeconds: Double
  let encodeKilobytesPerSecond: Double, decodeKilobytesPerSecond: Double

  init(bytes: Int, compressedBytes: Int, payloadBytes: Int, encodeSeconds: Double, decodeSeconds: Double) {
    (self.bytes, self.compressedBytes, self.payloadBytes, self.encodeSeconds, self.decodeSeconds) =
      (bytes, compressedBytes, payloadBytes, encodeSeconds, decodeSeconds)
    bitsPerCharacter = Double(compressedBytes * 8) / Double(bytes)
    payloadBitsPerCharacter = Double(payloadBytes * 8) / Double(bytes)
    encodeKilobytesPerSecond = Double(bytes) / 1000 / max(encodeSeconds, 1e-9)
    decodeKilobytesPerSecond = Double(bytes) / 1000 / max(decodeSeconds, 1e-9)
  }

  enum CodingKeys: String, CodingKey {
    case bytes, compressedBytes = "compressed_bytes", payloadBytes = "payload_bytes", bitsPerCharacter = "bits_per_character"
    case payloadBitsPerCharacter = "payload_bits_per_character", encodeSeconds = "encode_seconds", decodeSeconds = "decode_seconds"
    case encodeKilobytesPerSecond = "encode_kb_per_s", decodeKilobytesPerSecond = "decode_kb_per_s"
  }
}
