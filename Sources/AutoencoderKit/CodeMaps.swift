import Foundation

/// What `autoencoder embed` does with codes, as library calls: a set's codes (a model's, or the
/// raw values), their 2-D map (the codes themselves, PCA or t-SNE), the map's figure, and how well
/// the codes separate classes.
public enum CodeMaps {
  /// How codes wider than two become a 2-D map.
  public enum Projection: String, CaseIterable, Sendable {
    case none, pca, tsne

    /// The map's axis names.
    var axes: (String, String) {
      switch self {
      case .none: ("z0", "z1")
      case .pca: ("PC 1", "PC 2")
      case .tsne: ("t-SNE 1", "t-SNE 2")
      }
    }
  }

  /// The codes of `set`'s examples: the model's encoding (a variational model's means), or with
  /// no model the examples' values as they are.
  public static func codes(of set: ImageSet, model: Autoencoder?) throws -> PointSet {
    guard let model else {
      return PointSet((0..<set.count).flatMap { set.example($0) }, rows: set.count, columns: set.exampleSize)
    }
    let codes = try model.encode(set)
    return PointSet(codes.scalars, rows: set.count, columns: codes.count / max(set.count, 1))
  }

  /// The 2-D map of `codes`.
  ///
  /// - Parameter progress: For t-SNE, called every 50 iterations with the iteration and the KL divergence.
  /// - Throws: `EmbeddingError` (a t-SNE perplexity too large for the points, and the like), or
  ///   `ValidationError`-like `EmbeddingError` when codes wider than two are given no projection.
  public static func project(_ codes: PointSet, with projection: Projection, tsne: TSNE = TSNE(),
                             progress: ((Int, Double) -> Void)? = nil) throws -> PointSet {
    switch projection {
    case .none:
      guard codes.columns == 2 else {
        throw EmbeddingError("codes of \(codes.columns) values need a projection to draw a map: give --projection pca or tsne")
      }
      return codes
    case .pca: return try PCA(fitting: codes, components: 2).project(codes)
    case .tsne: return try tsne.embed(codes, progress: progress).embedding
    }
  }

  /// The figure of a 2-D map: points coloured by label, with the classes' names in a legend.
  public static func figure(of map: PointSet, labels: [Int]?, classNames: [String]?, title: String, projection: Projection) -> Image {
    precondition(map.columns == 2, "a map has two columns, not \(map.columns)")
    let points = (0..<map.rows).map { (x: map[$0, 0], y: map[$0, 1]) }
    let (x, y) = projection.axes
    let names = classNames ?? Array(Set(labels ?? [])).sorted().map(String.init)
    var plot = ScatterPlot(title: title, xLabel: x, yLabel: y, points: points, labels: labels, classNames: names)
    plot.radius = map.rows > 20_000 ? 1 : 2
    return plot.render()
  }

  /// How well codes separate classes: the k-nearest-neighbour and linear-probe accuracies of the
  /// test codes against the training codes, beside the same for the raw values and for PCA of the
  /// codes' width fitted on the raw training values.
  public struct Separation: Codable, Equatable, Sendable {
    public var k: Int
    /// The codes' width (and the PCA's).
    public var width: Int
    public var trainingExamples: Int
    public var testExamples: Int
    /// The model's codes (nil in raw mode, where there is no model).
    public var knnAccuracy: Double?
    public var probeAccuracy: Double?
    public var rawKNNAccuracy: Double
    public var rawProbeAccuracy: Double
    public var pcaKNNAccuracy: Double
    public var pcaProbeAccuracy: Double

    enum CodingKeys: String, CodingKey {
      case k, width, trainingExamples = "training_examples", testExamples = "test_examples", knnAccuracy = "knn_accuracy"
      case probeAccuracy = "probe_accuracy", rawKNNAccuracy = "raw_knn_accuracy", rawProbeAccuracy = "raw_probe_accuracy"
      case pcaKNNAccuracy = "pca_knn_accuracy", pcaProbeAccuracy = "pca_probe_accuracy"
    }
  }

  /// Measures `Separation` of `model`'s codes (or, with no model, of PCA of `width` against the raw values).
  ///
  /// - Throws: `DataError.empty` when either set has no labels, `EmbeddingError`.
  public static func separation(training: ImageSet, test: ImageSet, model: Autoencoder?, k: Int, width: Int? = nil,
                                probeIterations: Int = 300, step: ((String) -> Void)? = nil) throws -> Separation {
    guard let trainingLabels = training.labels.map({ $0.map(Int.init) }), let testLabels = test.labels.map({ $0.map(Int.init) }) else {
      throw DataError.empty(source: training.labels == nil ? training.source : test.source, role: "labelled",
                            reason: "--knn needs labels: class folders, a --label-column, --labels, or an IDX folder's label files")
    }
    func accuracies(_ train: PointSet, _ test: PointSet, _ what: String) throws -> (knn: Double, probe: Double) {
      step?("\(what): \(k)-nearest neighbours")
      let knn = try kNearestNeighborAccuracy(train: train, trainLabels: trainingLabels, test: test, testLabels: testLabels, k: k)
      step?("\(what): linear probe")
      let probe = try LinearProbe(training: train, labels: trainingLabels, maxIterations: probeIterations).accuracy(on: test, labels: testLabels)
      return (knn, probe)
    }
    var codes: (knn: Double, probe: Double)?
    var codeWidth = width ?? 2
    if let model {
      let (trainCodes, testCodes) = (try Self.codes(of: training, model: model), try Self.codes(of: test, model: model))
      codeWidth = trainCodes.columns
      codes = try accuracies(trainCodes, testCodes, "codes")
    }
    let (rawTrain, rawTest) = (try Self.codes(of: training, model: nil), try Self.codes(of: test, model: nil))
    let raw = try accuracies(rawTrain, rawTest, "raw values")
    codeWidth = model == nil ? min(codeWidth, rawTrain.columns) : codeWidth
    let pca = try PCA(fitting: rawTrain, components: min(codeWidth, rawTrain.columns))
    let pcaScores = try accuracies(pca.project(rawTrain), pca.project(rawTest), "PCA-\(pca.components.rows)")
    return Separation(k: k, width: codeWidth, trainingExamples: training.count, testExamples: test.count, knnAccuracy: codes?.knn,
                      probeAccuracy: codes?.probe, rawKNNAccuracy: raw.knn, rawProbeAccuracy: raw.probe, pcaKNNAccuracy: pcaScores.knn,
                      pcaProbeAccuracy: pcaScores.probe)
  }
}
