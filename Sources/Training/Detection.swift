import Foundation
import NN

/// What an example's anomaly score is: how badly the model reconstructs it.
public enum AnomalyScore: String, Codable, Sendable, CaseIterable {
  /// The model's own loss per value (binary cross-entropy, squared or absolute error, as trained).
  case loss
  /// The mean squared error per value.
  case mse
  /// The mean absolute error per value.
  case mae

  /// The score of one example from its values `x` and reconstruction `x̂` (`n` values each):
  /// the mean over values of the per-value error, BCE clipped to `[1e-7, 1 − 1e-7]` as Keras does.
  public static func score(_ kind: AnomalyScore, loss: Loss, input: UnsafePointer<Float>, output: UnsafePointer<Float>, count: Int) -> Float {
    let kind: AnomalyScore = kind == .loss ? (loss == .binaryCrossEntropy ? .loss : loss == .meanAbsoluteError ? .mae : .mse) : kind
    // Eight float partial sums (vectorizable), then a double total.
    var partial = SIMD8<Float>()
    var index = 0
    while index + 8 <= count {
      let x = UnsafeRawPointer(input + index).loadUnaligned(as: SIMD8<Float>.self)
      let y = UnsafeRawPointer(output + index).loadUnaligned(as: SIMD8<Float>.self)
      switch kind {
      case .mse: partial += (x - y) * (x - y)
      case .mae: partial += (x - y).replacing(with: y - x, where: x .< y)
      case .loss:
        for lane in 0..<8 {
          let p = min(max(y[lane], 1e-7), 1 - 1e-7)
          partial[lane] -= x[lane] * log(p) + (1 - x[lane]) * log(1 - p)
        }
      }
      index += 8
    }
    var sum = Double(partial.sum())
    for tail in index..<count {
      let (x, y) = (Double(input[tail]), Double(output[tail]))
      switch kind {
      case .loss:
        let p = min(max(y, 1e-7), 1 - 1e-7)
        sum -= x * log(p) + (1 - x) * log(1 - p)
      case .mse: sum += (x - y) * (x - y)
      case .mae: sum += abs(x - y)
      }
    }
    return Float(sum / Double(max(count, 1)))
  }
}

/// A threshold on anomaly scores and the rule that set it from normal data, stored in the model
/// file: examples scoring above it are anomalous.
public struct Calibration: Codable, Equatable, Sendable {
  /// How the threshold was chosen from the normal examples' scores.
  public enum Rule: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The expected share of anomalies: the threshold is the `(1 − c)` quantile (PyOD's `contamination`).
    case contamination(Double)
    /// The `p`-th percentile of the normal scores.
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
      case .percentile(let p): p > 0 && p < 100 ? nil : "--percentile \(p): give a percentile in (0, 100)"
      case .sigma(let k): k.isFinite && k >= 0 ? nil : "--sigma \(k): give a non-negative number of standard deviations"
      }
    }
  }

  public var score: AnomalyScore
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
    case score, rule, threshold, normalExamples = "normal_examples", normalMean = "normal_mean"
    case normalStandardDeviation = "normal_std", data
  }

  /// The calibration of `rule` fitted to normal examples' `scores`.
  public init(score: AnomalyScore, rule: Rule, normalScores scores: [Float], data: String) {
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
    self.rule = rule
    self.threshold = Float(threshold)
    normalExamples = scores.count
    normalMean = Float(mean)
    normalStandardDeviation = Float(variance.squareRoot())
    self.data = data
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
