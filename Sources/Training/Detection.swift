import Foundation
import NN

/// A threshold on anomaly scores and the rule that set it from normal data, stored in the model
/// file: examples scoring above it are anomalous.
public struct Calibration: Codable, Equatable, Sendable {
  /// How the threshold was chosen from the normal examples' scores.
  public enum Rule: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The expected share of anomalies: the threshold is the `(1 − c)` quantile (PyOD's `contamination`).
    case contamination(Double)
    /// The `p`-th percentile of the normal scores (100: the largest).
    case percentile(Double)
    /// The normal scores' mean plus `k` standard deviations (Keras's and TensorFlow's tutorials).
    case sigma(Double)

    public var description: String {
      switch self {
      case .contamination(let c): "contamination \(c) (the \(formatted(100 * (1 - c)))th percentile of the normal scores)"
      case .percentile(let p): "the \(formatted(p))th percentile of the normal scores"
      case .sigma(let k): "mean + \(formatted(k))·std of the normal scores"
      }
    }

    private func formatted(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }

    enum CodingKeys: String, CodingKey { case kind, value }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      let value = try container.decode(Double.self, forKey: .value)
      switch try container.decode(String.self, forKey: .kind) {
      case "contamination": self = .contamination(value)
      case "percentile": self = .percentile(value)
      case "sigma": self = .sigma(value)
      case let kind: throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown calibration rule \(kind)")
      }
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      switch self {
      case .contamination(let value): try container.encode("contamination", forKey: .kind); try container.encode(value, forKey: .value)
      case .percentile(let value): try container.encode("percentile", forKey: .kind); try container.encode(value, forKey: .value)
      case .sigma(let value): try container.encode("sigma", forKey: .kind); try container.encode(value, forKey: .value)
      }
    }

    /// What is wrong with the rule's value, or nil.
    public var problem: String? {
      switch self {
      case .contamination(let c): c > 0 && c <= 0.5 ? nil : "--contamination \(c): give a share in (0, 0.5]"
      case .percentile(let p): p > 0 && p <= 100 ? nil : "--percentile \(p): give a percentile in (0, 100] (100: the largest, keras-io's time-series threshold)"
      case .sigma(let k): k.isFinite && k >= 0 ? nil : "--sigma \(k): give a non-negative number of standard deviations"
      }
    }
  }

  public var score: AnomalyScore
  /// The smoothing of the residual the scores used, in pixels (0 for none).
  public var smoothing: Float
  /// The importance samples of a variational score, or nil.
  public var samples: Int?
  public var rule: Rule
  /// Scores above this are anomalous.
  public var threshold: Float
  /// The normal examples it was fitted on: count, and their scores' mean and standard deviation.
  public var normalExamples: Int
  public var normalMean: Float
  public var normalStandardDeviation: Float
  /// Where the normal examples came from.
  public var data: String

  enum CodingKeys: String, CodingKey {
    case score, smoothing, samples = "importance_samples", rule, threshold, normalExamples = "normal_examples", normalMean = "normal_mean"
    case normalStandardDeviation = "normal_std", data
  }

  /// The calibration of `rule` fitted to normal examples' `scores`.
  public init(score: AnomalyScore, smoothing: Float = 0, samples: Int? = nil, rule: Rule, normalScores scores: [Float], data: String) {
    precondition(!scores.isEmpty, "calibration needs normal scores")
    let mean = scores.reduce(0.0) { $0 + Double($1) } / Double(scores.count)
    let variance = scores.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(scores.count)
    let threshold: Double
    switch rule {
    case .contamination(let c): threshold = Self.percentile(scores, 100 * (1 - c))
    case .percentile(let p): threshold = Self.percentile(scores, p)
    case .sigma(let k): threshold = mean + k * variance.squareRoot()
    }
    self.score = score
    self.smoothing = smoothing
    self.samples = samples
    self.rule = rule
    self.threshold = Float(threshold)
    normalExamples = scores.count
    normalMean = Float(mean)
    normalStandardDeviation = Float(variance.squareRoot())
    self.data = data
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    score = try container.decode(AnomalyScore.self, forKey: .score)
    smoothing = try container.decodeIfPresent(Float.self, forKey: .smoothing) ?? 0
    samples = try container.decodeIfPresent(Int.self, forKey: .samples)
    rule = try container.decode(Rule.self, forKey: .rule)
    threshold = try container.decode(Float.self, forKey: .threshold)
    normalExamples = try container.decode(Int.self, forKey: .normalExamples)
    normalMean = try container.decode(Float.self, forKey: .normalMean)
    normalStandardDeviation = try container.decode(Float.self, forKey: .normalStandardDeviation)
    data = try container.decode(String.self, forKey: .data)
  }

  /// The score and its settings, as people read them: "mse of the residual smoothed by 1 px".
  public var scoreDescription: String { Self.describe(score, smoothing: smoothing, samples: samples) }

  /// A score and its settings in words.
  public static func describe(_ score: AnomalyScore, smoothing: Float, samples: Int?) -> String {
    if score.isVariational, let samples { return "\(score.rawValue) (\(samples) importance samples)" }
    return smoothing > 0 ? "\(score.rawValue) of the residual smoothed by \(smoothing == smoothing.rounded() ? String(Int(smoothing)) : String(smoothing)) px" : score.rawValue
  }

  /// NumPy's default (linear) percentile: `q` in [0, 100].
  public static func percentile(_ values: [Float], _ q: Double) -> Double {
    let sorted = values.map(Double.init).sorted()
    let position = q / 100 * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
    return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
  }

  /// What is wrong with a stored calibration, or nil.
  public var problem: String? {
    if let problem = rule.problem { return problem }
    guard threshold.isFinite, normalExamples > 0 else { return "threshold \(threshold) of \(normalExamples) examples" }
    guard smoothing.isFinite, smoothing >= 0, samples.map({ $0 >= 1 }) ?? true else { return "smoothing \(smoothing), samples \(samples ?? 0)" }
    return nil
  }
}

