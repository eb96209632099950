import ArgumentParser
import AutoencoderKit
import Foundation

struct Score: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Score every example's anomaly (how badly the model reconstructs it); with labels, ROC-AUC and average precision; with a calibration, which examples are anomalous.",
    discussion: """
      Which examples are anomalous, for the metrics: --anomalous-classes 3,5 or --normal-classes 0 (label numbers), or labels that \
      are 0 (normal) and 1 (anomalous); a model trained with --classes takes its classes as the normal ones.
      """)

  @Argument(help: "The model file.") var model: String
  @OptionGroup var data: DataOptions
  @Option(help: "Which split of a source with splits.") var split: SplitOption = .test
  @Option(help: "The score: mse (mean squared error per value; the default, or the calibration's), mae, or loss (the model's own loss per value: binary cross-entropy ranks textured images as anomalous, so it scores worse).")
  var score: AnomalyScore?
  @Option(name: .shortAndLong, help: "Write the scores to a .csv file (score, and label and anomalous where known), one row per example in data order.")
  var output: String?
  @Option(help: ArgumentHelp("Labels of these classes are anomalous (the rest normal).", valueName: "labels")) var anomalousClasses: ClassList?
  @Option(help: ArgumentHelp("Labels of these classes are normal (the rest anomalous).", valueName: "labels")) var normalClasses: ClassList?
  @Option(help: ArgumentHelp("Draw the ROC and precision-recall curves and the two groups' score histograms to this PNG.", valueName: "png"))
  var plot: String?
  @Option(help: ArgumentHelp("Score the first N examples only.", valueName: "n")) var limit: Int?
  @Flag(help: "Print one JSON object.") var json = false
  @OptionGroup var threads: ThreadOptions

  func validate() throws {
    if let output {
      guard output.hasSuffix(".csv") else { throw ValidationError("--output \(output): must end in .csv") }
      try checkWritable(output, option: "--output")
    }
    if let plot {
      guard plot.hasSuffix(".png") else { throw ValidationError("--plot \(plot): must end in .png") }
      try checkWritable(plot, option: "--plot")
    }
    if anomalousClasses != nil, normalClasses != nil { throw ValidationError("give --anomalous-classes or --normal-classes, not both") }
    if let limit, limit < 1 { throw ValidationError("--limit \(limit): give a positive number") }
  }

  struct Report: Encodable {
    var examples: Int
    var score: String
    var meanScore: Double
    var anomalies: Int?
    var rocAUC: Double?
    var averagePrecision: Double?
    var calibration: Calibration?
    var flagged: Int?
    var atThreshold: DetectionMetrics.AtThreshold?
    /// Seconds the scores took (the model over the examples; reading the data not counted).
    var seconds: Double

    enum CodingKeys: String, CodingKey {
      case seconds, examples, score, meanScore = "mean_score", anomalies, rocAUC = "roc_auc", averagePrecision = "average_precision", calibration
      case flagged, atThreshold = "at_threshold"
    }
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    var set = try data.examples(for: file, split: split)
    if let limit { set = set.prefix(limit) }
    let kind = score ?? file.calibration?.score ?? .mse
    if let calibration = file.calibration, calibration.score != kind {
      throw ValidationError("--score \(kind.rawValue): \(model) is calibrated on the \(calibration.score.rawValue) score; calibrate it again for another")
    }
    let anomalous = try anomalyLabels(set, file: file)
    let start = Date()
    let scores = try file.model.anomalyScores(set, score: kind, loss: file.training?.loss ?? .binaryCrossEntropy)
    var report = Report(examples: scores.count, score: kind.rawValue, meanScore: scores.reduce(0.0) { $0 + Double($1) } / Double(max(scores.count, 1)),
                        seconds: Date().timeIntervalSince(start))
    if let anomalous {
      report.anomalies = anomalous.filter { $0 }.count
      report.rocAUC = DetectionMetrics.rocAUC(scores: scores, anomalous: anomalous)
      report.averagePrecision = DetectionMetrics.averagePrecision(scores: scores, anomalous: anomalous)
    }
    if let calibration = file.calibration {
      report.calibration = calibration
      report.flagged = scores.filter { $0 > calibration.threshold }.count
      if let anomalous { report.atThreshold = DetectionMetrics.at(threshold: calibration.threshold, scores: scores, anomalous: anomalous) }
    }
    var outputs: [(path: String, data: Data)] = []
    if let output {
      var header = ["score"], rows = scores.map { [$0] }
      if let labels = set.labels.map(Array.init) {
        header.append("label")
        for index in rows.indices { rows[index].append(Float(labels[index])) }
      }
      if let threshold = file.calibration?.threshold {
        header.append("anomalous")
        for index in rows.indices { rows[index].append(scores[index] > threshold ? 1 : 0) }
      }
      outputs.append((output, Data(CSV.encode(header: header, rows: rows).utf8)))
    }
    if let plot {
      guard let anomalous else { throw ValidationError("--plot needs to know which examples are anomalous: give --anomalous-classes or --normal-classes") }
      outputs.append((plot, Data(PNG.encode(DetectionFigure.render(scores: scores, anomalous: anomalous, threshold: file.calibration?.threshold,
                                                                     scoreName: kind.rawValue)))))
    }
    try FileIO.writeAtomically(outputs)
    if json { return try printJSON(report) }
    say("Scored \(grouped(scores.count)) examples of \(set.source) by \(kind.rawValue) (mean \(String(format: "%.5f", report.meanScore))) in "
      + String(format: "%.3f s", report.seconds))
    if let rocAUC = report.rocAUC, let ap = report.averagePrecision, let anomalies = report.anomalies {
      say(String(format: "%@ anomalous, %@ normal: ROC-AUC %.4f, average precision %.4f", grouped(anomalies), grouped(scores.count - anomalies), rocAUC, ap))
    }
    if let calibration = file.calibration, let flagged = report.flagged {
      say("Threshold \(calibration.threshold) (\(calibration.rule)): \(grouped(flagged)) flagged anomalous"
        + (report.atThreshold.map { String(format: "; precision %.4f, recall %.4f, F1 %.4f", $0.precision, $0.recall, $0.f1) } ?? ""))
    }
    if let output { say("Wrote \(output): one row per example (score\(set.labels == nil ? "" : ", label")\(file.calibration == nil ? "" : ", anomalous"))") }
    if let plot { say("Wrote \(plot): ROC and precision-recall curves, and the score histograms of the two groups") }
  }

  /// Which examples are anomalous, where it can be known: from the class options, from a model
  /// trained on some classes, or from 0/1 labels.
  func anomalyLabels(_ set: ImageSet, file: ModelFile) throws -> [Bool]? {
    let normal = normalClasses?.labels ?? (anomalousClasses == nil ? file.training?.classes : nil)
    guard anomalousClasses != nil || normal != nil || set.labels != nil else { return nil }
    guard let labels = set.labels.map({ $0.map(Int.init) }) else {
      throw ValidationError("\(set.source) has no labels to tell anomalies by: give labels (a label column, --labels, class folders)")
    }
    if let anomalousClasses { return labels.map(anomalousClasses.labels.contains) }
    if let normal { return labels.map { !normal.contains($0) } }
    guard labels.allSatisfy({ $0 == 0 || $0 == 1 }) else {
      let seen = Array(Set(labels)).sorted().prefix(6).map(String.init).joined(separator: ", ")
      throw ValidationError("\(set.source): labels \(seen)... are not 0 (normal) and 1 (anomalous); give --anomalous-classes or --normal-classes")
    }
    return labels.map { $0 == 1 }
  }
}

extension AnomalyScore: ExpressibleByArgument {}
