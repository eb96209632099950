import CKernels
import Foundation
import TensorCore

/// A linear probe: multinomial logistic (softmax) regression on standardized codes, a measure of
/// how linearly the codes separate the classes.
///
/// Features are standardized with the training mean and standard deviation, `x̃ = (x − μ) / σ`
/// (σ = 1 for a constant feature). The weights `W` (`d` × `c`) and biases `b` minimize, as
/// scikit-learn's `LogisticRegression(C=C)` (multinomial, L2, bias not penalized),
///
///     Σ_i −log softmax(x̃_i W + b)_{y_i} + ‖W‖² / (2C),
///
/// by full-batch L-BFGS (divided by `n` for scale, which does not move the minimum). Logits and
/// gradients are BLAS products over fixed blocks of rows summed in block order, so a fit is the
/// same on any thread count.
public struct LinearProbe: Sendable {
  /// The distinct training labels, ascending: output `j` of the model scores `classes[j]`.
  public let classes: [Int]
  /// The training mean `μ` of each feature.
  public let featureMean: [Float]
  /// The training standard deviation `σ` of each feature (1 where constant).
  public let featureDeviation: [Float]
  /// `W`, `d` × `c`, acting on standardized features.
  public let weights: PointSet
  /// `b`, one per class.
  public let biases: [Float]
  /// The objective (per training point) at the start and after each L-BFGS iteration.
  public let objectiveHistory: [Double]

  /// Fits the probe to `points` labelled `labels`.
  ///
  /// - Parameters:
  ///   - regularization: scikit-learn's `C`, the inverse of the L2 penalty's weight.
  ///   - maxIterations: The most L-BFGS iterations; it stops sooner where the largest gradient
  ///     component of the per-point objective falls below `gradientTolerance`.
  /// - Throws: `EmbeddingError` where the labels hold fewer than two classes or `regularization`
  ///   is not positive.
  public init(training points: PointSet, labels: [Int], regularization: Double = 1, maxIterations: Int = 500,
              gradientTolerance: Double = 1e-6) throws {
    precondition(labels.count == points.rows, "\(labels.count) labels for \(points.rows) points")
    let classes = Array(Set(labels)).sorted()
    guard classes.count >= 2 else { throw EmbeddingError("a linear probe needs at least 2 classes, got \(classes.count)") }
    guard regularization > 0 && regularization.isFinite else {
      throw EmbeddingError("a linear probe's regularization C must be positive, got \(regularization)")
    }
    let mean = points.mean()
    var variance = [Double](repeating: 0, count: points.columns)
    for row in 0..<points.rows {
      for j in 0..<points.columns {
        let centred = Double(points[row, j]) - mean[j]
        variance[j] += centred * centred
      }
    }
    let deviation = variance.map { v -> Float in
      let sd = Float((v / Double(points.rows)).squareRoot())
      return sd > 0 ? sd : 1
    }
    featureMean = mean.map { Float($0) }
    featureDeviation = deviation
    let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Int32($0)) })
    let objective = SoftmaxObjective(features: LinearProbe.standardize(points, mean: featureMean, deviation: deviation),
                                     classes: labels.map { index[$0]! }, columns: points.columns, classCount: classes.count,
                                     penalty: 1 / regularization)
    var solver = LBFGS()
    solver.maxIterations = maxIterations
    solver.gradientTolerance = gradientTolerance
    let outcome = solver.minimize(from: [Double](repeating: 0, count: objective.parameterCount)) { objective.value(at: $0, gradient: &$1) }
    let (d, c) = (points.columns, classes.count)
    self.classes = classes
    weights = PointSet(outcome.x[0..<d * c].map { Float($0) }, rows: d, columns: c)
    biases = outcome.x[d * c..<d * c + c].map { Float($0) }
    objectiveHistory = outcome.values
  }

  /// `(x − μ) / σ` for each point.
  static func standardize(_ points: PointSet, mean: [Float], deviation: [Float]) -> [Float] {
    let inverse = deviation.map { 1 / $0 }
    var out = points.values
    out.withUnsafeMutableBufferPointer { x in
      for row in 0..<points.rows {
        for j in 0..<points.columns { x[row * points.columns + j] = (x[row * points.columns + j] - mean[j]) * inverse[j] }
      }
    }
    return out
  }

  /// The class each point scores highest, `classes[argmax_j (x̃ W + b)_j]` (the smaller label
  /// on a tie).
  public func predictions(for points: PointSet) -> [Int] {
    precondition(points.columns == weights.rows, "\(points.columns)-coordinate points for a probe of \(weights.rows)")
    let features = LinearProbe.standardize(points, mean: featureMean, deviation: featureDeviation)
    let c = classes.count
    var logits = [Float](repeating: 0, count: points.rows * c)
    SoftmaxObjective.logits(features: features, rows: 0..<points.rows, columns: points.columns, weights: weights.values,
                            biases: biases, classCount: c, into: &logits)
    return (0..<points.rows).map { row in
      var best = 0
      for j in 1..<c where logits[row * c + j] > logits[row * c + best] { best = j }
      return classes[best]
    }
  }

  /// The share of `points` whose predicted class is their label, `(1/m) Σ_i [ŷ_i = y_i]`.
  public func accuracy(on points: PointSet, labels: [Int]) -> Double {
    precondition(labels.count == points.rows, "\(labels.count) labels for \(points.rows) points")
    guard points.rows > 0 else { return 0 }
    let correct = zip(predictions(for: points), labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
    return Double(correct) / Double(points.rows)
  }
}

