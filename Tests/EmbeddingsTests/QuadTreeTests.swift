@testable import Embeddings
import TensorCore
import Testing

/// 400 points in the plane, clustered, with a few exact duplicates.
private func planePoints() -> [Double] {
  var positions = Tensor.randomNormal(rows: 400, columns: 2, seed: 21, firstRow: 0).scalars.enumerated().map { index, value in
    Double(value) * (index % 4 == 0 ? 5 : 1) + (index % 6 < 2 ? 8 : 0)
  }
  for i in 0..<10 { positions[2 * (390 + i)] = positions[2 * i]; positions[2 * (390 + i) + 1] = positions[2 * i + 1] }
  return positions
}

/// The Barnes-Hut sums for every point, and the exact ones.
private func repulsions(_ positions: [Double], theta: Double) -> (tree: [Double], exact: [Double]) {
  let n = positions.count / 2
  var tree = QuadTree()
  var (approximate, exact) = ([Double](), [Double]())
  positions.withUnsafeBufferPointer { y in
    tree.rebuild(positions: y.baseAddress!, count: n)
    let stack = UnsafeMutablePointer<Int32>.allocate(capacity: QuadTree.stackCapacity)
    defer { stack.deallocate() }
    for i in 0..<n {
      let a = tree.repulsion(on: i, x: y[2 * i], y: y[2 * i + 1], thetaSquared: theta * theta, stack: stack)
      let e = TSNE.exactRepulsion(on: i, positions: y.baseAddress!, count: n)
      approximate += [a.forceX, a.forceY, a.z]
      exact += [e.forceX, e.forceY, e.z]
    }
  }
  return (approximate, exact)
}

@Test func treeCountsEveryPointOnceWithItsCentreOfMass() {
  let positions = planePoints()
  var tree = QuadTree()
  positions.withUnsafeBufferPointer { tree.rebuild(positions: $0.baseAddress!, count: 400) }
  #expect(tree.rootCount == 400)
  #expect(abs(tree.rootX - (0..<400).reduce(0.0) { $0 + positions[2 * $1] } / 400) < 1e-12)
  #expect(tree.order.sorted() == (0..<400).map { Int32($0) }, "the spatial order lists every point once")
  // Each group's lanes hold the counts and centres of mass of their children's lanes.
  for group in tree.groups {
    for k in 0..<4 where group.children[k] >= 0 {
      let child = tree.groups[Int(group.children[k])]
      #expect(child.count.sum() == group.count[k])
      #expect(abs((child.x * child.count).sum() / child.count.sum() - group.x[k]) < 1e-9)
    }
  }
  #expect(tree.groups[Int(tree.rootGroup)].count.sum() == 400)
  // Leaves (lanes with no children) hold 400 points in all, the duplicates sharing a leaf.
  let leaves = tree.groups.flatMap { group in (0..<4).filter { group.children[$0] < 0 && group.count[$0] > 0 }.map { group.count[$0] } }
  #expect(leaves.reduce(0, +) == 400 && leaves.count == 390)
}

@Test func treeOfOnePositionIsALeaf() {
  let positions = [Double](repeating: 3, count: 10)
  var tree = QuadTree()
  positions.withUnsafeBufferPointer { tree.rebuild(positions: $0.baseAddress!, count: 5) }
  let stack = UnsafeMutablePointer<Int32>.allocate(capacity: QuadTree.stackCapacity)
  defer { stack.deallocate() }
  let sums = tree.repulsion(on: 0, x: 3, y: 3, thetaSquared: 0.25, stack: stack)
  #expect(tree.rootGroup == -1 && sums.z == 4 && sums.forceX == 0)
  var zs = [Double]()
  positions.withUnsafeBufferPointer { y in
    tree.order.withUnsafeBufferPointer { order in
      tree.forEachRepulsion(of: order, positions: y.baseAddress!, thetaSquared: 0.25) { _, sums in zs.append(sums.z) }
    }
  }
  #expect(zs == [4, 4, 4, 4, 4])
}

@Test func interleavedWalksGiveEachPointItsOwnSums() {
  let positions = planePoints()
  var tree = QuadTree()
  positions.withUnsafeBufferPointer { tree.rebuild(positions: $0.baseAddress!, count: 400) }
  let stack = UnsafeMutablePointer<Int32>.allocate(capacity: QuadTree.stackCapacity)
  defer { stack.deallocate() }
  var seen = [Int](repeating: 0, count: 400)
  positions.withUnsafeBufferPointer { y in
    let odd = Array(tree.order.prefix(399))  // an odd count: the last walk runs alone
    odd.withUnsafeBufferPointer { points in
      tree.forEachRepulsion(of: points, positions: y.baseAddress!, thetaSquared: 0.25) { i, sums in
        let single = tree.repulsion(on: i, x: y[2 * i], y: y[2 * i + 1], thetaSquared: 0.25, stack: stack)
        #expect(sums.forceX == single.forceX && sums.forceY == single.forceY && sums.z == single.z)
        seen[i] += 1
      }
    }
  }
  #expect(seen.reduce(0, +) == 399 && seen.allSatisfy { $0 <= 1 })
}

@Test func barnesHutAtThetaZeroIsTheExactSum() {
  let (tree, exact) = repulsions(planePoints(), theta: 0)
  for i in tree.indices { #expect(abs(tree[i] - exact[i]) <= 1e-12 * max(abs(exact[i]), 1e-3), "value \(i)") }
}

@Test func barnesHutAtThetaOneHalfIsClose() {
  let (tree, exact) = repulsions(planePoints(), theta: 0.5)
  var (forceError, forceNorm, zError, zWorst, zNorm) = (0.0, 0.0, 0.0, 0.0, 0.0)
  for i in 0..<400 {
    for c in 0..<2 {
      forceError += (tree[3 * i + c] - exact[3 * i + c]) * (tree[3 * i + c] - exact[3 * i + c])
      forceNorm += exact[3 * i + c] * exact[3 * i + c]
    }
    zError += abs(tree[3 * i + 2] - exact[3 * i + 2])
    zWorst = max(zWorst, abs(tree[3 * i + 2] - exact[3 * i + 2]) / exact[3 * i + 2])
    zNorm += exact[3 * i + 2]
  }
  #expect((forceError / forceNorm).squareRoot() < 0.02, "relative force error")
  #expect(zError / zNorm < 0.005, "relative error of Z")
  #expect(zWorst < 0.05, "worst relative error of a point's Z")
}
