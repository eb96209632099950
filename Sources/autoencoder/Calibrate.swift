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
  @OptionGroup var scoring: ScoreOptions
  @OptionGroup var rules: CalibrationOptions
  @Option(name: .shortAndLong, help: "Write the calibrated model here instead.") var output: String?
  @OptionGroup var threads: ThreadOptions

  /// The rule given, else contamination 0.01.
  var rule: Calibration.Rule { rules.givenRule ?? .contamination(0.01) }

  func validate() throws {
    try checkWritable(output ?? model, option: output == nil ? "the model" : "--output")
  }

  func run() throws {
    try threads.prepare()
    var file = try ModelFile.read(model)
    try refuseTextModel(file, model, command: "calibrate")
    var set = try data.examples(for: file, split: split)
    if let training = file.training, training.classes != nil || training.excludedClasses != nil, set.labels != nil {
      set = set.filtered(byLabel: training.includes(label:))
    }
    guard set.count > 0 else { throw ValidationError("\(set.source): no normal examples to calibrate on") }
    let (scorer, samples, _) = try scoring.scorer(for: set, loss: file.training?.loss ?? .binaryCrossEntropy)
    let scores = try file.model.anomalyScores(set, scorer: scorer, samples: samples)
    let calibration = Calibration(score: scorer.kind, smoothing: scorer.smoothing, samples: scorer.kind.isVariational ? samples : nil,
                                  rule: rule, normalScores: scores, data: set.source)
    file.calibration = calibration
    let path = output ?? model
    try file.write(to: path)
    say("Calibrated on \(grouped(scores.count)) normal examples of \(set.source): \(calibration.scoreDescription) scores mean \(calibration.normalMean), "
      + "std \(calibration.normalStandardDeviation); threshold \(calibration.threshold) (\(calibration.rule))")
    say("Wrote \(path)")
  }
}
