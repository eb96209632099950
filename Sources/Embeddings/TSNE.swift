import Foundation
import TensorCore

/// Barnes-Hut t-SNE to two dimensions (van der Maaten and Hinton 2008; van der Maaten 2014), with
/// scikit-learn's defaults and optimizer.
///
/// The input affinities `P` come from each point's exact nearest neighbours, calibrated to the
/// perplexity and symmetrized; the map `Y` minimizes `KL(P ‖ Q)` for the Student-t affinities
/// `q_ij ∝ 1 / (1 + ‖y_i − y_j‖²)` by gradient descent with momentum and per-coordinate gains
/// (delta-bar-delta: a gain grows by 0.2 while its gradient keeps its sign against the update, and
/// shrinks ×0.8 otherwise, never below 0.01). For the first `exaggerationIterations` iterations
/// `P` is multiplied by `earlyExaggeration` and the momentum is 0.5; then it is 0.8.
///
/// Runs are deterministic: the same points and options give the same bits (on any thread count:
/// every per-point result is computed by one thread and the sums run over points in order).
public struct TSNE: Sendable {
  /// Where the optimization starts.
  public enum Initialization: Sendable, Equatable {
    /// The first two principal components, scaled so the first has standard deviation 1e-4.
    case pca
    /// Normal draws with standard deviation 1e-4 from `seed`.
    case random
  }

  /// The gradient descent step size.
  public enum LearningRate: Sendable, Equatable {
    /// `max(n / earlyExaggeration / 4, 50)`, as scikit-learn's "auto".
    case auto
    /// A fixed step.
    case fixed(Double)
  }

  /// The effective number of neighbours each point's affinities spread over (`2^H` for the
  /// entropy `H` of its conditional affinities in bits); must be below the number of points.
  public var perplexity: Double
  /// The number of gradient steps in all.
  public var iterations: Int
  /// The factor on `P` during the first steps, which lets clusters form and move apart.
  public var earlyExaggeration: Double
  /// The number of steps with exaggeration (and momentum 0.5).
  public var exaggerationIterations: Int
  /// The step size.
  public var learningRate: LearningRate
  /// The Barnes-Hut opening angle: a cell of side `s` at distance `r` is summarized when
  /// `s / r < θ`. 0 computes the repulsion exactly, O(n²) a step.
  public var theta: Double
  /// The seed of the random initialization.
  public var seed: UInt64
  /// Where the optimization starts.
  public var initialization: Initialization

  /// Options for a t-SNE run; the defaults are scikit-learn's.
  public init(perplexity: Double = 30, iterations: Int = 1000, earlyExaggeration: Double = 12,
              exaggerationIterations: Int = 250, learningRate: LearningRate = .auto, theta: Double = 0.5,
              seed: UInt64 = 0, initialization: Initialization = .pca) {
    self.perplexity = perplexity
    self.iterations = iterations
    self.earlyExaggeration = earlyExaggeration
    self.exaggerationIterations = exaggerationIterations
    self.learningRate = learningRate
    self.theta = theta
    self.seed = seed
    self.initialization = initialization
  }

  /// A finished map.
  public struct Result: Sendable {
    /// The 2-D map: one row of two coordinates per input point.
    public let embedding: PointSet
    /// `KL(P ‖ Q)` of the final map: exact where `n ≤ exactDivergenceLimit` or `θ = 0`, else with
    /// the normalization `Z` from the Barnes-Hut sums (as scikit-learn reports it).
    public let klDivergence: Double
  }

  /// The largest number of points whose final divergence is computed exactly, O(n²).
  public static let exactDivergenceLimit = 4096
  /// Iterations between progress reports.
  public static let progressInterval = 50

  /// The step size for `n` points.
  func effectiveLearningRate(points n: Int) -> Double {
    switch learningRate {
    case .auto: max(Double(n) / earlyExaggeration / 4, 50)
    case .fixed(let rate): rate
    }
  }

