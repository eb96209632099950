// CPU feature detection: CPUID for what the processor has, XGETBV for what the OS saves on a
// context switch. An instruction set counts only when both hold.
#include "CKernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((uint64_t)edx << 32) | eax;
}

typedef struct {
  int avx, avx2_fma, avx512;
} cpu_features;

static cpu_features detect(void) {
  cpu_features f = {0, 0, 0};
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  int osxsave = (c >> 27) & 1, has_avx = (c >> 28) & 1, has_fma = (c >> 12) & 1;
  if (!osxsave) return f;
  uint64_t xcr0 = read_xcr0();
  int ymm_saved = (xcr0 & 0x6) == 0x6;     // SSE and AVX state
  int zmm_saved = (xcr0 & 0xe6) == 0xe6;   // plus opmask, ZMM_Hi256, Hi16_ZMM
  f.avx = has_avx && ymm_saved;
  if (__get_cpuid_max(0, 0) < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  int has_avx2 = (b >> 5) & 1;
  int avx512 = ((b >> 16) & 1) /*F*/ && ((b >> 17) & 1) /*DQ*/ && ((b >> 28) & 1) /*CD*/ &&
               ((b >> 30) & 1) /*BW*/ && ((b >> 31) & 1) /*VL*/;
  f.avx2_fma = f.avx && has_avx2 && has_fma;
  f.avx512 = f.avx2_fma && avx512 && zmm_saved;
  return f;
}

static cpu_features features(void) {
  static cpu_features cached;
  static int done = 0;
  if (!done) {  // idempotent: racing first calls compute the same value
    cached = detect();
    done = 1;
  }
  return cached;
}

int aek_cpu_has_avx(void) { return features().avx; }
int aek_cpu_has_avx2_fma(void) { return features().avx2_fma; }
int aek_cpu_has_avx512(void) { return features().avx512; }

const char *aek_cpu_brand(void) {
  static char brand[49];
  static int done = 0;
  if (!done) {
    unsigned regs[12] = {0};
    if (__get_cpuid_max(0x80000000, 0) >= 0x80000004) {
      for (unsigned i = 0; i < 3; i++)
        __get_cpuid(0x80000002 + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2],
                    &regs[4 * i + 3]);
    }
    memcpy(brand, regs, 48);
    brand[48] = 0;
    // Trim the padding some CPUs put around the name.
    char *start = brand;
    while (*start == ' ') start++;
    memmove(brand, start, strlen(start) + 1);
    for (size_t len = strlen(brand); len > 0 && brand[len - 1] == ' '; len--) brand[len - 1] = 0;
    done = 1;
  }
  return brand;
}

#else  // not x86

int aek_cpu_has_avx(void) { return 0; }
int aek_cpu_has_avx2_fma(void) { return 0; }
int aek_cpu_has_avx512(void) { return 0; }
const char *aek_cpu_brand(void) { return ""; }

#endif

aek_simd_level aek_cpu_simd_level(void) {
  if (aek_cpu_has_avx512()) return AEK_SIMD_AVX512;
  if (aek_cpu_has_avx2_fma()) return AEK_SIMD_AVX2;
  return AEK_SIMD_BASELINE;
}

const char *aek_simd_level_name(aek_simd_level level) {
  switch (level) {
    case AEK_SIMD_AVX512: return "avx512";
    case AEK_SIMD_AVX2: return "avx2";
    default: return "baseline";
  }
}
