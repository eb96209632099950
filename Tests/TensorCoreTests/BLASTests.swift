import CKernels
import TensorCore
import TestSupport
import Testing

@Suite struct BLASTests {
  @Test func coreChoiceNeverNeedsInstructionsTheCPULacks() throws {
    #if os(Linux) && arch(x86_64)
    if let core = aek_blas_core_for_cpu() {
      #expect(aek_blas_core_unsupported(core) == 0, "chose \(String(cString: core))")
    }
    #expect((aek_blas_core_unsupported("SkylakeX") == 0) == (aek_cpu_has_avx512() == 1))
    #expect((aek_blas_core_unsupported("Haswell") == 0) == (aek_cpu_has_avx2_fma() == 1))
    #expect(aek_blas_core_unsupported("Prescott") == 0)
    if aek_cpu_has_avx512() == 1 { #expect(String(cString: aek_blas_core_for_cpu()!) == "SkylakeX") }
    #endif
  }

  @Test func loadsAndReportsTheKernelFamilyItChose() throws {
    try BLAS.load()
    #expect(!BLAS.library.isEmpty)
    #if os(Linux) && arch(x86_64)
    #expect(BLAS.library.contains("openblas"))
    if let expected = aek_blas_core_for_cpu(), BLAS.coreSource == "selected from CPU features" {
      #expect(BLAS.core.lowercased() == String(cString: expected).lowercased())
    }
    #expect(BLAS.internalThreads == 1)  // products are split by TensorCore instead
    #expect(BLAS.splitsProducts)
    #endif
  }

  @Test func sgemmMatchesANaiveProductForEveryTransposeCombination() throws {
    try BLAS.load()
    let (m, n, k) = (5, 7, 3)
    let a = randomTensor([m, k], seed: 1), b = randomTensor([k, n], seed: 2)
    let av = a.scalars, bv = b.scalars
    var naive = [Float](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { for p in 0..<k { naive[i * n + j] += av[i * k + p] * bv[p * n + j] } } }
    let expected = Tensor(shape: [m, n], scalars: naive)
    expectClose(Tensor.matmul(a, b), expected)
    expectClose(Tensor.matmul(a.transposed(), b, transposeA: true), expected)
    expectClose(Tensor.matmul(a, b.transposed(), transposeB: true), expected)
    expectClose(Tensor.matmul(a.transposed(), b.transposed(), transposeA: true, transposeB: true), expected)
  }

  @Test(.serialized, arguments: [(300, 100, 200), (100, 300, 200), (257, 129, 64)])
  func productsSplitAcrossThreadsEqualOneThreadsForEveryTranspose(m: Int, n: Int, k: Int) throws {
    try BLAS.load()
    let a = randomTensor([m, k], seed: 3), b = randomTensor([k, n], seed: 4)
    let reference = Parallel.withThreads(1) { Tensor.matmul(a, b) }
    Parallel.withThreads(2) {
      let at = a.transposed(), bt = b.transposed()
      expectClose(Tensor.matmul(a, b), reference, rtol: 1e-5, atol: 1e-5)
      expectClose(Tensor.matmul(at, b, transposeA: true), reference, rtol: 1e-5, atol: 1e-5)
      expectClose(Tensor.matmul(a, bt, transposeB: true), reference, rtol: 1e-5, atol: 1e-5)
      expectClose(Tensor.matmul(at, bt, transposeA: true, transposeB: true), reference, rtol: 1e-5, atol: 1e-5)
      var accumulated = Tensor(shape: [m, n], repeating: 1)
      Tensor.matmul(a, b, accumulatingInto: &accumulated, beta: 1)
      expectClose(accumulated, reference + 1, rtol: 1e-5, atol: 1e-5)
    }
  }
}
