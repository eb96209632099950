import CKernels
import TensorCore

// Squared Euclidean distances in blocks, ‖a‖² + ‖b‖² − 2 a·b with the products through BLAS, and
// the k nearest neighbours found from them: the one distance computation that t-SNE's
// affinities, trustworthiness and nearest-neighbour accuracy share.
//
// Points are centred on the reference points' mean first: distances do not change, and the norms
// stay small, so less is lost to the cancellation in ‖a‖² + ‖b‖² − 2 a·b.

/// Loads BLAS (as a matrix product does), stopping with its reason where it cannot be loaded.
func ensureBLAS() {
  do { try BLAS.load() } catch { fatalError("BLAS: \(error)") }
}

/// Runs `body` on `0..<count` split into contiguous ranges, one per thread (fewer where a range
/// would hold fewer than `minimumPerPart` items), concurrently. The split depends only on `count`,
/// `minimumPerPart` and `Parallel.threads`; inside `body` work runs single-threaded.
func forEachRange(_ count: Int, minimumPerPart: Int = 1, _ body: (Range<Int>) -> Void) {
  let parts = max(1, min(Parallel.threads, count / max(1, minimumPerPart)))
  if parts == 1 { return body(0..<count) }
  Parallel.forEachShard(parts) { part in body(count * part / parts..<count * (part + 1) / parts) }
}

/// `out[i] = ‖x_i‖²` for the `rows` rows of `columns` floats at `x`.
func squaredNorms(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
  for row in 0..<rows {
    var sum: Float = 0
    let base = x + row * columns
    for column in 0..<columns { sum += base[column] * base[column] }
    out[row] = sum
  }
}

/// `out[r · stride + c] = max(0, ‖a_r‖² + ‖b_c‖² − 2 a_r·b_c)`: the squared distances from the `m`
/// rows at `a` to the `n` rows at `b` (rows of `columns` floats), the products by one `sgemm`.
func squaredDistances(from a: UnsafePointer<Float>, norms aNorms: UnsafePointer<Float>, count m: Int,
                      to b: UnsafePointer<Float>, norms bNorms: UnsafePointer<Float>, count n: Int,
                      columns: Int, into out: UnsafeMutablePointer<Float>, stride: Int) {
  guard m > 0, n > 0 else { return }
  if columns > 0 {
    aek_sgemm(0, 1, Int32(m), Int32(n), Int32(columns), -2, a, Int32(columns), b, Int32(columns), 0, out, Int32(stride))
  }
  for r in 0..<m {
    let row = out + r * stride
    let aNorm = aNorms[r]
    for c in 0..<n {
      let value = columns > 0 ? row[c] + aNorm + bNorms[c] : 0
      row[c] = value > 0 ? value : 0
    }
  }
}

/// Query and reference points centred on the references' mean, with their squared norms.
struct DistanceOperands {
  let queries: [Float]
  let queryNorms: [Float]
  let references: [Float]
  let referenceNorms: [Float]
  let columns: Int

  /// The operands for distances from `queries` to `references` (nil: the queries themselves).
  init(queries: PointSet, references: PointSet?) {
    let references = references ?? queries
    precondition(queries.columns == references.columns,
                 "points of \(queries.columns) and \(references.columns) coordinates")
    let mean = references.mean()
    let centredReferences = references.subtracting(mean).values
    let centredQueries = queries.subtracting(mean).values
    columns = queries.columns
    self.references = centredReferences
    self.queries = centredQueries
    func norms(_ values: [Float], rows: Int) -> [Float] {
      [Float](unsafeUninitializedCapacity: rows) { out, count in
        values.withUnsafeBufferPointer { squaredNorms($0.baseAddress!, rows: rows, columns: queries.columns, into: out.baseAddress!) }
        count = rows
      }
    }
    referenceNorms = norms(centredReferences, rows: references.rows)
    queryNorms = norms(centredQueries, rows: queries.rows)
  }

  var queryCount: Int { queryNorms.count }
  var referenceCount: Int { referenceNorms.count }
}

/// Rows of query points handled together: their distances to a tile of references fit in cache.
let queryBlockRows = 64
/// References per tile of a distance block.
let referenceTileColumns = 2048

