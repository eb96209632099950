import ArgumentParser
import AutoencoderKit
import Foundation

struct Encode: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Encode a dataset split to codes (.npy, or .csv with a label column).")

  @Argument(help: "The model file.") var model: String
  @OptionGroup var data: DataOptions
  @Option(help: "Which split.") var split: SplitOption = .test
  @Option(help: ArgumentHelp("Encode the first N examples only.", valueName: "n")) var limit: Int?
  @Option(name: .shortAndLong, help: "Where to write the codes: a .npy or .csv file.") var output = "codes.npy"
  @Option(help: ArgumentHelp(
    "For a variational model: mean (the default), sample (one seeded draw from q(z|x)), log-variance, or distribution (the mean, then the log-variance).",
    valueName: "kind"))
  var code: CodeKind = .mean
  @Option(help: "Seed of --code sample's draws.") var seed: UInt64 = 0

  enum CodeKind: String, ExpressibleByArgument, CaseIterable { case mean, sample, logVariance = "log-variance", distribution }
  @OptionGroup var threads: ThreadOptions

  func validate() throws {
    guard output.hasSuffix(".npy") || output.hasSuffix(".csv") else { throw ValidationError("--output \(output): must end in .npy or .csv") }
    if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
    try checkWritable(output, option: "--output")
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    var set = try data.examples(for: file, split: split)
    if let limit { set = set.prefix(limit) }
    guard code == .mean || file.model.isVariational else {
      throw ValidationError("--code \(code.rawValue): \(model) is not a variational model; its codes are the encoder's outputs")
    }
    let codes: Tensor
    var names = ["z"]
    switch code {
    case .mean: codes = try file.model.encode(set)
    case .sample: codes = try file.model.encodeSamples(set, seed: seed)
    case .logVariance: codes = try file.model.encodeDistribution(set).logVariance
    case .distribution:
      let (mean, logVariance) = try file.model.encodeDistribution(set)
      codes = Tensor(shape: [set.count, 2 * mean.shape[1]]) { out in
        for row in 0..<set.count {
          mean.withUnsafeBufferPointer { out.baseAddress!.advanced(by: row * 2 * mean.shape[1]).update(from: $0.baseAddress! + row * mean.shape[1], count: mean.shape[1]) }
          logVariance.withUnsafeBufferPointer {
            out.baseAddress!.advanced(by: (2 * row + 1) * mean.shape[1]).update(from: $0.baseAddress! + row * mean.shape[1], count: mean.shape[1])
          }
        }
      }
      names = ["mean", "logvar"]
    }
    if code == .logVariance { names = ["logvar"] }
    let width = codes.count / max(set.count, 1)
    if output.hasSuffix(".npy") {
      try NPY.write(codes.scalars, shape: codes.shape, to: output)
    } else {
      let values = codes.scalars
      let labels = set.labels.map(Array.init)
      let rows = (0..<set.count).map { row in
        (labels.map { [Float($0[row])] } ?? []) + Array(values[(row * width)..<((row + 1) * width)])
      }
      let columns = names.flatMap { name in (0..<(width / names.count)).map { "\(name)\($0)" } }
      try CSV.write(header: (labels == nil ? [] : ["label"]) + columns, rows: rows, to: output)
    }
    let kind = file.model.isVariational ? " (\(code == .sample ? "samples of q(z|x), seed \(seed)" : code.rawValue))" : ""
    let from = try data.source(for: file).hasSplits ? "the \(split.rawValue) split of \(data.data)" : data.data
    say("Wrote \(output): \(grouped(set.count)) codes of \(width) values\(kind) from \(from)")
  }
}
