import Foundation

// The t-SNE objective and its gradient (van der Maaten and Hinton 2008; van der Maaten 2014).
//
// With `w_ij = 1 / (1 + ‖y_i − y_j‖²)`, `Z = Σ_{k≠l} w_kl` and `q_ij = w_ij / Z`, the objective is
// `KL(P ‖ Q) = Σ_{i≠j} p_ij log(p_ij / q_ij)` and its gradient
//   ∂KL/∂y_i = 4 Σ_j (p_ij − q_ij) w_ij (y_i − y_j)
//            = 4 (Σ_j p_ij w_ij (y_i − y_j) − (1/Z) Σ_j w_ij² (y_i − y_j)),
// an attraction over the sparse P and a repulsion over all pairs: Barnes-Hut sums over a
// quadtree, or exact O(n²) sums when θ = 0.

/// Reusable buffers for evaluating the gradient of one embedding's objective.
struct TSNEWorkspace {
  var tree = QuadTree()
  /// Per point: the repulsion `Σ_j w_ij² (y_i − y_j)` (two values) and `Σ_j w_ij`.
  var repulsion: [Double]
  var z: [Double]
  /// Per point: its row's part of the KL divergence, when asked for.
  var kl: [Double]

  init(count: Int) {
    repulsion = [Double](repeating: 0, count: 2 * count)
    z = [Double](repeating: 0, count: count)
    kl = [Double](repeating: 0, count: count)
  }
}

extension TSNE {
  /// Points per thread below which the per-point loops run on fewer threads.
  static let minimumPointsPerThread = 128

  /// Writes the gradient of `KL(αP ‖ Q)`, `4 Σ_j (α p_ij − q_ij) w_ij (y_i − y_j)`, for the `n`
  /// points at `positions` (x, y pairs) into `gradient`, with the repulsion by Barnes-Hut at
  /// `theta` (exact at 0). Returns `Z` and, where `measuring`, the divergence `KL(P ‖ Q)` of the
  /// unexaggerated P (else 0). Each thread computes a contiguous range of points and writes only
  /// theirs; `Z` and the divergence are summed over the points in index order, so the result
  /// does not depend on the thread count.
  static func gradient(positions: UnsafePointer<Double>, affinities: Affinities, exaggeration: Double, theta: Double,
                       workspace: inout TSNEWorkspace, measuring: Bool,
                       into gradient: UnsafeMutablePointer<Double>) -> (z: Double, kl: Double) {
    let n = affinities.count
    if theta > 0 { workspace.tree.rebuild(positions: positions, count: n) }
    let thetaSquared = theta * theta
    let tree = workspace.tree
    workspace.repulsion.withUnsafeMutableBufferPointer { repulsionBuffer in
      workspace.z.withUnsafeMutableBufferPointer { zBuffer in
        let (repulsion, zs) = (repulsionBuffer.baseAddress!, zBuffer.baseAddress!)
        forEachRange(n, minimumPerPart: minimumPointsPerThread) { points in
          let stack = UnsafeMutablePointer<Int32>.allocate(capacity: 4 * QuadTree.maximumDepth + 4)
          defer { stack.deallocate() }
          for i in points {
            let (x, y) = (positions[2 * i], positions[2 * i + 1])
            let sums = theta > 0
              ? tree.repulsion(on: i, x: x, y: y, thetaSquared: thetaSquared, positions: positions, stack: stack)
              : exactRepulsion(on: i, positions: positions, count: n)
            repulsion[2 * i] = sums.forceX
            repulsion[2 * i + 1] = sums.forceY
            zs[i] = sums.z
          }
        }
      }
    }
    let z = workspace.z.reduce(0, +)
    let logZ = log(z)
    affinities.rowStart.withUnsafeBufferPointer { rowStart in
      affinities.columns.withUnsafeBufferPointer { columns in
        affinities.values.withUnsafeBufferPointer { values in
          workspace.repulsion.withUnsafeBufferPointer { repulsion in
            workspace.kl.withUnsafeMutableBufferPointer { klBuffer in
              let kl = klBuffer.baseAddress!
              forEachRange(n, minimumPerPart: minimumPointsPerThread) { points in
                for i in points {
                  let (x, y) = (positions[2 * i], positions[2 * i + 1])
                  var (attractionX, attractionY, divergence) = (0.0, 0.0, 0.0)
                  for entry in rowStart[i]..<rowStart[i + 1] {
                    let j = Int(columns[entry])
                    let dx = x - positions[2 * j], dy = y - positions[2 * j + 1]
                    let onePlus = 1 + dx * dx + dy * dy
                    let pw = values[entry] / onePlus
                    attractionX += pw * dx
                    attractionY += pw * dy
                    if measuring && values[entry] > 0 {  // p log(p / q) = p (log p + log Z + log(1 + d²))
                      divergence += values[entry] * (log(values[entry]) + logZ + log(onePlus))
                    }
                  }
                  gradient[2 * i] = 4 * (exaggeration * attractionX - repulsion[2 * i] / z)
                  gradient[2 * i + 1] = 4 * (exaggeration * attractionY - repulsion[2 * i + 1] / z)
                  kl[i] = divergence
                }
              }
            }
          }
        }
      }
    }
    return (z, measuring ? workspace.kl.reduce(0, +) : 0)
  }

  /// The exact repulsion on point `i`: `Σ_{j≠i} w_ij² (y_i − y_j)` and `Σ_{j≠i} w_ij`, O(n).
  static func exactRepulsion(on i: Int, positions: UnsafePointer<Double>, count n: Int)
    -> (forceX: Double, forceY: Double, z: Double) {
    let (x, y) = (positions[2 * i], positions[2 * i + 1])
    var (forceX, forceY, z) = (0.0, 0.0, 0.0)
    for j in 0..<n where j != i {
      let dx = x - positions[2 * j], dy = y - positions[2 * j + 1]
      let w = 1 / (1 + dx * dx + dy * dy)
      z += w
      forceX += w * w * dx
      forceY += w * w * dy
    }
    return (forceX, forceY, z)
  }

  /// The exact `KL(P ‖ Q) = Σ_{p_ij > 0} p_ij log(p_ij Z / w_ij)` for the points at `positions`:
  /// exact because P is zero off its stored entries; `Z` by the O(n²) sum.
  static func exactKLDivergence(affinities: Affinities, positions: [Double]) -> Double {
    var gradient = [Double](repeating: 0, count: positions.count)
    var workspace = TSNEWorkspace(count: affinities.count)
    return positions.withUnsafeBufferPointer { y in
      gradient.withUnsafeMutableBufferPointer { g in
        TSNE.gradient(positions: y.baseAddress!, affinities: affinities, exaggeration: 1, theta: 0,
                      workspace: &workspace, measuring: true, into: g.baseAddress!).kl
      }
    }
  }

  /// The exact gradient `∂KL(P ‖ Q)/∂y` (x, y pairs), by the O(n²) repulsion.
  static func exactGradient(affinities: Affinities, positions: [Double]) -> [Double] {
    var gradient = [Double](repeating: 0, count: positions.count)
    var workspace = TSNEWorkspace(count: affinities.count)
    positions.withUnsafeBufferPointer { y in
      gradient.withUnsafeMutableBufferPointer { g in
        _ = TSNE.gradient(positions: y.baseAddress!, affinities: affinities, exaggeration: 1, theta: 0,
                          workspace: &workspace, measuring: false, into: g.baseAddress!)
      }
    }
    return gradient
  }
}