/// The probe's objective per training point, `(1/n) (Σ_i CE_i + (λ/2) ‖W‖²)` with `λ = 1/C`, over
/// the parameters `[W (d × c, row-major), b (c)]`, and its gradient
/// `(1/n) (X̃ᵀ (S − Y) + λ W)` and `(1/n) Σ_i (s_i − y_i)` for the softmax outputs `S` and one-hot
/// labels `Y`.
struct SoftmaxObjective {
  let features: [Float]
  let classes: [Int32]
  let columns: Int
  let classCount: Int
  let penalty: Double

  /// Rows of a block whose logits and gradient are one pair of BLAS products.
  static let blockRows = 2048

  var parameterCount: Int { (columns + 1) * classCount }

  /// `logits[r, :] = x̃_r W + b` for the rows `rows` (stored from row 0 of `logits`).
  static func logits(features: [Float], rows: Range<Int>, columns: Int, weights: [Float], biases: [Float], classCount: Int,
                     into logits: inout [Float]) {
    ensureBLAS()
    for r in 0..<rows.count { for j in 0..<classCount { logits[r * classCount + j] = biases[j] } }
    guard !rows.isEmpty && columns > 0 else { return }
    features.withUnsafeBufferPointer { x in
      aek_sgemm(0, 0, Int32(rows.count), Int32(classCount), Int32(columns), 1, x.baseAddress! + rows.lowerBound * columns, Int32(columns),
                weights, Int32(classCount), 1, &logits, Int32(classCount))
    }
  }

  /// The objective at `parameters`, its gradient written into `gradient`.
  func value(at parameters: [Double], gradient: inout [Double]) -> Double {
    ensureBLAS()
    let (n, d, c) = (classes.count, columns, classCount)
    let weights = parameters[0..<d * c].map { Float($0) }
    let biases = parameters[d * c..<(d + 1) * c].map { Float($0) }
    let blocks = (n + SoftmaxObjective.blockRows - 1) / SoftmaxObjective.blockRows
    let wave = max(1, min(Parallel.threads, blocks))
    // Per block slot of a wave: its loss, bias gradient (c) and weight gradient (d × c).
    var losses = [Double](repeating: 0, count: wave)
    var biasGradients = [Double](repeating: 0, count: wave * c)
    var weightGradients = [Float](repeating: 0, count: wave * d * c)
    var sums = [Double](repeating: 0, count: (d + 1) * c)
    var loss = 0.0
    for first in stride(from: 0, to: blocks, by: wave) {
      let count = min(wave, blocks - first)
      losses.withUnsafeMutableBufferPointer { lossOut in
        biasGradients.withUnsafeMutableBufferPointer { biasOut in
          weightGradients.withUnsafeMutableBufferPointer { weightOut in
            let (lossBase, biasBase, weightBase) = (lossOut.baseAddress!, biasOut.baseAddress!, weightOut.baseAddress!)
            forEachRange(count) { slots in
              var scratch = [Float](repeating: 0, count: SoftmaxObjective.blockRows * c)
              for slot in slots {
                let rows = (first + slot) * SoftmaxObjective.blockRows..<min(n, (first + slot + 1) * SoftmaxObjective.blockRows)
                SoftmaxObjective.logits(features: features, rows: rows, columns: d, weights: weights, biases: biases,
                                        classCount: c, into: &scratch)
                lossBase[slot] = softmaxResiduals(&scratch, rows: rows, biasGradient: biasBase + slot * c)
                features.withUnsafeBufferPointer { x in
                  aek_sgemm(1, 0, Int32(d), Int32(c), Int32(rows.count), 1, x.baseAddress! + rows.lowerBound * d, Int32(d),
                            scratch, Int32(c), 0, weightBase + slot * d * c, Int32(c))
                }
              }
            }
          }
        }
      }
      for slot in 0..<count {  // in block order
        loss += losses[slot]
        for i in 0..<d * c { sums[i] += Double(weightGradients[slot * d * c + i]) }
        for j in 0..<c { sums[d * c + j] += biasGradients[slot * c + j] }
      }
    }
    var squares = 0.0
    for i in 0..<d * c {
      squares += parameters[i] * parameters[i]
      sums[i] += penalty * parameters[i]
    }
    let scale = 1 / Double(n)
    for i in sums.indices { gradient[i] = sums[i] * scale }
    return (loss + 0.5 * penalty * squares) * scale
  }

  /// Turns a block's logits into the residuals `s_i − y_i` in place (softmax in double, shifted
  /// by the row's largest logit), writes their column sums to `biasGradient`, and returns the
  /// block's cross-entropy `Σ_i (log Σ_j e^{l_ij} − l_{i y_i})`.
  private func softmaxResiduals(_ logits: inout [Float], rows: Range<Int>, biasGradient: UnsafeMutablePointer<Double>) -> Double {
    let c = classCount
    for j in 0..<c { biasGradient[j] = 0 }
    var loss = 0.0
    for (r, row) in rows.enumerated() {
      var largest = -Double.infinity
      for j in 0..<c { largest = max(largest, Double(logits[r * c + j])) }
      var sum = 0.0
      for j in 0..<c { sum += exp(Double(logits[r * c + j]) - largest) }
      let label = Int(classes[row])
      loss += log(sum) + largest - Double(logits[r * c + label])
      for j in 0..<c {
        let residual = exp(Double(logits[r * c + j]) - largest) / sum - (j == label ? 1 : 0)
        logits[r * c + j] = Float(residual)
        biasGradient[j] += residual
      }
    }
    return loss
  }
}
