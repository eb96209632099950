/// A quadtree over 2-D points for Barnes-Hut sums (Barnes and Hut 1986; van der Maaten 2014),
/// in flat arrays, rebuilt in place (its storage reused) for each new set of positions.
///
/// It is built top down: a cell's points, a contiguous run of `order`, are partitioned into its
/// four quadrants (a counting sort), and each quadrant with more than one position is split in
/// turn, depth first. So `order` ends up listing the points leaf by leaf, in space-filling order:
/// consecutive points are near each other and walk much the same cells.
///
/// The four children of a split cell sit side by side in SIMD lanes (`ChildGroup`), so that a
/// walk decides for all four at once, without a branch, which to count whole and which to open.
/// A leaf holds one position: points at exactly the same place share a leaf, as do points still
/// apart at `maximumDepth` (where the side is 2⁻⁴⁸ of the root's; such a leaf counts its points
/// at their centre of mass).
struct QuadTree {
  /// The four children of a split cell, one per lane: where their points' mass is (for a leaf of
  /// one position, exactly there), their squared side (0 for a leaf or an empty cell, which are
  /// never opened), their point count, and the group of their own children (-1 for none).
  struct ChildGroup {
    var x: SIMD4<Double>
    var y: SIMD4<Double>
    var sideSquared: SIMD4<Double>
    var count: SIMD4<Double>
    var children: SIMD4<Int32>
  }

  /// Point count and centre of mass of the whole set.
  private(set) var rootCount = 0
  private(set) var rootX = 0.0
  private(set) var rootY = 0.0
  /// The root's group of children, or -1 where the root is a leaf (one position, or no points).
  private(set) var rootGroup: Int32 = -1
  /// The child groups, in the order their cells were split.
  private(set) var groups: [ChildGroup] = []
  /// The points leaf by leaf, depth first (quadrants in lane order).
  private(set) var order: [Int32] = []
  private var scratch: [Int32] = []
  private var quadrants: [UInt8] = []
  /// A split's per-quadrant sums and extremes of x and y (24 values), reused by every split.
  private var statistics = [Double](repeating: 0, count: 24)

  /// The deepest level a cell is split at.
  static let maximumDepth = 48
  /// The entries a walk's stack needs (at most three siblings wait at each level).
  static let stackCapacity = 4 * maximumDepth + 4

  /// Rebuilds the tree over the `count` points `(positions[2i], positions[2i + 1])`.
  mutating func rebuild(positions: UnsafePointer<Double>, count: Int) {
    groups.removeAll(keepingCapacity: true)
    order.removeAll(keepingCapacity: true)
    order.append(contentsOf: (0..<count).lazy.map { Int32($0) })
    if scratch.count != count {
      scratch = [Int32](repeating: 0, count: count)
      quadrants = [UInt8](repeating: 0, count: count)
    }
    rootCount = count
    rootGroup = -1
    guard count > 0 else { return }
    var (minX, minY, maxX, maxY) = (Double.infinity, Double.infinity, -Double.infinity, -Double.infinity)
    var (sumX, sumY) = (0.0, 0.0)
    for i in 0..<count {
      let (x, y) = (positions[2 * i], positions[2 * i + 1])
      minX = min(minX, x); maxX = max(maxX, x)
      minY = min(minY, y); maxY = max(maxY, y)
      sumX += x; sumY += y
    }
    if minX == maxX && minY == maxY {  // one position
      (rootX, rootY) = (positions[0], positions[1])
      return
    }
    (rootX, rootY) = (sumX / Double(count), sumY / Double(count))
    let half = max(maxX - minX, maxY - minY) * (0.5 + 1e-9)
    rootGroup = split(0..<count, centerX: (minX + maxX) / 2, centerY: (minY + maxY) / 2, half: half, depth: 0, positions: positions)
  }

