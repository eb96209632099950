import ArgumentParser
import AutoencoderKit
import Foundation

struct Score: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Score every example's anomaly (how badly the model reconstructs it); with labels, ROC-AUC and average precision; with a calibration, which examples are anomalous.",
    discussion: """
      Which examples are anomalous, for the metrics: --anomalous-classes 3,5 or --normal-classes 0 (label numbers), or labels that \
      are 0 (normal) and 1 (anomalous); a model trained with --classes takes its classes as the normal ones. Other class \
      labels with none of these give the scores alone.
      """)

  @Argument(help: "The model file.") var model: String
  @OptionGroup var data: DataOptions
  @Option(help: "Which split of a source with splits.") var split: SplitOption = .test
  @OptionGroup var scoring: ScoreOptions
  @Option(name: .shortAndLong, help: "Write the scores to a .csv file (score, and label and anomalous where known), one row per example in data order.")
  var output: String?
  @Flag(help: "Add each value's error to the --output rows, a column per feature (error_NAME, or error_N counted from 1).")
  var perFeature = false
  @Option(help: ArgumentHelp("Write each scored example's error map to this folder: NNNNN.png (data order) showing the image, its reconstruction and its errors in one heat scale.", valueName: "dir"))
  var maps: String?
  @Option(help: ArgumentHelp("Labels of these classes are anomalous (the rest normal).", valueName: "labels")) var anomalousClasses: ClassList?
  @Option(help: ArgumentHelp("Labels of these classes are normal (the rest anomalous).", valueName: "labels")) var normalClasses: ClassList?
  @Option(help: ArgumentHelp("Draw the ROC and precision-recall curves and the two groups' score histograms to this PNG.", valueName: "png"))
  var plot: String?
  @Option(help: ArgumentHelp("Score the first N examples only.", valueName: "n")) var limit: Int?
  @Flag(help: "Require the normal/anomalous verdicts: fail unless the model is calibrated on this score (they are given whenever it is).")
  var flag = false
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
    if perFeature, output == nil { throw ValidationError("--per-feature adds columns to the --output file: give -o scores.csv") }
    if let maps {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: maps, isDirectory: &isFolder), !isFolder.boolValue {
        throw ValidationError("--maps \(maps): is a file; give a folder (made if missing)")
      }
      if !isFolder.boolValue { try checkWritable(maps, option: "--maps") }
      else if access(maps, W_OK) != 0 { throw ValidationError("--maps \(maps): folder is not writable") }
    }
  }

  struct Report: Encodable {
    var examples: Int
    var score: String
    var smoothing: Float
    var importanceSamples: Int?
    var meanScore: Double
    var anomalies: Int?
    var rocAUC: Double?
    var averagePrecision: Double?
    var calibration: Calibration?
    var flagged: Int?
    var atThreshold: DetectionMetrics.AtThreshold?
    /// For a time series: the windows scored (`examples` counts its steps).
    var windows: Int?
    /// Seconds the scores took (the model over the examples; reading the data not counted).
    var seconds: Double

    enum CodingKeys: String, CodingKey {
      case seconds, examples, score, smoothing, importanceSamples = "importance_samples", meanScore = "mean_score", anomalies, rocAUC = "roc_auc", averagePrecision = "average_precision", calibration
      case flagged, atThreshold = "at_threshold", windows
    }
  }

  func run() throws {
    try threads.prepare()
    let file = try ModelFile.read(model)
    try refuseTextModel(file, model, command: "score")
    var set = try data.examples(for: file, split: split)
    if let limit { set = set.prefix(limit) }
    let loss = file.training?.loss ?? .binaryCrossEntropy
    let (scorer, samples, calibrated) = try scoring.scorer(for: set, loss: loss, calibration: file.calibration)
    let kind = scorer.kind
    // A calibration of another score does not apply: no normal/anomalous verdicts then.
    let calibration = calibrated ? file.calibration : nil
    if flag, calibration == nil {
      throw ValidationError(file.calibration.map { "--flag: \(model) is calibrated on the \($0.scoreDescription) score, not this one; calibrate it again for this score" }
        ?? "--flag: \(model) has no anomaly threshold: run autoencoder calibrate \(model), or train with --contamination, --percentile or --sigma")
    }
    if let other = file.calibration, !calibrated {
      FileHandle.standardError.write(Data("autoencoder: note: \(model) is calibrated on the \(other.scoreDescription) score, not \(Calibration.describe(kind, smoothing: scorer.smoothing, samples: kind.isVariational ? samples : nil)): no threshold applies\n".utf8))
    }
    if (perFeature || maps != nil), !kind.isPerValue {
      throw ValidationError("--\(perFeature ? "per-feature" : "maps") shows per-value errors; the \(kind.rawValue) score has none: give --score mse, mae, ssim or loss")
    }
    if maps != nil, !scorer.isImage { throw ValidationError("--maps draws images; \(set.source) holds rows of \(set.exampleSize) values: give --per-feature") }
    if let windowing = set.windowing {
      guard !perFeature, maps == nil else {
        throw ValidationError("--\(perFeature ? "per-feature" : "maps") shows one example's errors; \(set.source) is a time series, scored step by step: leave it out")
      }
      return try scoreSeries(set, windowing: windowing, file: file, scorer: scorer, samples: samples, calibration: calibration)
    }
    let anomalous = try anomalyLabels(set, file: file)
    try checkPlot(anomalous)
    // Error maps of every example, where asked for (--per-feature, --maps), and the reconstructions the figures need.
    let keepsMaps = perFeature || maps != nil
    var errorMaps = [Float](), reconstructions = [Float]()
    if keepsMaps {
      try checkMemory(set.count, set.exampleSize, maps == nil ? 1 : 2)
      errorMaps.reserveCapacity(set.count * set.exampleSize)
    }
    let start = Date()
    let scores = try file.model.anomalyScores(set, scorer: scorer, samples: samples, each: keepsMaps ? { _, input, output in
      input.withUnsafeBufferPointer { x in
        output.withUnsafeBufferPointer { y in
          for row in 0..<input.shape[0] {
            errorMaps += scorer.errorMap(input: x.baseAddress! + row * scorer.size, output: y.baseAddress! + row * scorer.size)
          }
          if maps != nil { reconstructions += y }
        }
      }
    } : nil)
    var report = Report(examples: scores.count, score: kind.rawValue, smoothing: scorer.smoothing, importanceSamples: kind.isVariational ? samples : nil, meanScore: scores.reduce(0.0) { $0 + Double($1) } / Double(max(scores.count, 1)),
                        seconds: Date().timeIntervalSince(start))
    if let anomalous {
      report.anomalies = anomalous.filter { $0 }.count
      // Both groups are needed for the ranking metrics.
      if report.anomalies! > 0, report.anomalies! < scores.count {
        report.rocAUC = DetectionMetrics.rocAUC(scores: scores, anomalous: anomalous)
        report.averagePrecision = DetectionMetrics.averagePrecision(scores: scores, anomalous: anomalous)
      }
    }
    if let calibration = calibration {
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
      if let threshold = calibration?.threshold {
        header.append("anomalous")
        for index in rows.indices { rows[index].append(scores[index] > threshold ? 1 : 0) }
      }
      if perFeature {
        let size = set.exampleSize
        let names = set.columnNames?.count == size ? set.columnNames! : (1...size).map(String.init)
        header += names.map { "error_" + $0 }
        for index in rows.indices { rows[index] += errorMaps[index * size..<(index + 1) * size] }
      }
      outputs.append((output, Data(CSV.encode(header: header, rows: rows).utf8)))
    }
    if let plot, let anomalous {  // checkPlot refused --plot without anomalies
      guard report.rocAUC != nil else { throw ValidationError("--plot needs normal and anomalous examples; \(set.source) has \(report.anomalies == 0 ? "no anomalous" : "no normal") ones here") }
      outputs.append((plot, Data(PNG.encode(DetectionFigure.render(scores: scores, anomalous: anomalous, threshold: calibration?.threshold,
                                                                     scoreName: scorer.smoothing > 0 ? "smoothed \(kind.rawValue)" : kind.rawValue)))))
    }
    if let maps {
      let ceiling = AnomalyMapFigure.ceiling(of: errorMaps)
      let size = set.exampleSize, digits = max(5, String(set.count - 1).count)
      try FileManager.default.createDirectory(atPath: maps, withIntermediateDirectories: true)
      for index in 0..<scores.count {
        let figure = AnomalyMapFigure.render(input: set.example(index), reconstruction: Array(reconstructions[index * size..<(index + 1) * size]),
                                             errors: Array(errorMaps[index * size..<(index + 1) * size]),
                                             height: scorer.height, width: scorer.width, channels: scorer.channels, score: scores[index],
                                             ceiling: ceiling, anomalous: calibration.map { scores[index] > $0.threshold })
        let name = String(repeating: "0", count: max(0, digits - String(index).count)) + String(index)
        outputs.append(("\(maps)/\(name).png", Data(PNG.encode(figure))))
        if outputs.count >= 256 { try FileIO.writeAtomically(outputs); outputs.removeAll() }
      }
    }
    try FileIO.writeAtomically(outputs)
    if json { return try printJSON(report) }
    say("Scored \(grouped(scores.count)) examples of \(set.source) by \(Calibration.describe(kind, smoothing: scorer.smoothing, samples: samples)) (mean \(String(format: "%.5f", report.meanScore))) in "
      + String(format: "%.3f s", report.seconds))
    if let anomalies = report.anomalies, report.rocAUC == nil {
      say("\(grouped(anomalies)) anomalous, \(grouped(scores.count - anomalies)) normal: ROC-AUC and average precision need examples of both")
    }
    if anomalous == nil, let hint = classesHint(set.labels.map { $0.map(Int.init) }) { say("No metrics: \(set.source)'s \(hint)") }
    if let rocAUC = report.rocAUC, let ap = report.averagePrecision, let anomalies = report.anomalies {
      say(String(format: "%@ anomalous, %@ normal: ROC-AUC %.4f, average precision %.4f", grouped(anomalies), grouped(scores.count - anomalies), rocAUC, ap))
    }
    if let calibration = calibration, let flagged = report.flagged {
      say("Threshold \(calibration.threshold) (\(calibration.rule)): \(grouped(flagged)) flagged anomalous"
        + (report.atThreshold.map { String(format: "; precision %.4f, recall %.4f, F1 %.4f", $0.precision, $0.recall, $0.f1) } ?? ""))
    }
    if let output {
      say("Wrote \(output): one row per example (score\(set.labels == nil ? "" : ", label")\(calibration == nil ? "" : ", anomalous")\(perFeature ? ", each value's error" : ""))")
    }
    if let maps { say("Wrote \(grouped(scores.count)) error maps to \(maps)/ (image, reconstruction, errors; one heat scale)") }
    if let plot { say("Wrote \(plot): ROC and precision-recall curves, and the score histograms of the two groups") }
  }

  /// Refuses error maps that would not fit in memory.
  func checkMemory(_ count: Int, _ size: Int, _ copies: Int) throws {
    let bytes = count.multipliedReportingOverflow(by: size * copies * MemoryLayout<Float>.size)
    guard !bytes.overflow, bytes.partialValue <= ProcessInfo.processInfo.physicalMemory / 2 else {
      throw ValidationError("the error maps of \(grouped(count)) examples of \(size) values would not fit in memory: give --limit N")
    }
  }

  /// A time series' windows scored, and the scores mapped back to its steps (a step's score is
  /// the lowest of the windows covering it: above the threshold exactly when all of them are);
  /// the metrics, verdicts, rows and figure are then per step.
  func scoreSeries(_ set: ImageSet, windowing: Windowing, file: ModelFile, scorer: AnomalyScorer, samples: Int,
                   calibration: Calibration?) throws {
    let start = Date()
    let windowScores = try file.model.anomalyScores(set, scorer: scorer, samples: samples)
    let seconds = Date().timeIntervalSince(start)
    // The set's first window starts at this step of the series.
    let first = set.range.lowerBound * windowing.stride
    let stepScores = windowing.stepScores(windowScores: windowScores)
    let steps = stepScores.indices.filter { stepScores[$0] != nil }
    let scores = steps.map { stepScores[$0]! }
    let labels = windowing.stepLabels.map { all in stepScores.indices.map { Int(all[first + $0]) } }
    let anomalous = try anomalyLabels(labels, source: set.source, file: file)
    let covered = anomalous.map { flags in steps.map { flags[$0] } }
    var report = Report(examples: scores.count, score: scorer.kind.rawValue, smoothing: scorer.smoothing,
                        importanceSamples: scorer.kind.isVariational ? samples : nil,
                        meanScore: scores.reduce(0.0) { $0 + Double($1) } / Double(max(scores.count, 1)), seconds: seconds)
    report.windows = windowScores.count
    if let covered {
      report.anomalies = covered.filter { $0 }.count
      if report.anomalies! > 0, report.anomalies! < scores.count {
        report.rocAUC = DetectionMetrics.rocAUC(scores: scores, anomalous: covered)
        report.averagePrecision = DetectionMetrics.averagePrecision(scores: scores, anomalous: covered)
      }
    }
    if let calibration {
      report.calibration = calibration
      report.flagged = scores.filter { $0 > calibration.threshold }.count
      if let covered { report.atThreshold = DetectionMetrics.at(threshold: calibration.threshold, scores: scores, anomalous: covered) }
    }
    var outputs: [(path: String, data: Data)] = []
    if let output {
      var header = ["step", "score"]
      var rows = steps.map { [Float(first + $0), stepScores[$0]!] }
      if let labels {
        header.append("label")
        for (row, step) in steps.enumerated() { rows[row].append(Float(labels[step])) }
      }
      if let threshold = calibration?.threshold {
        header.append("anomalous")
        for index in rows.indices { rows[index].append(rows[index][1] > threshold ? 1 : 0) }
      }
      outputs.append((output, Data(CSV.encode(header: header, rows: rows).utf8)))
    }
    if let plot {
      // The series in its units (the first channel): each window's steps up to the next window's
      // start, the last window's all.
      let channels = set.exampleShape.last ?? 1
      var values: [Float] = []
      values.reserveCapacity(stepScores.count)
      for window in 0..<set.count {
        let example = set.unscaledExample(window)
        let taken = window == set.count - 1 ? windowing.length : min(windowing.stride, windowing.length)
        for step in 0..<taken { values.append(example[step * channels]) }
        // A stride past the window leaves steps no window covers.
        if window < set.count - 1 { for _ in taken..<windowing.stride { values.append(.nan) } }
      }
      let name = set.columnNames?.first ?? "the series"
      outputs.append((plot, Data(PNG.encode(SeriesAnomalyFigure.render(
        values: values, firstStep: first, scores: stepScores, threshold: calibration?.threshold, anomalous: anomalous,
        valueName: name, scoreName: "\(scorer.kind.rawValue) score")))))
    }
    try FileIO.writeAtomically(outputs)
    if json { return try printJSON(report) }
    say("Scored \(grouped(windowScores.count)) windows of \(windowing.length) steps of \(set.source) by \(Calibration.describe(scorer.kind, smoothing: scorer.smoothing, samples: samples)) in "
      + String(format: "%.3f s", seconds) + "; \(grouped(scores.count)) steps, each scored by its windows' lowest (mean \(String(format: "%.5f", report.meanScore)))")
    if let rocAUC = report.rocAUC, let ap = report.averagePrecision, let anomalies = report.anomalies {
      say(String(format: "%@ anomalous, %@ normal steps: ROC-AUC %.4f, average precision %.4f", grouped(anomalies), grouped(scores.count - anomalies), rocAUC, ap))
    } else if let anomalies = report.anomalies {
      say("\(grouped(anomalies)) anomalous, \(grouped(scores.count - anomalies)) normal steps: ROC-AUC and average precision need steps of both")
    } else if let hint = classesHint(labels) {
      say("No metrics: \(set.source)'s \(hint)")
    }
    if let calibration, let flagged = report.flagged {
      say("Threshold \(calibration.threshold) (\(calibration.rule)): \(grouped(flagged)) steps flagged anomalous (every window covering them is)"
        + (report.atThreshold.map { String(format: "; precision %.4f, recall %.4f, F1 %.4f", $0.precision, $0.recall, $0.f1) } ?? ""))
    }
    if let output { say("Wrote \(output): one row per step (step, score\(labels == nil ? "" : ", label")\(calibration == nil ? "" : ", anomalous"))") }
    if let plot { say("Wrote \(plot): the series with the flagged steps, and each step's score\(calibration == nil ? "" : " against the threshold")") }
  }

  /// Which examples are anomalous, where it can be known: from the class options, from a model
  /// trained on some classes, or from 0/1 labels.
  func anomalyLabels(_ set: ImageSet, file: ModelFile) throws -> [Bool]? {
    try anomalyLabels(set.labels.map { $0.map(Int.init) }, source: set.source, file: file)
  }

  /// Which of the examples with `labels` (from `source`) are anomalous, as `anomalyLabels(_:file:)`.
  func anomalyLabels(_ labels: [Int]?, source: String, file: ModelFile) throws -> [Bool]? {
    let normal = normalClasses?.labels ?? (anomalousClasses == nil ? file.training?.classes : nil)
    guard anomalousClasses != nil || normal != nil || labels != nil else { return nil }
    guard let labels else {
      throw ValidationError("\(source) has no labels to tell anomalies by: give labels (a label column, --labels, class folders)")
    }
    if let anomalousClasses { return labels.map(anomalousClasses.labels.contains) }
    if let normal { return labels.map { !normal.contains($0) } }
    // Class labels, with no word on which classes are anomalous: scores, but no metrics.
    guard labels.allSatisfy({ $0 == 0 || $0 == 1 }) else { return nil }
    return labels.map { $0 == 1 }
  }

  /// What to give for the metrics when `labels` are classes and nothing says which are anomalous.
  func classesHint(_ labels: [Int]?) -> String? {
    guard let labels, !labels.allSatisfy({ $0 == 0 || $0 == 1 }) else { return nil }
    let seen = Array(Set(labels)).sorted()
    return "labels are classes (\(seen.prefix(6).map(String.init).joined(separator: ", "))\(seen.count > 6 ? ", ..." : "")): "
      + "give --anomalous-classes or --normal-classes for ROC-AUC and average precision"
  }

  /// Refuses --plot (ROC and precision-recall curves) before any scoring when nothing says which
  /// examples are anomalous.
  func checkPlot(_ anomalous: [Bool]?) throws {
    if plot != nil, anomalous == nil {
      throw ValidationError("--plot needs to know which examples are anomalous: give --anomalous-classes or --normal-classes")
    }
  }
}

extension AnomalyScore: ExpressibleByArgument {}
