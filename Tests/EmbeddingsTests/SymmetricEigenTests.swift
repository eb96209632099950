@testable import Embeddings
import TensorCore
import Testing

/// A random symmetric `n` × `n` matrix.
private func randomSymmetric(_ n: Int, seed: UInt64) -> [Double] {
  let draws = Tensor.randomNormal(rows: n, columns: n, seed: seed, firstRow: 0).scalars
  var a = [Double](repeating: 0, count: n * n)
  for i in 0..<n { for j in 0..<n { a[i * n + j] = Double(draws[i * n + j] + draws[j * n + i]) } }
  return a
}

/// The largest `|A v − λ v|` over the decomposition's pairs.
private func largestResidual(_ a: [Double], _ eigen: SymmetricEigen) -> Double {
  let n = eigen.size
  var worst = 0.0
  for k in 0..<n {
    for i in 0..<n {
      var av = 0.0
      for j in 0..<n { av += a[i * n + j] * eigen.vectors[k * n + j] }
      worst = max(worst, abs(av - eigen.values[k] * eigen.vectors[k * n + i]))
    }
  }
  return worst
}

@Test func lapackDecomposesASymmetricMatrix() throws {
  let a = randomSymmetric(12, seed: 1)
  let eigen = try #require(SymmetricEigen.lapack(a, size: 12), "OpenBLAS exports dsyevd_")
  #expect(largestResidual(a, eigen) < 1e-10)
  #expect(zip(eigen.values, eigen.values.dropFirst()).allSatisfy { $0 >= $1 })
}

@Test func jacobiAgreesWithLapack() throws {
  let a = randomSymmetric(9, seed: 2)
  let jacobi = SymmetricEigen.jacobi(a, size: 9)
  let lapack = try #require(SymmetricEigen.lapack(a, size: 9))
  #expect(largestResidual(a, jacobi) < 1e-10)
  for k in 0..<9 {
    #expect(abs(jacobi.values[k] - lapack.values[k]) < 1e-10)
    let alignment = (0..<9).reduce(0.0) { $0 + jacobi.vectors[k * 9 + $1] * lapack.vectors[k * 9 + $1] }
    #expect(abs(abs(alignment) - 1) < 1e-9, "eigenvector \(k) is the same up to sign")
  }
}

@Test func jacobiSolvesATwoByTwoByHand() {
  // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1)/√2 and (1, −1)/√2.
  let eigen = SymmetricEigen.jacobi([2, 1, 1, 2], size: 2)
  #expect(abs(eigen.values[0] - 3) < 1e-14 && abs(eigen.values[1] - 1) < 1e-14)
  #expect(abs(abs(eigen.vectors[0] + eigen.vectors[1]) - 2.0.squareRoot()) < 1e-14)
  #expect(abs(abs(eigen.vectors[2] - eigen.vectors[3]) - 2.0.squareRoot()) < 1e-14)
}