/// Calls `body(rows, distances)` for consecutive blocks of query rows, concurrently, where
/// `distances` holds the squared distances of those rows to every reference (`rows.count` rows of
/// `referenceCount`). Blocks have a fixed size, so each distance is computed by the same product
/// whatever the thread count; each thread takes a contiguous run of blocks.
func forEachDistanceBlock(_ operands: DistanceOperands, _ body: (Range<Int>, UnsafeBufferPointer<Float>) -> Void) {
  ensureBLAS()
  let (m, n, columns) = (operands.queryCount, operands.referenceCount, operands.columns)
  let blocks = (m + queryBlockRows - 1) / queryBlockRows
  operands.queries.withUnsafeBufferPointer { q in
    operands.queryNorms.withUnsafeBufferPointer { qn in
      operands.references.withUnsafeBufferPointer { r in
        operands.referenceNorms.withUnsafeBufferPointer { rn in
          forEachRange(blocks) { blockRange in
            let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: queryBlockRows * n)
            defer { scratch.deallocate() }
            for block in blockRange {
              let rows = block * queryBlockRows..<min(m, (block + 1) * queryBlockRows)
              squaredDistances(from: q.baseAddress! + rows.lowerBound * columns, norms: qn.baseAddress! + rows.lowerBound,
                               count: rows.count, to: r.baseAddress!, norms: rn.baseAddress!, count: n,
                               columns: columns, into: scratch.baseAddress!, stride: n)
              body(rows, UnsafeBufferPointer(rebasing: scratch[0..<rows.count * n]))
            }
          }
        }
      }
    }
  }
}

/// The `k` nearest references of each query: row `i` of `indices` and `squaredDistances` (`k`
/// each) lists them nearest first, equal distances in index order.
struct NeighborTable {
  let k: Int
  var indices: [Int32]
  var squaredDistances: [Float]
}

/// The exact `k` nearest `references` of each of `queries` (Euclidean), from BLAS distance blocks
/// tiled over the references; each row keeps a sorted list of `k` and no row is sorted whole.
/// With `references` nil the queries are their own references and no point is its own neighbour.
func nearestNeighbors(of queries: PointSet, among references: PointSet?, k: Int) -> NeighborTable {
  let excludeSelf = references == nil
  let operands = DistanceOperands(queries: queries, references: references)
  let (m, n, columns) = (operands.queryCount, operands.referenceCount, operands.columns)
  precondition(k >= 0 && k <= n - (excludeSelf ? 1 : 0), "\(k) neighbours among \(n) points")
  ensureBLAS()
  var indices = [Int32](repeating: -1, count: m * k)
  var distances = [Float](repeating: .infinity, count: m * k)
  guard k > 0, m > 0 else { return NeighborTable(k: k, indices: indices, squaredDistances: distances) }
  let blocks = (m + queryBlockRows - 1) / queryBlockRows
  indices.withUnsafeMutableBufferPointer { indexOut in
    distances.withUnsafeMutableBufferPointer { distanceOut in
      operands.queries.withUnsafeBufferPointer { q in
        operands.queryNorms.withUnsafeBufferPointer { qn in
          operands.references.withUnsafeBufferPointer { r in
            operands.referenceNorms.withUnsafeBufferPointer { rn in
              let (indexBase, distanceBase) = (indexOut.baseAddress!, distanceOut.baseAddress!)
              forEachRange(blocks) { blockRange in
                let tile = UnsafeMutablePointer<Float>.allocate(capacity: queryBlockRows * referenceTileColumns)
                defer { tile.deallocate() }
                var filled = [Int](repeating: 0, count: queryBlockRows)
                for block in blockRange {
                  let rows = block * queryBlockRows..<min(m, (block + 1) * queryBlockRows)
                  for i in filled.indices { filled[i] = 0 }
                  for tileStart in stride(from: 0, to: n, by: referenceTileColumns) {
                    let width = min(referenceTileColumns, n - tileStart)
                    squaredDistances(from: q.baseAddress! + rows.lowerBound * columns, norms: qn.baseAddress! + rows.lowerBound,
                                     count: rows.count, to: r.baseAddress! + tileStart * columns, norms: rn.baseAddress! + tileStart,
                                     count: width, columns: columns, into: tile, stride: width)
                    for (offset, row) in rows.enumerated() {
                      var list = NeighborList(indices: indexBase + row * k, distances: distanceBase + row * k, k: k, filled: filled[offset])
                      let distancesRow = tile + offset * width
                      for c in 0..<width where !(excludeSelf && tileStart + c == row) {
                        list.insert(Int32(tileStart + c), distance: distancesRow[c])
                      }
                      filled[offset] = list.filled
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return NeighborTable(k: k, indices: indices, squaredDistances: distances)
}

/// A row's `k` nearest so far, sorted by distance, in caller-owned storage: an insertion list,
/// cheap because after the first few hundred candidates almost none is nearer than the `k`-th.
struct NeighborList {
  let indices: UnsafeMutablePointer<Int32>
  let distances: UnsafeMutablePointer<Float>
  let k: Int
  var filled: Int

  /// Adds `index` at `distance` if it is nearer than the `k`-th so far (an equal distance keeps
  /// the earlier candidate ahead: offered in index order, ties go to the smaller index).
  @inline(__always)
  mutating func insert(_ index: Int32, distance: Float) {
    var position: Int
    if filled < k {
      position = filled
      filled += 1
    } else {
      guard distance < distances[k - 1] else { return }
      position = k - 1
    }
    while position > 0 && distances[position - 1] > distance {
      distances[position] = distances[position - 1]
      indices[position] = indices[position - 1]
      position -= 1
    }
    distances[position] = distance
    indices[position] = index
  }
}