  /// Partitions the points `order[range]` of a cell into its quadrants, records the four children
  /// as a new group, splits each child holding more than one position, and returns the group.
  private mutating func split(_ range: Range<Int>, centerX: Double, centerY: Double, half: Double, depth: Int,
                              positions: UnsafePointer<Double>) -> Int32 {
    // Per quadrant: the count, centre of mass and whether its points are at one position.
    var counts = (0, 0, 0, 0)
    var (meanX, meanY, onePosition) = (SIMD4<Double>.zero, SIMD4<Double>.zero, SIMD4<Int>.zero)
    statistics.withUnsafeMutableBufferPointer { stats in
      for k in 0..<4 { (stats[k], stats[4 + k]) = (0, 0) }
      for k in 0..<4 { (stats[8 + k], stats[12 + k], stats[16 + k], stats[20 + k]) = (.infinity, -.infinity, .infinity, -.infinity) }
      order.withUnsafeMutableBufferPointer { order in
        scratch.withUnsafeMutableBufferPointer { scratch in
          quadrants.withUnsafeMutableBufferPointer { quadrants in
            withUnsafeMutableBytes(of: &counts) { countBytes in
              let count = countBytes.baseAddress!.assumingMemoryBound(to: Int.self)
              let (sumX, sumY, minX, maxX, minY, maxY) = (stats.baseAddress!, stats.baseAddress! + 4, stats.baseAddress! + 8,
                                                        stats.baseAddress! + 12, stats.baseAddress! + 16, stats.baseAddress! + 20)
              for slot in range {
                let point = Int(order[slot])
                let (x, y) = (positions[2 * point], positions[2 * point + 1])
                let k = (x >= centerX ? 1 : 0) | (y >= centerY ? 2 : 0)
                quadrants[slot] = UInt8(k)
                count[k] += 1
                sumX[k] += x; sumY[k] += y
                minX[k] = min(minX[k], x); maxX[k] = max(maxX[k], x)
                minY[k] = min(minY[k], y); maxY[k] = max(maxY[k], y)
              }
              var next = (range.lowerBound, range.lowerBound + count[0], range.lowerBound + count[0] + count[1],
                          range.lowerBound + count[0] + count[1] + count[2])
              withUnsafeMutableBytes(of: &next) { nextBytes in
                let next = nextBytes.baseAddress!.assumingMemoryBound(to: Int.self)
                for slot in range {
                  let k = Int(quadrants[slot])
                  scratch[next[k]] = order[slot]
                  next[k] += 1
                }
              }
              for slot in range { order[slot] = scratch[slot] }
              for k in 0..<4 where count[k] > 0 {
                meanX[k] = sumX[k] / Double(count[k])
                meanY[k] = sumY[k] / Double(count[k])
                onePosition[k] = minX[k] == maxX[k] && minY[k] == maxY[k] ? 1 : 0
              }
            }
          }
        }
      }
    }
    let countList = SIMD4(counts.0, counts.1, counts.2, counts.3)
    let group = Int32(groups.count)
    groups.append(ChildGroup(x: .zero, y: .zero, sideSquared: .zero, count: .zero, children: SIMD4(repeating: -1)))
    var start = range.lowerBound
    let quarter = half / 2
    for k in 0..<4 {
      let childCount = countList[k]
      let childRange = start..<start + childCount
      start += childCount
      guard childCount > 0 else { continue }
      var lane = (x: meanX[k], y: meanY[k], sideSquared: 0.0, child: Int32(-1))
      if onePosition[k] == 1 {
        let point = Int(order[childRange.lowerBound])
        (lane.x, lane.y) = (positions[2 * point], positions[2 * point + 1])
      } else if depth + 1 < QuadTree.maximumDepth {
        lane.sideSquared = 4 * quarter * quarter
        lane.child = split(childRange, centerX: centerX + (k & 1 != 0 ? quarter : -quarter),
                           centerY: centerY + (k & 2 != 0 ? quarter : -quarter), half: quarter, depth: depth + 1, positions: positions)
      }
      groups[Int(group)].x[k] = lane.x
      groups[Int(group)].y[k] = lane.y
      groups[Int(group)].count[k] = Double(childCount)
      groups[Int(group)].sideSquared[k] = lane.sideSquared
      groups[Int(group)].children[k] = lane.child
    }
    return group
  }

  /// The repulsion on point `i` at `(x, y)`, `Σ_{j≠i} w_ij² (y_i − y_j)` with
  /// `w_ij = 1 / (1 + ‖y_i − y_j‖²)`, and its share of the normalization `Σ_{j≠i} w_ij`.
  ///
  /// A cell of side `s` whose centre of mass lies at distance `r` with `s² ≤ θ² r²` counts as
  /// its `N` points at the centre of mass (`N w`, `N w² Δ`); a leaf always counts whole, less
  /// point `i` itself (the one leaf at distance 0 is `i`'s own). With `θ = 0` every split cell
  /// is opened and the sum is exact. `stack` must hold `stackCapacity` entries. Also returns the
  /// number of groups visited, a measure of the work.
  func repulsion(on i: Int, x: Double, y: Double, thetaSquared: Double,
                 stack: UnsafeMutablePointer<Int32>) -> (forceX: Double, forceY: Double, z: Double, interactions: Int) {
    if let single = repulsionFromOneLeaf(x: x, y: y) { return single }
    var walk = Walk(x: x, y: y, root: rootGroup, stack: stack)
    groups.withUnsafeBufferPointer { groups in
      let theta2 = SIMD4<Double>(repeating: thetaSquared)
      while walk.top > 0 { walk.step(groups.baseAddress!, theta2: theta2) }
    }
    return walk.result
  }

