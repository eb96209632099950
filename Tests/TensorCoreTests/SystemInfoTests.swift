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

  @Test func selectingALevelAboveTheCPUsGivesTheCPUs() {
    let original = SIMDLevel.current
    defer { SIMDLevel.select(original) }
    #expect(SIMDLevel.select(.avx512) == SIMDLevel.supported)
    #expect(SIMDLevel.select(.baseline) == .baseline)
  }
}
