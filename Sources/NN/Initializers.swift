import TensorCore

/// Weight initializers, as in Keras.
public enum Initializer {
  /// Glorot (Xavier) uniform: `U(-limit, limit)` with `limit = √(6 / (fanIn + fanOut))`, Keras's
  /// default for `Dense` and `Conv2D` kernels (Glorot and Bengio, 2010).
  public static func glorotUniform(shape: [Int], fanIn: Int, fanOut: Int,
                                   using generator: inout some RandomNumberGenerator) -> Tensor {
    let limit = (6 / Float(fanIn + fanOut)).squareRoot()
    return Tensor.randomUniform(shape: shape, in: -limit..<limit, using: &generator)
  }
}

extension Initializer {
  /// A `rows`×`columns` matrix whose shorter side is orthonormal (Keras's `Orthogonal`, the
  /// default for recurrent kernels): standard normal draws, orthonormalized by Gram–Schmidt in
  /// double precision along the shorter side (the same distribution as Keras's QR of a Gaussian
  /// matrix).
  public static func orthogonal(rows: Int, columns: Int, using generator: inout some RandomNumberGenerator) -> Tensor {
    let draws = Tensor.randomNormal(shape: [rows, columns], using: &generator).scalars.map(Double.init)
    // Vectors along the shorter side: rows when there are fewer rows, else columns.
    let byRows = rows <= columns, count = min(rows, columns), length = max(rows, columns)
    var vectors = (0..<count).map { v in (0..<length).map { byRows ? draws[v * columns + $0] : draws[$0 * columns + v] } }
    for v in 0..<count {
      for u in 0..<v {
        let projection = zip(vectors[v], vectors[u]).reduce(0) { $0 + $1.0 * $1.1 }
        for k in 0..<length { vectors[v][k] -= projection * vectors[u][k] }
      }
      let norm = vectors[v].reduce(0) { $0 + $1 * $1 }.squareRoot()
      for k in 0..<length { vectors[v][k] /= max(norm, 1e-12) }
    }
    return Tensor(shape: [rows, columns]) { out in
      for r in 0..<rows { for c in 0..<columns { out[r * columns + c] = Float(byRows ? vectors[r][c] : vectors[c][r]) } }
    }
  }
}
