/// A quadtree over 2-D points for Barnes-Hut sums (Barnes and Hut 1986; van der Maaten 2014),
/// held in flat arrays: cells in one array, the four children of a cell consecutive, and the
/// points of a leaf chained through `nextPoint`. Rebuilding reuses the arrays' storage.
///
/// A leaf holds one position: points at exactly the same place share a leaf, as do points still
/// apart at `maximumDepth` (where the cell side is 2⁻⁴⁸ of the root's).
struct QuadTree {
  /// A square cell: its centre and half side, and the count and centre of mass of its points.
  struct Cell {
    var centerX: Double
    var centerY: Double
    var halfWidth: Double
    /// The sum of the points' coordinates while building; their mean once built.
    var massX: Double = 0
    var massY: Double = 0
    var count: Int32 = 0
    /// The first of the four children (quadrants: bit 0 set right of centre, bit 1 above), or -1
    /// for a leaf.
    var firstChild: Int32 = -1
    /// A leaf's first point (the rest follow through `nextPoint`), or -1.
    var firstPoint: Int32 = -1
  }

  /// The cells, the root first.
  private(set) var cells: [Cell] = []
  /// The next point in the same leaf, or -1.
  private(set) var nextPoint: [Int32] = []
  /// The deepest level a cell is split at.
  static let maximumDepth = 48

  /// Rebuilds the tree over the `count` points `(positions[2i], positions[2i + 1])`.
  mutating func rebuild(positions: UnsafePointer<Double>, count: Int) {
    cells.removeAll(keepingCapacity: true)
    nextPoint.removeAll(keepingCapacity: true)
    nextPoint.append(contentsOf: repeatElement(-1, count: count))
    var (minX, minY) = (Double.infinity, Double.infinity)
    var (maxX, maxY) = (-Double.infinity, -Double.infinity)
    for i in 0..<count {
      minX = min(minX, positions[2 * i]); maxX = max(maxX, positions[2 * i])
      minY = min(minY, positions[2 * i + 1]); maxY = max(maxY, positions[2 * i + 1])
    }
    let side = count > 0 ? max(maxX - minX, maxY - minY) : 0
    let half = side > 0 ? side * (0.5 + 1e-9) : 1
    cells.append(Cell(centerX: count > 0 ? (minX + maxX) / 2 : 0, centerY: count > 0 ? (minY + maxY) / 2 : 0, halfWidth: half))
    for i in 0..<count { insert(Int32(i), positions: positions) }
    for c in cells.indices where cells[c].count > 0 {
      let scale = 1 / Double(cells[c].count)
      cells[c].massX *= scale
      cells[c].massY *= scale
    }
  }

  /// Adds point `p` on the path from the root to its leaf, splitting a leaf that holds another
  /// position.
  private mutating func insert(_ p: Int32, positions: UnsafePointer<Double>) {
    let (x, y) = (positions[2 * Int(p)], positions[2 * Int(p) + 1])
    var node = 0
    var depth = 0
    while true {
      cells[node].count += 1
      cells[node].massX += x
      cells[node].massY += y
      if cells[node].firstChild >= 0 {
        node = Int(cells[node].firstChild) + quadrant(of: node, x: x, y: y)
        depth += 1
        continue
      }
      let q = cells[node].firstPoint
      if q < 0 {
        cells[node].firstPoint = p
        return
      }
      let (qx, qy) = (positions[2 * Int(q)], positions[2 * Int(q) + 1])
      if (qx == x && qy == y) || depth >= QuadTree.maximumDepth {
        nextPoint[Int(p)] = q
        cells[node].firstPoint = p
        return
      }
      // Split: the leaf's points (all at (qx, qy)) move to their quadrant, then p goes on down.
      let parent = cells[node]
      let first = cells.count
      let quarter = parent.halfWidth / 2
      for k in 0..<4 {
        cells.append(Cell(centerX: parent.centerX + (k & 1 != 0 ? quarter : -quarter),
                          centerY: parent.centerY + (k & 2 != 0 ? quarter : -quarter), halfWidth: quarter))
      }
      cells[node].firstChild = Int32(first)
      cells[node].firstPoint = -1
      let moved = first + quadrant(of: node, x: qx, y: qy)
      let movedCount = parent.count - 1
      cells[moved].firstPoint = q
      cells[moved].count = movedCount
      cells[moved].massX = Double(movedCount) * qx
      cells[moved].massY = Double(movedCount) * qy
      node = first + quadrant(of: node, x: x, y: y)
      depth += 1
    }
  }

  @inline(__always)
  private func quadrant(of node: Int, x: Double, y: Double) -> Int {
    (x >= cells[node].centerX ? 1 : 0) | (y >= cells[node].centerY ? 2 : 0)
  }

  /// The repulsion on point `i` at `(x, y)`, `Σ_{j≠i} w_ij² (y_i − y_j)` with
  /// `w_ij = 1 / (1 + ‖y_i − y_j‖²)`, and its share of the normalization `Σ_{j≠i} w_ij`.
  ///
  /// A cell of side `s` whose centre of mass lies at distance `r` with `s / r < θ` counts as
  /// its `N` points at the centre of mass (`N w`, `N w² Δ`); leaves count point by point. With
  /// `θ = 0` the sum is exact. `stack` must hold `4 · maximumDepth + 4` entries.
  @inline(__always)
  func repulsion(on i: Int, x: Double, y: Double, thetaSquared: Double, positions: UnsafePointer<Double>,
                 stack: UnsafeMutablePointer<Int32>) -> (forceX: Double, forceY: Double, z: Double) {
    var (forceX, forceY, z) = (0.0, 0.0, 0.0)
    cells.withUnsafeBufferPointer { cells in
      nextPoint.withUnsafeBufferPointer { next in
        var top = 1
        stack[0] = 0
        while top > 0 {
          top -= 1
          let cell = cells[Int(stack[top])]
          if cell.firstChild < 0 {
            var j = cell.firstPoint
            while j >= 0 {
              if Int(j) != i {
                let dx = x - positions[2 * Int(j)], dy = y - positions[2 * Int(j) + 1]
                let w = 1 / (1 + dx * dx + dy * dy)
                z += w
                forceX += w * w * dx
                forceY += w * w * dy
              }
              j = next[Int(j)]
            }
            continue
          }
          let dx = x - cell.massX, dy = y - cell.massY
          let distanceSquared = dx * dx + dy * dy
          let side = 2 * cell.halfWidth
          if side * side < thetaSquared * distanceSquared {
            let w = 1 / (1 + distanceSquared)
            let n = Double(cell.count)
            z += n * w
            forceX += n * w * w * dx
            forceY += n * w * w * dy
          } else {
            let first = Int(cell.firstChild)
            for k in 0..<4 where cells[first + k].count > 0 {
              stack[top] = Int32(first + k)
              top += 1
            }
          }
        }
      }
    }
    return (forceX, forceY, z)
  }
}
