import ArgumentParser
import AutoencoderKit
import Foundation

struct Decompress: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Decompress an .aec file with the model that made it: PNG files, or one IDX images file; or a text file.",
    discussion: """
      PNG files keep the names they were compressed from (else 00000.png, 00001.png, ...) and are written \
      together: all of them, or none; a file of several image sizes writes each at its own size. An --output ending \
      in idx3-ubyte (or .idx) gets one IDX images file instead (images of one size); one ending in .png, a file \
      of one image, gets that image. \
      A compressed text (made with a text model) is written to --output as one file, byte for byte.
      """)

  @Argument(help: "The model file that compressed the images.") var model: String
  @Argument(help: "The compressed file (.aec).") var input: String
  @Option(name: .shortAndLong, help: "A folder for the PNG files, an IDX images file (…idx3-ubyte), or a PNG file (….png) for a file of one image; for a text, its file.")
  var output = "decompressed"
  @OptionGroup var threads: ThreadOptions

  var idxOutput: Bool { output.hasSuffix("idx3-ubyte") || output.lowercased().hasSuffix(".idx") }
  var pngOutput: Bool { output.lowercased().hasSuffix(".png") }

  func validate() throws {
    if idxOutput || pngOutput {
      try checkWritable(output, option: "--output")
    }
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    let bytes = try FileIO.readBytes(input)
    if CompressedText.isText(bytes) { return try decompressText(bytes, file) }
    if file.model.architecture.vocabulary != nil {
      throw ValidationError("\(model) is a text model, and \(input) holds compressed images; decompress it with the image model that made it")
    }
    let sections: [CompressedFile]
    do { sections = try CompressedImages.decode(bytes).sections } catch { throw FileError(input, error.description) }
    if !idxOutput, !pngOutput, FileIO.exists(output), !FileIO.isDirectory(output) {
      throw ValidationError("--output \(output): is a file; give a folder for PNG files, or a name ending in idx3-ubyte")
    }
    let codec = ImageCodec(file: file, name: (model as NSString).lastPathComponent)
    if pngOutput, sections.count > 1 || sections[0].header.count != 1 {
      throw ValidationError("--output \(output): \(input) holds \(grouped(sections.reduce(0) { $0 + $1.header.count })) images; a PNG file holds one: give a folder")
    }
    if sections.count > 1 { return try writeSeveralSizes(sections, codec) }
    let compressed = try codec.completed(sections[0], path: input)  // a compact file's image size may be the model's
    let images = try codec.decompress(compressed, path: input)
    let header = compressed.header
    let (height, width, channels) = (header.imageShape[0], header.imageShape[1], header.imageShape[2])
    let pixels = images.scalars.map(Image.byte)
    if idxOutput {
      guard channels == 1 else { throw ValidationError("--output \(output): IDX images files hold gray images; these have \(channels) channels") }
      try FileIO.writeAtomically(Data(IDX.encode(IDX.Array(shape: [header.count, height, width], bytes: pixels))), to: output)
      say("Wrote \(output): \(grouped(header.count)) images of \(height)×\(width) from \(input)")
      return
    }
    if pngOutput {
      try FileIO.writeAtomically(Data(PNG.encode(Image(width: width, height: height, channels: channels, pixels: pixels))), to: output)
      say("Wrote \(output): one \(height)×\(width) image from \(input)")
      return
    }
    let size = height * width * channels
    let files = (0..<header.count).map { index in
      let name = header.names?[index] ?? String(format: "%05d.png", index)
      let image = Image(width: width, height: height, channels: channels, pixels: Array(pixels[(index * size)..<((index + 1) * size)]))
      return (name: name, data: Data(PNG.encode(image)))
    }
    try FileIO.writeAtomically(files, intoFolder: output)
    say("Wrote \(grouped(header.count)) PNG file\(header.count == 1 ? "" : "s") of \(height)×\(width) to \(output)/ from \(input)")
  }

  /// Writes the PNG files of a file of several sizes (a section per size), all together or none.
  func writeSeveralSizes(_ sections: [CompressedFile], _ codec: ImageCodec) throws {
    if idxOutput {
      let sizes = sections.map { "\($0.header.imageShape[1])×\($0.header.imageShape[0])" }.joined(separator: ", ")
      throw ValidationError("--output \(output): \(input) holds images of \(sections.count) sizes (\(sizes)); an IDX file holds one: give a folder for PNG files")
    }
    var files: [(name: String, data: Data)] = []
    for section in sections {
      let images = try codec.decompress(section, path: input)
      let (height, width, channels) = (section.header.imageShape[0], section.header.imageShape[1], section.header.imageShape[2])
      let size = height * width * channels, pixels = images.scalars.map(Image.byte)
      for (index, name) in section.header.names!.enumerated() {
        files.append((name, Data(PNG.encode(Image(width: width, height: height, channels: channels, pixels: Array(pixels[(index * size)..<((index + 1) * size)]))))))
      }
    }
    try FileIO.writeAtomically(files, intoFolder: output)
    say("Wrote \(grouped(files.count)) PNG files of \(sections.count) sizes to \(output)/ from \(input)")
  }

  /// Writes the text a text model compressed.
  func decompressText(_ bytes: [UInt8], _ file: ModelFile) throws {
    let compressed: CompressedText
    do { compressed = try CompressedText.decode(bytes) } catch { throw FileError(input, error.description) }
    guard file.model.architecture.vocabulary != nil else {
      throw ValidationError("\(input) holds a compressed text, and \(model) is not a text model; decompress it with the text model that made it (\(compressed.model))")
    }
    guard !FileIO.isDirectory(output) else { throw ValidationError("--output \(output): is a folder; give the text file to write") }
    try checkWritable(output, option: "--output")
    let codec = try TextCodec(model: file.model, name: (model as NSString).lastPathComponent)
    let text = try codec.decompress(compressed, path: input)
    try FileIO.writeAtomically(Data(text), to: output)
    say("Wrote \(output): \(grouped(text.count)) bytes from \(input)")
  }
}