  /// `repulsion(on:…)` for each of `points` (x, y pairs at `positions`), passed to `body` with
  /// the point. Two walks run interleaved, so that the processor overlaps their loads: one
  /// walk alone waits on each group it loads before it knows which to load next.
  func forEachRepulsion(of points: UnsafeBufferPointer<Int32>, positions: UnsafePointer<Double>, thetaSquared: Double,
                        _ body: (Int, (forceX: Double, forceY: Double, z: Double, interactions: Int)) -> Void) {
    guard rootGroup >= 0 else {  // no walk: the root is one leaf
      for i in points.lazy.map({ Int($0) }) { body(i, repulsionFromOneLeaf(x: positions[2 * i], y: positions[2 * i + 1])!) }
      return
    }
    let stacks = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * QuadTree.stackCapacity)
    defer { stacks.deallocate() }
    let theta2 = SIMD4<Double>(repeating: thetaSquared)
    groups.withUnsafeBufferPointer { groupBuffer in
      let groups = groupBuffer.baseAddress!
      var next = 0
      while next < points.count {
        let i = Int(points[next])
        if next + 1 == points.count {
          var walk = Walk(x: positions[2 * i], y: positions[2 * i + 1], root: rootGroup, stack: stacks)
          while walk.top > 0 { walk.step(groups, theta2: theta2) }
          body(i, walk.result)
          break
        }
        let j = Int(points[next + 1])
        var first = Walk(x: positions[2 * i], y: positions[2 * i + 1], root: rootGroup, stack: stacks)
        var second = Walk(x: positions[2 * j], y: positions[2 * j + 1], root: rootGroup, stack: stacks + QuadTree.stackCapacity)
        while first.top > 0 && second.top > 0 {
          first.step(groups, theta2: theta2)
          second.step(groups, theta2: theta2)
        }
        while first.top > 0 { first.step(groups, theta2: theta2) }
        while second.top > 0 { second.step(groups, theta2: theta2) }
        body(i, first.result)
        body(j, second.result)
        next += 2
      }
    }
  }

  /// The sums where the root is one leaf (every point at one position, or none), else nil.
  private func repulsionFromOneLeaf(x: Double, y: Double) -> (forceX: Double, forceY: Double, z: Double, interactions: Int)? {
    guard rootCount == 0 || rootGroup < 0 else { return nil }
    if rootCount == 0 { return (0, 0, 0, 0) }
    let dx = x - rootX, dy = y - rootY
    let distanceSquared = dx * dx + dy * dy
    let w = 1 / (1 + distanceSquared)
    let n = Double(rootCount) - (distanceSquared == 0 ? 1 : 0)
    return (n * w * w * dx, n * w * w * dy, n * w, 1)
  }

  /// One point's walk down the tree: its position, its sums so far (a lane each), and the stack
  /// of groups still to visit.
  struct Walk {
    let px: SIMD4<Double>
    let py: SIMD4<Double>
    let stack: UnsafeMutablePointer<Int32>
    var top = 1
    var z = SIMD4<Double>.zero
    var forceX = SIMD4<Double>.zero
    var forceY = SIMD4<Double>.zero
    var visits = 0

    init(x: Double, y: Double, root: Int32, stack: UnsafeMutablePointer<Int32>) {
      (px, py, self.stack) = (SIMD4(repeating: x), SIMD4(repeating: y), stack)
      stack[0] = root
    }

    var result: (forceX: Double, forceY: Double, z: Double, interactions: Int) {
      (forceX.sum(), forceY.sum(), z.sum(), visits)
    }

    /// Visits the group on top of the stack: counts its lanes that are leaves, empty or far
    /// enough (`s² ≤ θ² r²`) whole, and pushes the others' groups.
    @inline(__always)
    mutating func step(_ groups: UnsafePointer<ChildGroup>, theta2: SIMD4<Double>) {
      top -= 1
      let group = groups[Int(stack[top])]
      visits += 1
      let dx = px - group.x, dy = py - group.y
      let distanceSquared = dx * dx + dy * dy
      let whole = group.sideSquared .<= theta2 * distanceSquared
      let w = 1 / (1 + distanceSquared)
      var n = group.count.replacing(with: group.count - 1, where: distanceSquared .== 0 .& group.count .> 0)
      n.replace(with: 0, where: .!whole)
      let nw = n * w
      z += nw
      forceX += nw * w * dx
      forceY += nw * w * dy
      // Push the groups to open without branching: each lane's is written, and the top moves
      // past it only where the lane is opened.
      for k in 0..<4 {
        stack[top] = group.children[k]
        top += whole[k] ? 0 : 1
      }
    }
  }
}
