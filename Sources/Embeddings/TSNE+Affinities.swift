import Foundation

/// t-SNE's input affinities, a sparse symmetric matrix in compressed rows (CSR): row `i` holds
/// `values[rowStart[i] ..< rowStart[i + 1]]` at columns `columns[…]`, and all values sum to 1.
struct Affinities: Sendable {
  let rowStart: [Int]
  let columns: [Int32]
  let values: [Double]

  /// The number of points (rows).
  var count: Int { rowStart.count - 1 }

  init(rowStart: [Int], columns: [Int32], values: [Double]) {
    self.rowStart = rowStart
    self.columns = columns
    self.values = values
  }

  /// The non-zero entries of the dense `size` × `size` matrix `dense`, row-major.
  init(dense: [Double], size: Int) {
    var rowStart = [0], columns = [Int32](), values = [Double]()
    for i in 0..<size {
      for j in 0..<size where dense[i * size + j] != 0 {
        columns.append(Int32(j))
        values.append(dense[i * size + j])
      }
      rowStart.append(columns.count)
    }
    self.init(rowStart: rowStart, columns: columns, values: values)
  }

  /// `P = (P_c + P_cᵀ) / 2n` from the conditional affinities `P_c` of `n` points, each row
  /// `p_{j|i}` (summing to 1) at its `k` neighbours: `neighbors` and `conditional` are `n` × `k`.
  /// An entry present in both `P_c` and `P_cᵀ` is added once in the row.
  init(symmetrizing conditional: [Double], neighbors: [Int32], k: Int) {
    let n = k > 0 ? neighbors.count / k : 0
    // P_cᵀ by a counting sort over the columns: for column j, the rows i having j as a neighbour.
    var transposedStart = [Int](repeating: 0, count: n + 1)
    for j in neighbors { transposedStart[Int(j) + 1] += 1 }
    for j in 0..<n { transposedStart[j + 1] += transposedStart[j] }
    var fill = transposedStart
    var transposedRows = [Int32](repeating: 0, count: neighbors.count)
    var transposedValues = [Double](repeating: 0, count: neighbors.count)
    for i in 0..<n {
      for slot in i * k..<(i + 1) * k {
        let j = Int(neighbors[slot])
        transposedRows[fill[j]] = Int32(i)
        transposedValues[fill[j]] = conditional[slot]
        fill[j] += 1
      }
    }
    // Row i: its own neighbours, then the rows that have i as a neighbour but are not among them.
    let scale = 1 / (2 * Double(max(n, 1)))
    var rowStart = [Int](repeating: 0, count: n + 1)
    var columns = [Int32](), values = [Double]()
    columns.reserveCapacity(2 * neighbors.count)
    values.reserveCapacity(2 * neighbors.count)
    var position = [Int](repeating: -1, count: n)  // where column j sits in the current row
    for i in 0..<n {
      let start = columns.count
      for slot in i * k..<(i + 1) * k {
        position[Int(neighbors[slot])] = columns.count
        columns.append(neighbors[slot])
        values.append(conditional[slot] * scale)
      }
      for t in transposedStart[i]..<transposedStart[i + 1] {
        let j = Int(transposedRows[t])
        if position[j] >= 0 {
          values[position[j]] += transposedValues[t] * scale
        } else {
          columns.append(Int32(j))
          values.append(transposedValues[t] * scale)
        }
      }
      for entry in start..<columns.count { position[Int(columns[entry])] = -1 }
      rowStart[i + 1] = columns.count
    }
    self.init(rowStart: rowStart, columns: columns, values: values)
  }
}

extension TSNE {
  /// The largest number of bisection steps a point's precision search takes.
  static let calibrationSteps = 200
  /// The entropy error, in nats, at which a point's precision search stops.
  static let calibrationTolerance = 1e-5

  /// The affinities of `points`: each point's exact `k = min(n − 1, ⌊3·perplexity⌋ + 1)` nearest
  /// neighbours (scikit-learn's count), the conditional affinities over them calibrated to
  /// `perplexity`, symmetrized.
  static func affinities(of points: PointSet, perplexity: Double) -> Affinities {
    let k = min(points.rows - 1, Int(3 * perplexity) + 1)
    let table = nearestNeighbors(of: points, among: nil, k: k)
    let conditional = conditionalAffinities(squaredDistances: table.squaredDistances, k: k, perplexity: perplexity)
    return Affinities(symmetrizing: conditional, neighbors: table.indices, k: k)
  }

  /// The conditional affinities `p_{j|i} = exp(−β_i d_ij²) / Σ_l exp(−β_i d_il²)` over each row of
  /// `k` squared distances, with each point's precision `β_i` found by bisection so that the
  /// row's entropy `H_i = −Σ_j p_{j|i} log p_{j|i}` is `log(perplexity)` (natural logarithms).
  static func conditionalAffinities(squaredDistances: [Float], k: Int, perplexity: Double) -> [Double] {
    let n = k > 0 ? squaredDistances.count / k : 0
    var out = [Double](repeating: 0, count: n * k)
    squaredDistances.withUnsafeBufferPointer { d in
      out.withUnsafeMutableBufferPointer { o in
        let (dBase, oBase) = (d.baseAddress!, o.baseAddress!)
        forEachRange(n, minimumPerPart: 256) { rows in
          for i in rows { calibrate(dBase + i * k, count: k, perplexity: perplexity, into: oBase + i * k) }
        }
      }
    }
    return out
  }

  /// Writes one row's `p_{j|i}` for the `count` squared distances at `distances`, its precision
  /// found by scikit-learn's bisection (doubling or halving `β` until bracketed). Distances are
  /// taken relative to the row's smallest, which changes neither `p` nor the entropy
  /// `H = log Σ_j e^{−β d_j} + β Σ_j d_j p_j` but keeps the exponentials from underflowing.
  static func calibrate(_ distances: UnsafePointer<Float>, count: Int, perplexity: Double,
                        into p: UnsafeMutablePointer<Double>) {
    guard count > 0 else { return }
    var nearest = Double(distances[0])
    for j in 0..<count { nearest = min(nearest, Double(distances[j])) }
    let target = log(perplexity)
    var (beta, low, high) = (1.0, -Double.infinity, Double.infinity)
    for _ in 0..<calibrationSteps {
      var sum = 0.0, weighted = 0.0
      for j in 0..<count {
        let d = Double(distances[j]) - nearest
        let value = exp(-beta * d)
        p[j] = value
        sum += value
        weighted += d * value
      }
      let entropy = log(sum) + beta * weighted / sum
      let scale = 1 / sum
      for j in 0..<count { p[j] *= scale }
      let error = entropy - target
      if abs(error) <= calibrationTolerance { return }
      if error > 0 {  // too flat: sharpen
        low = beta
        beta = high == .infinity ? beta * 2 : (beta + high) / 2
      } else {
        high = beta
        beta = low == -.infinity ? beta / 2 : (beta + low) / 2
      }
    }
  }
}
