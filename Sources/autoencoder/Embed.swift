import ArgumentParser
import AutoencoderKit
import Foundation

struct Embed: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Map a dataset's codes (or, with no model, its raw values): write them, draw them in 2-D (PCA or t-SNE), measure how well they separate classes.",
    discussion: """
      autoencoder embed model.safetensors --projection tsne --plot map.png     t-SNE map of the test split's codes
      autoencoder embed model.safetensors --knn 5                              5-NN and linear-probe accuracy of the codes, raw values and PCA
      autoencoder embed --data data.csv --label-column kind --projection pca --plot raw.png   the data's own map, no model
      """)

  @Argument(help: "The model file; leave it out to map the data's raw values (tables standardized).") var model: String?
  @OptionGroup var data: DataOptions
  @Option(help: "Which split of a source with splits (default: test).") var split: SplitOption?
  @Option(help: ArgumentHelp("Map the first N examples only.", valueName: "n")) var limit: Int?
  @Option(name: .shortAndLong, help: "Write the codes (or, with a projection, the 2-D map) to a .npy or .csv file (with a label column).")
  var output: String?
  @Option(help: ArgumentHelp("Draw the 2-D map, coloured by label, to this PNG.", valueName: "png")) var plot: String?
  @Option(help: "How codes wider than 2 become a map: pca or tsne (default: pca; none keeps 2-D codes as they are).")
  var projection: CodeMaps.Projection?
  @Option(help: "t-SNE's perplexity (scikit-learn's default).") var perplexity: Double = 30
  @Option(help: "t-SNE's iterations, the first 250 with early exaggeration 12.") var iterations = 1000
  @Option(help: "t-SNE's seed (its map starts from PCA; the seed breaks ties).") var seed: UInt64 = 0
  @Flag(help: "Also measure the map's trustworthiness (k = 10): how many of each point's map neighbours are true neighbours. O(n²).")
  var trustworthiness = false
  @Option(help: ArgumentHelp(
    "Measure how well the codes separate classes: K-nearest-neighbour and linear-probe accuracy of the test codes against the training codes, beside the raw values and PCA of the same width.",
    valueName: "k"))
  var knn: Int?
  @Option(help: ArgumentHelp("With --knn and no model: the PCA width compared with the raw values (default: 64).", valueName: "n")) var width: Int?
  @Option(help: ArgumentHelp("With --knn on a source without splits: the share of it held out as test examples (a seeded random draw).", valueName: "fraction"))
  var holdout = 0.2
  @Flag(help: "Print the figures as one JSON object.") var json = false
  @OptionGroup var threads: ThreadOptions

  var resolvedProjection: CodeMaps.Projection? { projection ?? ((plot != nil || trustworthiness) ? .pca : nil) }

  func validate() throws {
    if let output {
      guard output.hasSuffix(".npy") || output.hasSuffix(".csv") else { throw ValidationError("--output \(output): must end in .npy or .csv") }
      try checkWritable(output, option: "--output")
    }
    if let plot {
      guard plot.hasSuffix(".png") else { throw ValidationError("--plot \(plot): must end in .png") }
      try checkWritable(plot, option: "--plot")
      guard plot != output else { throw ValidationError("--plot and --output are the same file") }
    }
    guard output != nil || plot != nil || knn != nil || trustworthiness else {
      throw ValidationError("say what to do: -o codes.npy, --plot map.png, --knn K or --trustworthiness")
    }
    if let limit, limit < 1 { throw ValidationError("--limit \(limit): give a positive number") }
    guard perplexity > 0, perplexity.isFinite else { throw ValidationError("--perplexity \(perplexity): give a positive number") }
    guard (1...100_000).contains(iterations) else { throw ValidationError("--iterations \(iterations): give 1 to 100000") }
    if let knn, knn < 1 { throw ValidationError("--knn \(knn): give a positive number of neighbours") }
    if let width, width < 1 { throw ValidationError("--width \(width): give a positive number") }
    if width != nil, model != nil { throw ValidationError("--width applies without a model; with one, PCA takes the codes' width") }
    guard holdout > 0, holdout < 1 else { throw ValidationError("--holdout \(holdout): give a fraction in (0, 1)") }
  }

  struct Report: Encodable {
    var examples: Int
    var width: Int
    var projection: String?
    var trustworthiness: Double?
    var separation: CodeMaps.Separation?

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: DynamicKey.self)
      try container.encode(examples, forKey: DynamicKey("examples"))
      try container.encode(width, forKey: DynamicKey("width"))
      try container.encodeIfPresent(projection, forKey: DynamicKey("projection"))
      try container.encodeIfPresent(trustworthiness, forKey: DynamicKey("trustworthiness"))
      try separation?.encode(to: encoder)
    }

    struct DynamicKey: CodingKey {
      var stringValue: String
      var intValue: Int? { nil }
      init(_ string: String) { stringValue = string }
      init?(stringValue: String) { self.stringValue = stringValue }
      init?(intValue: Int) { nil }
    }
  }

  func run() throws {
    try threads.prepare()
    let file = try model.map(ModelFile.read)
    let source = try data.source(for: file)
    let (reference, query, mapped) = try sets(file: file, source: source)
    let what = file == nil ? "values" : "codes"
    var report = Report(examples: mapped.count, width: 0)
    var map: PointSet?
    if output != nil || plot != nil || trustworthiness {
      let codes = try CodeMaps.codes(of: mapped, model: file?.model)
      report.width = codes.columns
      let chosen: CodeMaps.Projection = codes.columns == 2 && projection == nil ? .none : resolvedProjection ?? CodeMaps.Projection.none
      if plot != nil || trustworthiness || chosen != .none {
        let projection = chosen
        let tsne = TSNE(perplexity: perplexity, iterations: iterations, seed: seed)
        if projection == .tsne, !json { say("t-SNE of \(grouped(codes.rows)) \(what) of \(codes.columns) values: perplexity \(perplexity), \(iterations) iterations") }
        let start = Date()
        map = try CodeMaps.project(codes, with: projection, tsne: tsne) { iteration, divergence in
          if !json, iteration % 250 == 0 { say("  iteration \(iteration): KL divergence \(String(format: "%.3f", divergence))") }
        }
        if projection == .tsne, !json { say(String(format: "  done in %.1f s", Date().timeIntervalSince(start))) }
        report.projection = projection == .none ? nil : projection.rawValue
      }
      if trustworthiness, let map {
        report.trustworthiness = try Embeddings.trustworthiness(of: map, original: codes, neighbors: 10)
      }
      if let output { try write(map ?? codes, projected: report.projection != nil, labels: mapped.labels.map(Array.init), to: output) }
      if let plot, let map {
        let projectionName = ["pca": "PCA", "tsne": "t-SNE"][report.projection ?? ""].map { "\($0) of " } ?? ""
        let splitName = source.hasSplits ? "\((split ?? .test).rawValue) " : ""
        let title = "\(projectionName)\(grouped(mapped.count)) \(splitName)\(what) of \((source.path as NSString).lastPathComponent)"
          + (file == nil ? "" : " from \((model! as NSString).lastPathComponent)")
        let image = CodeMaps.figure(of: map, labels: mapped.labels.map { $0.map(Int.init) }, classNames: mapped.classNames, title: title,
                                    projection: report.projection.flatMap(CodeMaps.Projection.init) ?? .none)
        try PNG.write(image, to: plot)
      }
    }
    if let knn {
      report.separation = try CodeMaps.separation(training: reference, test: query, model: file?.model, k: knn, width: file == nil ? width ?? 64 : nil) { step in
        if !json { say("  \(step)") }
      }
      if report.width == 0 { report.width = report.separation!.width }
    }
    if json { return try printJSON(report) }
    if let output { say("Wrote \(output): \(report.projection.map { "the \($0) map of " } ?? "")\(grouped(mapped.count)) \(what)" + " of \(report.width) values") }
    if let plot { say("Wrote \(plot): the map of \(grouped(mapped.count)) \(what)\(mapped.labels == nil ? "" : ", coloured by label")") }
    if let trustworthiness = report.trustworthiness { say(String(format: "Trustworthiness (k = 10) of the map: %.4f", trustworthiness)) }
    if let separation = report.separation { printSeparation(separation, reference: reference, query: query) }
  }

  /// The reference (training) and query examples for --knn: a source's train and test splits,
  /// or a single set's start and its held-out end; and the examples to map: `--split`'s, or the
  /// whole of a single set (the first `--limit`).
  func sets(file: ModelFile?, source: DataSource) throws -> (reference: ImageSet, query: ImageSet, mapped: ImageSet) {
    func load(_ split: IDXFolder.Split?) throws -> ImageSet {
      if let file { return try file.examples(from: source, split: split) }
      return try source.load(split, threads: Parallel.threads)
    }
    var reference: ImageSet, query: ImageSet, mapped: ImageSet
    if source.hasSplits {
      mapped = try load(split?.split ?? .test)
      query = split == .train && knn != nil ? try load(.test) : mapped
      reference = knn == nil ? query : try load(.train)
    } else {
      mapped = try load(nil)
      // A seeded random holdout: a file's rows are often sorted by class.
      (reference, query) = knn == nil ? (mapped, mapped) : mapped.shuffledForSplit(seed: 0).split(validationFraction: holdout)
    }
    if let limit { mapped = mapped.prefix(limit) }
    // With no model, tables are standardized as training would, fitted on the reference examples.
    if file == nil {
      let kind = source.options.scaling ?? source.defaultScaling(for: reference)
      if kind != .none {
        let scaling = FeatureScaling(fitting: kind, to: reference)
        (reference, query, mapped) = (scaling.apply(to: reference), scaling.apply(to: query), scaling.apply(to: mapped))
      }
    }
    return (reference, query, mapped)
  }

  func write(_ points: PointSet, projected: Bool, labels: [UInt8]?, to path: String) throws {
    if path.hasSuffix(".npy") { return try NPY.write(points.values, shape: [points.rows, points.columns], to: path) }
    let names = projected ? ["x", "y"] : (0..<points.columns).map { "z\($0)" }
    let rows = (0..<points.rows).map { row in (labels.map { [Float($0[row])] } ?? []) + Array(points.point(row)) }
    try CSV.write(header: (labels == nil ? [] : ["label"]) + names, rows: rows, to: path)
  }

  func printSeparation(_ separation: CodeMaps.Separation, reference: ImageSet, query: ImageSet) {
    say("How well the classes separate: \(grouped(separation.testExamples)) test examples against \(grouped(separation.trainingExamples)) training examples")
    say("  features                          \(separation.k)-NN accuracy   linear probe")
    func row(_ name: String, _ knn: Double, _ probe: Double) {
      say("  " + name.padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: "%14.4f %14.4f", knn, probe))
    }
    if let knn = separation.knnAccuracy, let probe = separation.probeAccuracy { row("codes (\(separation.width) values)", knn, probe) }
    row("raw values (\(reference.exampleSize))", separation.rawKNNAccuracy, separation.rawProbeAccuracy)
    row("PCA-\(separation.width) of the raw values", separation.pcaKNNAccuracy, separation.pcaProbeAccuracy)
  }
}

extension CodeMaps.Projection: ExpressibleByArgument {}
