import CKernels
import Foundation
import Testing

@Suite struct CPUTests {
  @Test func featureLevelsAreNested() {
    // AVX-512 implies AVX2+FMA implies AVX; the level reported matches the flags.
    if aek_cpu_has_avx512() == 1 { #expect(aek_cpu_has_avx2_fma() == 1) }
    if aek_cpu_has_avx2_fma() == 1 { #expect(aek_cpu_has_avx() == 1) }
    let level = aek_cpu_simd_level()
    #expect((level == AEK_SIMD_AVX512) == (aek_cpu_has_avx512() == 1))
    #expect(String(cString: aek_simd_level_name(level)) == ["baseline", "avx2", "avx512"][Int(level.rawValue)])
  }

  @Test func brandStringHasNoPadding() {
    let brand = String(cString: aek_cpu_brand())
    #expect(brand == brand.trimmingCharacters(in: .whitespaces))
    #if arch(x86_64)
    #expect(!brand.isEmpty)
    #endif
  }
}
