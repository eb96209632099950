import ArgumentParser
import AutoencoderKit
import Foundation

struct RateDistortion: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rate-distortion",
    abstract: "Draw codecs' rate-distortion curves and report their Bjøntegaard delta rates against an anchor.",
    discussion: """
      The CSV file has a row per point and the columns codec, bits_per_pixel, psnr and ssim (benchmarks/codec.py writes \
      one: our codecs from `compress --report --json`, JPEG and WebP from Pillow). The figure shows PSNR and SSIM \
      against bits per pixel; the table gives each codec's average bit-rate difference from the anchor at equal PSNR \
      and at equal SSIM (negative: fewer bits).
      """)

  @Argument(help: "The points (.csv).") var points: String
  @Option(help: "The codec the others are measured against.") var anchor = "jpeg"
  @Option(help: "What the images are, for the titles.") var subject = "Fashion-MNIST test images"
  @Option(name: .shortAndLong, help: "The figure (.png).") var output = "rate-distortion.png"
  @Option(help: ArgumentHelp("Average the PSNR delta rates over this PSNR range only (within both curves), e.g. 22:32.", valueName: "low:high"))
  var psnrRange: String?
  @Flag(help: "Print the delta rates as one line of JSON.") var json = false

  /// `--psnr-range` read, or nil.
  var psnrWindow: ClosedRange<Double>? {
    guard let psnrRange else { return nil }
    let parts = psnrRange.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
    guard parts.count == 2, let low = parts[0], let high = parts[1], low.isFinite, high.isFinite, low < high else { return nil }
    return low...high
  }

  func validate() throws {
    if psnrRange != nil, psnrWindow == nil { throw ValidationError("--psnr-range \(psnrRange!): give LOW:HIGH in dB, LOW below HIGH, e.g. 22:32") }
    guard output.hasSuffix(".png") else { throw ValidationError("--output \(output): must end in .png") }
    try checkWritable(output, option: "--output")
  }

  func run() throws {
    let figure = RateDistortionFigure(curves: try RateDistortionFigure.curves(fromCSV: points), subject: subject)
    guard figure.curves.contains(where: { $0.codec == anchor }) else {
      throw ValidationError("--anchor \(anchor): \(points) has no such codec (it has \(figure.curves.map(\.codec).joined(separator: ", ")))")
    }
    try PNG.write(figure.render(), to: output)
    let deltas = figure.deltaRates(against: anchor, psnrWindow: psnrWindow)
    if json {
      struct Delta: Encodable {
        var codec: String, bdRatePSNR: Double?, bdRateSSIM: Double?
        enum CodingKeys: String, CodingKey { case codec, bdRatePSNR = "bd_rate_psnr", bdRateSSIM = "bd_rate_ssim" }
      }
      struct Report: Encodable {
        var anchor: String, psnrRange: [Double]?, codecs: [Delta]
        enum CodingKeys: String, CodingKey { case anchor, psnrRange = "psnr_range", codecs }
      }
      try printJSON(Report(anchor: anchor, psnrRange: psnrWindow.map { [$0.lowerBound, $0.upperBound] },
                           codecs: deltas.map { Delta(codec: $0.codec, bdRatePSNR: $0.psnr, bdRateSSIM: $0.ssim) }))
      return
    }
    say("Wrote \(output): PSNR and SSIM against bits per pixel for \(figure.curves.map(\.codec).joined(separator: ", "))")
    func percent(_ value: Double?) -> String { value.map { String(format: "%+.1f%%", 100 * $0) } ?? "n/a (under two points, or no common range)" }
    let width = deltas.map(\.codec.count).max() ?? 0
    let window = psnrWindow.map { String(format: ", PSNR over %g to %g dB", $0.lowerBound, $0.upperBound) } ?? ""
    say("Bjøntegaard delta rate against \(anchor)\(window) (negative: fewer bits for the same quality):")
    for delta in deltas { say("  \(delta.codec.padding(toLength: width, withPad: " ", startingAt: 0))  PSNR \(percent(delta.psnr))   SSIM \(percent(delta.ssim))") }
  }
}
