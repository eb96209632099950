import ArgumentParser
import AutoencoderKit
import Foundation

struct Decompress: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Decompress an .aec file with the model that made it: PNG files, or one IDX images file.",
    discussion: """
      PNG files keep the names they were compressed from (else 00000.png, 00001.png, ...) and are written \
      together: all of them, or none. An --output ending in idx3-ubyte (or .idx) gets one IDX images file instead.
      """)

  @Argument(help: "The model file that compressed the images.") var model: String
  @Argument(help: "The compressed file (.aec).") var input: String
  @Option(name: .shortAndLong, help: "A folder for the PNG files, or an IDX images file (…idx3-ubyte).") var output = "decompressed"
  @OptionGroup var threads: ThreadOptions

  var idxOutput: Bool { output.hasSuffix("idx3-ubyte") || output.lowercased().hasSuffix(".idx") }

  func validate() throws {
    if idxOutput {
      try checkWritable(output, option: "--output")
    } else if FileIO.exists(output), !FileIO.isDirectory(output) {
      throw ValidationError("--output \(output): is a file; give a folder for PNG files, or a name ending in idx3-ubyte")
    }
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    let compressed = try CompressedFile.read(input)
    let codec = ImageCodec(file: file, name: (model as NSString).lastPathComponent)
    let images = try codec.decompress(compressed, path: input)
    let header = compressed.header
    let (height, width, channels) = (header.imageShape[0], header.imageShape[1], header.imageShape[2])
    let bytes = images.scalars.map(Image.byte)
    if idxOutput {
      guard channels == 1 else { throw ValidationError("--output \(output): IDX images files hold gray images; these have \(channels) channels") }
      try FileIO.writeAtomically(Data(IDX.encode(IDX.Array(shape: [header.count, height, width], bytes: bytes))), to: output)
      say("Wrote \(output): \(grouped(header.count)) images of \(height)×\(width) from \(input)")
      return
    }
    let size = height * width * channels
    let files = (0..<header.count).map { index in
      let name = header.names?[index] ?? String(format: "%05d.png", index)
      let image = Image(width: width, height: height, channels: channels, pixels: Array(bytes[(index * size)..<((index + 1) * size)]))
      return (name: name, data: Data(PNG.encode(image)))
    }
    try FileIO.writeAtomically(files, intoFolder: output)
    say("Wrote \(grouped(header.count)) PNG file\(header.count == 1 ? "" : "s") of \(height)×\(width) to \(output)/ from \(input)")
  }
}
