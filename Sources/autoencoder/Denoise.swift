import ArgumentParser
import AutoencoderKit
import Foundation

struct Denoise: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Clean images with a (denoising) model: PNG files, or IDX data.",
    discussion: """
      PNG inputs (gray, or colour converted to gray) are written under the --output folder with their own names. \
      An IDX folder (its --split) or images file gives a figure (--output x.png: inputs above outputs) or all outputs \
      as a float array (--output x.npy). --noise corrupts clean inputs first, to see what the model removes; the \
      figure then shows clean, noisy and denoised rows, and PSNR and SSIM are reported for both.
      """)

  @Argument(help: "The model file.") var model: String
  @Argument(help: ArgumentHelp("PNG files, or one IDX folder or images file.", valueName: "input")) var inputs: [String]
  @Option(help: "Corrupt the inputs first: gaussian[:STD], salt-and-pepper[:FRACTION] or masking[:FRACTION].") var noise: Noise?
  @Option(help: "Seed of the noise.") var seed: UInt64 = 0
  @Option(help: "Which split of an IDX folder.") var split: SplitOption = .test
  @Option(help: "Images in the figure.") var count = 10
  @Option(help: "Images per figure row.") var columns = 10
  @Option(help: "Pixels per image pixel in the figure.") var scale = 2
  @Option(name: .shortAndLong, help: "A folder for PNG inputs (default: denoised); a .png figure or .npy array for IDX input (default: denoised.png).")
  var output: String?
  @OptionGroup var threads: ThreadOptions

  var pngInputs: Bool { inputs.allSatisfy { $0.lowercased().hasSuffix(".png") } }

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give PNG files or an IDX folder or file to denoise") }
    guard count > 0, columns > 0, (1...16).contains(scale) else { throw ValidationError("--count and --columns must be positive, --scale 1 to 16") }
    if pngInputs {
      if let output, FileIO.exists(output), !FileIO.isDirectory(output) {
        throw ValidationError("--output \(output): for PNG inputs, give a folder")
      }
      if let repeated = repeatedFileName(inputs) {
        throw ValidationError("two inputs are named \(repeated); their outputs would share a name in --output")
      }
    } else {
      guard inputs.count == 1 else { throw ValidationError("give one IDX folder or file, or PNG files (named .png)") }
      let output = output ?? "denoised.png"
      guard output.hasSuffix(".png") || output.hasSuffix(".npy") else {
        throw ValidationError("--output \(output): write a .png figure or a .npy array")
      }
      try checkWritable(output, option: "--output")
    }
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    try refuseTextModel(file, model, command: "denoise")
    let set = pngInputs ? try ImageInput.pngs(inputs) : try ImageInput.idx(inputs[0], split: split.split)
    let denoiser = Denoiser(model: file.model, noise: noise, seed: seed)
    let (noisy, denoised) = try denoiser.run(on: set)
    if let noise { report(noise: noise, set: set, noisy: noisy, denoised: denoised) }
    let output = output ?? (pngInputs ? "denoised" : "denoised.png")
    if pngInputs {
      try writePNGs(denoised, to: output, architecture: file.model.architecture)
    } else if output.hasSuffix(".npy") {
      let shape = [set.count] + (file.model.architecture.displayShape.map { [$0.height, $0.width] } ?? file.model.architecture.inputShape)
      try NPY.write(denoised.scalars, shape: shape.reduce(1, *) == denoised.count ? shape : denoised.shape, to: output)
      say("Wrote \(output): \(grouped(set.count)) denoised images of \(set.source), shape \(shape)")
    } else {
      try PNG.write(try denoiser.figure(clean: set, inputs: noisy, outputs: denoised, count: count, columns: columns, scale: scale), to: output)
      say("Wrote \(output): \(noise == nil ? "inputs above" : "clean, noisy and") denoised images, the first \(min(count, set.count)) of \(set.source)")
    }
  }

  func writePNGs(_ denoised: Tensor, to folder: String, architecture: Architecture) throws {
    guard let (height, width) = architecture.displayShape else {
      throw ValidationError("the model's outputs cannot be shown as images")
    }
    let size = height * width, values = denoised.scalars
    // All or nothing: every PNG is written to a temporary folder first, then moved into place.
    let files = inputs.enumerated().map { index, input in
      ((input as NSString).lastPathComponent,
       Data(PNG.encode(Image(width: width, height: height, intensities: values[(index * size)..<((index + 1) * size)]))))
    }
    try FileIO.writeAtomically(files, intoFolder: folder)
    say("Wrote \(inputs.count) denoised PNG file\(inputs.count == 1 ? "" : "s") to \(folder)/")
  }

  func report(noise: Noise, set: ImageSet, noisy: Tensor, denoised: Tensor) {
    let (before, after) = (ImageQuality.meanPSNR(of: noisy, against: set), ImageQuality.meanPSNR(of: denoised, against: set))
    say("PSNR against the clean images, mean of \(grouped(set.count)): noisy (\(noise)) " + String(format: "%.2f dB, denoised %.2f dB", before, after))
  }
}