/// How well scores separate anomalies (label true) from normal examples, as scikit-learn
/// computes it.
public enum DetectionMetrics {
  /// The area under the ROC curve: the chance that an anomaly scores above a normal example,
  /// ties counting half (the Mann-Whitney statistic, `roc_auc_score`).
  public static func rocAUC(scores: [Float], anomalous: [Bool]) -> Double {
    precondition(scores.count == anomalous.count, "\(scores.count) scores for \(anomalous.count) labels")
    let positives = anomalous.filter { $0 }.count, negatives = anomalous.count - positives
    guard positives > 0, negatives > 0 else { return .nan }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var rankSum = 0.0, start = 0
    while start < order.count {
      var end = start
      while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
      let averageRank = Double(start + end) / 2 + 1
      for position in start...end where anomalous[order[position]] { rankSum += averageRank }
      start = end + 1
    }
    return (rankSum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
  }

  /// Average precision, `Σ_n (R_n − R_{n−1}) P_n` over the distinct score thresholds from the
  /// highest (`average_precision_score`).
  public static func averagePrecision(scores: [Float], anomalous: [Bool]) -> Double {
    let curve = precisionRecall(scores: scores, anomalous: anomalous)
    var previousRecall = 0.0, sum = 0.0
    for point in curve {
      sum += (point.recall - previousRecall) * point.precision
      previousRecall = point.recall
    }
    return sum
  }

  /// Precision and recall at each distinct score taken as the threshold (anomalous when the
  /// score is at least it), from the highest score down.
  public static func precisionRecall(scores: [Float], anomalous: [Bool]) -> [(threshold: Float, precision: Double, recall: Double)] {
    let positives = anomalous.filter { $0 }.count
    guard positives > 0 else { return [] }
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var curve: [(threshold: Float, precision: Double, recall: Double)] = []
    var truePositives = 0, flagged = 0, position = 0
    while position < order.count {
      let value = scores[order[position]]
      while position < order.count, scores[order[position]] == value {
        if anomalous[order[position]] { truePositives += 1 }
        flagged += 1
        position += 1
      }
      curve.append((value, Double(truePositives) / Double(flagged), Double(truePositives) / Double(positives)))
    }
    return curve
  }

  /// The ROC curve: false and true positive rates at each distinct threshold, from (0, 0) to (1, 1).
  public static func rocCurve(scores: [Float], anomalous: [Bool]) -> [(falsePositiveRate: Double, truePositiveRate: Double)] {
    let positives = Double(anomalous.filter { $0 }.count), negatives = Double(anomalous.count) - positives
    guard positives > 0, negatives > 0 else { return [] }
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var curve = [(falsePositiveRate: 0.0, truePositiveRate: 0.0)]
    var truePositives = 0.0, falsePositives = 0.0, position = 0
    while position < order.count {
      let value = scores[order[position]]
      while position < order.count, scores[order[position]] == value {
        if anomalous[order[position]] { truePositives += 1 } else { falsePositives += 1 }
        position += 1
      }
      curve.append((falsePositives / negatives, truePositives / positives))
    }
    return curve
  }

  /// Counts and rates at a threshold: anomalous when the score exceeds it.
  public struct AtThreshold: Codable, Equatable, Sendable {
    public var threshold: Float
    public var truePositives: Int, falsePositives: Int, trueNegatives: Int, falseNegatives: Int
    public var precision: Double, recall: Double, f1: Double

    enum CodingKeys: String, CodingKey {
      case threshold, truePositives = "true_positives", falsePositives = "false_positives", trueNegatives = "true_negatives"
      case falseNegatives = "false_negatives", precision, recall, f1
    }
  }

  /// Precision, recall and F1 of flagging the scores above `threshold`.
  public static func at(threshold: Float, scores: [Float], anomalous: [Bool]) -> AtThreshold {
    var tp = 0, fp = 0, tn = 0, fn = 0
    for (score, isAnomalous) in zip(scores, anomalous) {
      switch (score > threshold, isAnomalous) {
      case (true, true): tp += 1
      case (true, false): fp += 1
      case (false, false): tn += 1
      case (false, true): fn += 1
      }
    }
    let precision = tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp)
    let recall = tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn)
    let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
    return AtThreshold(threshold: threshold, truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn,
                       precision: precision, recall: recall, f1: f1)
  }
}
