import Foundation
import TensorCore

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
  /// The points in index order, the order they are processed in at θ = 0 (else the tree's).
  let indexOrder: [Int32]
  /// The tree groups each point visited at the last evaluation (1 before the first), by which
  /// the points are shared out so that each thread gets the same work.
  var cost: [Int32]
  /// Per point, three values: the repulsion `Σ_j w_ij² (y_i − y_j)` (two) and `Σ_{j≠i} w_ij`.
  var sums: [Double]
  /// Per point, `Σ_j p_ij (log p_ij + log(1 + d_ij²))`, its row's share of the divergence less
  /// `log Z`.
  var divergence: [Double]

  init(count: Int) {
    indexOrder = (0..<count).map { Int32($0) }
    cost = [Int32](repeating: 1, count: count)
    sums = [Double](repeating: 0, count: 3 * count)
    divergence = [Double](repeating: 0, count: count)
  }

  /// Boundaries in `order` splitting the points into `parts` runs of near-equal cost.
  func balancedBoundaries(of order: [Int32], parts: Int) -> [Int] {
    let total = cost.reduce(0) { $0 + Int($1) }
    var boundaries = [0]
    var running = 0
    for (position, point) in order.enumerated() where boundaries.count < parts {
      running += Int(cost[Int(point)])
      if running * parts >= total * boundaries.count { boundaries.append(position + 1) }
    }
    while boundaries.count <= parts { boundaries.append(order.count) }
    boundaries[parts] = order.count
    return boundaries
  }
}

extension TSNE {
  /// Points per thread below which the per-point loops run on fewer threads.
  static let minimumPointsPerThread = 128

  /// Writes the gradient of `KL(αP ‖ Q)`, `4 Σ_j (α p_ij − q_ij) w_ij (y_i − y_j)`, for the `n`
  /// points at `positions` (x, y pairs) into `gradient`, with the repulsion by Barnes-Hut at
  /// `theta` (exact at 0). Returns `Z` and, where `measuring`, the divergence `KL(P ‖ Q)` of the
  /// unexaggerated P (else 0).
  ///
  /// Two passes over the points, each thread writing only its own points' results: the
  /// repulsion in the tree's spatial order, shared among the threads in runs of equal work
  /// (tree groups visited at the last evaluation); then, once `Z` is summed in index order, the
  /// attraction over the rows of P and the gradient, in index order. Neither the thread count
  /// nor the split changes a bit of the result.
  static func gradient(positions: UnsafePointer<Double>, affinities: Affinities, exaggeration: Double, theta: Double,
                       workspace: inout TSNEWorkspace, measuring: Bool,
                       into gradient: UnsafeMutablePointer<Double>) -> (z: Double, kl: Double) {
    let n = affinities.count
    if theta > 0 { workspace.tree.rebuild(positions: positions, count: n) }
    let tree = workspace.tree
    let pointOrder = theta > 0 ? tree.order : workspace.indexOrder
    let parts = max(1, min(Parallel.threads, n / minimumPointsPerThread))
    let boundaries = workspace.balancedBoundaries(of: pointOrder, parts: parts)
    let thetaSquared = theta * theta
    pointOrder.withUnsafeBufferPointer { order in
      workspace.cost.withUnsafeMutableBufferPointer { costBuffer in
        workspace.sums.withUnsafeMutableBufferPointer { sumsBuffer in
          let (cost, sums) = (costBuffer.baseAddress!, sumsBuffer.baseAddress!)
          Parallel.forEachShard(parts) { part in
            let run = UnsafeBufferPointer(rebasing: order[boundaries[part]..<boundaries[part + 1]])
            if theta > 0 {
              tree.forEachRepulsion(of: run, positions: positions, thetaSquared: thetaSquared) { i, repulsion in
                (sums[3 * i], sums[3 * i + 1], sums[3 * i + 2]) = (repulsion.forceX, repulsion.forceY, repulsion.z)
                cost[i] = Int32(clamping: repulsion.interactions)
              }
            } else {
              for i in run.lazy.map({ Int($0) }) {
                let exact = exactRepulsion(on: i, positions: positions, count: n)
                (sums[3 * i], sums[3 * i + 1], sums[3 * i + 2]) = (exact.forceX, exact.forceY, exact.z)
                cost[i] = Int32(clamping: n)
              }
            }
          }
        }
      }
    }
    var z = 0.0
    for i in 0..<n { z += workspace.sums[3 * i + 2] }
    affinities.rowStart.withUnsafeBufferPointer { rowStart in
      affinities.columns.withUnsafeBufferPointer { columns in
        affinities.values.withUnsafeBufferPointer { values in
          workspace.sums.withUnsafeBufferPointer { sums in
            workspace.divergence.withUnsafeMutableBufferPointer { divergenceBuffer in
              let divergences = divergenceBuffer.baseAddress!
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
                  }
                  if measuring {  // p log(p / q) = p (log p + log(1 + d²) + log Z)
                    for entry in rowStart[i]..<rowStart[i + 1] where values[entry] > 0 {
                      let j = Int(columns[entry])
                      let dx = x - positions[2 * j], dy = y - positions[2 * j + 1]
                      divergence += values[entry] * (log(values[entry]) + log(1 + dx * dx + dy * dy))
                    }
                  }
                  gradient[2 * i] = 4 * (exaggeration * attractionX - sums[3 * i] / z)
                  gradient[2 * i + 1] = 4 * (exaggeration * attractionY - sums[3 * i + 1] / z)
                  divergences[i] = divergence
                }
              }
            }
          }
        }
      }
    }
    guard measuring else { return (z, 0) }
    var (divergence, total) = (0.0, 0.0)
    for i in 0..<n { divergence += workspace.divergence[i] }
    for value in affinities.values { total += value }
    return (z, divergence + total * log(z))
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
