import ArgumentParser
import AutoencoderKit
import Foundation

struct Calibrate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fit an anomaly threshold on normal data and store it, with its rule, in the model file (which stays a safetensors file).",
    discussion: """
      The normal data defaults to the training split of --data, of the model's --classes when it was trained on some. `score` then \
      labels each example normal or anomalous.
      """)

  @Argument(help: "The model file; rewritten with the calibration unless --output is given.") var model: String
  @OptionGroup var data: DataOptions
  @Option(help: "Which split holds the normal examples (default: train).") var split: SplitOption = .train
  @Option(help: "The score: mse (the default), mae or loss.") var score: AnomalyScore = .mse
  @Option(help: ArgumentHelp("The expected share of anomalies, in (0, 0.5]: the threshold is the normal scores' (1 − c) quantile (PyOD's rule).", valueName: "c"))
  var contamination: Double?
  @Option(help: ArgumentHelp("The threshold is this percentile of the normal scores.", valueName: "p")) var percentile: Double?
  @Option(help: ArgumentHelp("The threshold is the normal scores' mean plus this many standard deviations.", valueName: "k")) var sigma: Double?
  @Option(name: .shortAndLong, help: "Write the calibrated model here instead.") var output: String?
  @OptionGroup var threads: ThreadOptions

  var rule: Calibration.Rule {
    if let percentile { return .percentile(percentile) }
    if let sigma { return .sigma(sigma) }
    return .contamination(contamination ?? 0.01)
  }

  func validate() throws {
    guard [contamination, percentile, sigma].compactMap({ $0 }).count <= 1 else {
      throw ValidationError("give one of --contamination, --percentile and --sigma")
    }
    if let problem = rule.problem { throw ValidationError(problem) }
    try checkWritable(output ?? model, option: output == nil ? "the model" : "--output")
  }

  func run() throws {
    try threads.prepare()
    var file = try ModelFile.read(model)
    var set = try data.examples(for: file, split: split)
    if let training = file.training, training.classes != nil || training.excludedClasses != nil, set.labels != nil {
      set = set.filtered(byLabel: training.includes(label:))
    }
    guard set.count > 0 else { throw ValidationError("\(set.source): no normal examples to calibrate on") }
    let scores = try file.model.anomalyScores(set, score: score, loss: file.training?.loss ?? .binaryCrossEntropy)
    let calibration = Calibration(score: score, rule: rule, normalScores: scores, data: set.source)
    file.calibration = calibration
    let path = output ?? model
    try file.write(to: path)
    say("Calibrated on \(grouped(scores.count)) normal examples of \(set.source): \(score.rawValue) scores mean \(calibration.normalMean), "
      + "std \(calibration.normalStandardDeviation); threshold \(calibration.threshold) (\(calibration.rule))")
    say("Wrote \(path)")
  }
}
