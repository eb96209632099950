import Foundation
import TensorCore
import Testing

@Suite(.serialized) struct SystemInfoTests {
  @Test func reportsTheKernelLevelAndBLAS() {
    let info = SystemInfo.current()
    #expect(!info.blasLibrary.hasPrefix("not loaded"))
    #expect(["baseline", "avx2", "avx512"].contains(info.kernelSIMD))
    #expect(info.kernelSIMD == SIMDLevel.current.name)
    #expect(info.cpuSIMD == SIMDLevel.supported.name)
  }

  @Test func saysWhenTheEnvironmentHoldsBLASBelowTheCPUsFamily() {
    // Chosen from the CPU's features: nothing to say. Named by OPENBLAS_CORETYPE as another family
    // than the CPU's (as on AVX-512 machines whose environment sets Haswell): one line naming both.
    let info = SystemInfo.current()
    if info.blasCoreSource == "selected from CPU features" { #expect(info.blasCoreWithoutOverride == nil && info.blasOverrideAdvice == nil) }
    if let cpuFamily = BLAS.coreForCPU, !info.blasCore.isEmpty, cpuFamily.lowercased() != info.blasCore.lowercased() {
      #expect(info.blasCoreWithoutOverride == cpuFamily)
      let advice = info.blasOverrideAdvice ?? ""
      #expect(advice.contains("OPENBLAS_CORETYPE=\(info.blasCore)") && advice.contains("this CPU runs \(cpuFamily)"), "\(advice)")
    } else {
      #expect(info.blasOverrideAdvice == nil)
    }
  }

  @Test func aScopedLevelIsCappedAtTheCPUsAndReachesParallelChunks() {
    let outside = SIMDLevel.current
    SIMDLevel.withKernels(at: .avx512) { #expect(SIMDLevel.current == SIMDLevel.supported) }
    SIMDLevel.withKernels(at: .baseline) {
      #expect(SIMDLevel.current == .baseline)
      let seen = Parallel.withThreads(2) {
        let lock = NSLock()
        nonisolated(unsafe) var levels: Set<Int> = []
        Parallel.forEachChunk(4 * Parallel.minimumPerThread) { _ in
          lock.withLock { _ = levels.insert(SIMDLevel.current.rawValue) }
        }
        return levels
      }
      #expect(seen == [SIMDLevel.baseline.rawValue])
    }
    #expect(SIMDLevel.current == outside)
  }
}