  /// Maps `points` to two dimensions.
  ///
  /// - Parameter progress: Called on the calling thread every `progressInterval` iterations with
  ///   the number of iterations done and `KL(P ‖ Q)` at that iteration's map (the Barnes-Hut
  ///   estimate, unexaggerated P).
  /// - Throws: `EmbeddingError` where the perplexity is not below the number of points, or an
  ///   option is out of range.
  public func embed(_ points: PointSet, progress: ((_ iteration: Int, _ klDivergence: Double) -> Void)? = nil) throws -> Result {
    let n = points.rows
    try validate(pointCount: n, columns: points.columns)
    let affinities = TSNE.affinities(of: points, perplexity: perplexity)
    var positions = try initialPositions(points)
    var workspace = TSNEWorkspace(count: n)
    var gradient = [Double](repeating: 0, count: 2 * n)
    var update = [Double](repeating: 0, count: 2 * n)
    var gains = [Double](repeating: 1, count: 2 * n)
    let rate = effectiveLearningRate(points: n)
    let exaggerated = min(max(exaggerationIterations, 0), iterations)
    for iteration in 0..<iterations {
      if iteration == 0 || iteration == exaggerated {  // each stage starts afresh, as scikit-learn's
        for i in update.indices { update[i] = 0; gains[i] = 1 }
      }
      let early = iteration < exaggerated
      let measuring = progress != nil && (iteration + 1) % TSNE.progressInterval == 0
      let (_, kl) = positions.withUnsafeBufferPointer { y in
        gradient.withUnsafeMutableBufferPointer { g in
          TSNE.gradient(positions: y.baseAddress!, affinities: affinities, exaggeration: early ? earlyExaggeration : 1,
                        theta: theta, workspace: &workspace, measuring: measuring, into: g.baseAddress!)
        }
      }
      TSNE.step(positions: &positions, gradient: gradient, update: &update, gains: &gains,
                momentum: early ? 0.5 : 0.8, learningRate: rate)
      if measuring { progress?(iteration + 1, kl) }
    }
    let kl: Double
    if theta == 0 || n <= TSNE.exactDivergenceLimit {
      kl = TSNE.exactKLDivergence(affinities: affinities, positions: positions)
    } else {
      kl = positions.withUnsafeBufferPointer { y in
        gradient.withUnsafeMutableBufferPointer { g in
          TSNE.gradient(positions: y.baseAddress!, affinities: affinities, exaggeration: 1, theta: theta,
                        workspace: &workspace, measuring: true, into: g.baseAddress!).kl
        }
      }
    }
    return Result(embedding: PointSet(positions.map { Float($0) }, rows: n, columns: 2), klDivergence: kl)
  }

  /// Checks the options against the data, throwing for what the user can change.
  func validate(pointCount n: Int, columns: Int) throws {
    guard perplexity > 0 && perplexity.isFinite else { throw EmbeddingError("t-SNE perplexity must be positive, got \(perplexity)") }
    guard perplexity < Double(n) else {
      throw EmbeddingError("t-SNE perplexity (\(perplexity)) must be less than the number of points (\(n))")
    }
    guard iterations >= 0 else { throw EmbeddingError("t-SNE iterations must not be negative, got \(iterations)") }
    guard theta >= 0 && theta <= 1 else { throw EmbeddingError("t-SNE theta must be between 0 and 1, got \(theta)") }
    guard earlyExaggeration > 0 && earlyExaggeration.isFinite else {
      throw EmbeddingError("t-SNE early exaggeration must be positive, got \(earlyExaggeration)")
    }
    if case .fixed(let rate) = learningRate, !(rate > 0 && rate.isFinite) {
      throw EmbeddingError("t-SNE learning rate must be positive, got \(rate)")
    }
    if initialization == .pca && columns < 2 {
      throw EmbeddingError("t-SNE's PCA initialization needs points of at least 2 coordinates, got \(columns)")
    }
  }

  /// The starting map (x, y pairs): PCA's first two coordinates scaled so the first has
  /// standard deviation 1e-4, or 1e-4 times standard normal draws.
  func initialPositions(_ points: PointSet) throws -> [Double] {
    let n = points.rows
    switch initialization {
    case .random:
      let normals = Tensor.randomNormal(rows: n, columns: 2, seed: seed, firstRow: 0).scalars
      return normals.map { 1e-4 * Double($0) }
    case .pca:
      let projected = try PCA(fitting: points, components: 2).project(points).values.map { Double($0) }
      var (sum, sumSquares) = (0.0, 0.0)
      for i in 0..<n { sum += projected[2 * i] }
      let mean = sum / Double(n)
      for i in 0..<n { sumSquares += (projected[2 * i] - mean) * (projected[2 * i] - mean) }
      let deviation = (sumSquares / Double(n)).squareRoot()
      let scale = deviation > 0 ? 1e-4 / deviation : 1
      return projected.map { $0 * scale }
    }
  }

  /// One step of gradient descent with momentum and gains, scikit-learn's: a gain grows by 0.2
  /// where the gradient opposes the last update (`update · g < 0`) and shrinks ×0.8 elsewhere (at
  /// least 0.01); then `update = momentum · update − rate · gain · g` and `y += update`.
  static func step(positions: inout [Double], gradient: [Double], update: inout [Double], gains: inout [Double],
                   momentum: Double, learningRate: Double) {
    for i in positions.indices {
      let g = gradient[i]
      gains[i] = update[i] * g < 0 ? gains[i] + 0.2 : max(gains[i] * 0.8, 0.01)
      update[i] = momentum * update[i] - learningRate * gains[i] * g
      positions[i] += update[i]
    }
  }
}
