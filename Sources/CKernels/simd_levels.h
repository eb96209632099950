// Compiles the body named by AEK_LEVEL_BODY (a header, quoted) once per SIMD level: baseline
// x86-64, AVX2+FMA and AVX-512, each function K(name) as k_name_baseline, k_name_avx2 and
// k_name_avx512. A plain `swift build -c release` targets baseline x86-64 (SSE2); the `target`
// attributes let the same C code use AVX2+FMA or AVX-512 where the CPU has them, while the binary
// still runs on any x86-64.
#define K(name) k_##name##_baseline
#include AEK_LEVEL_BODY
#undef K

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma,bmi2,f16c"))), apply_to = function)
#define K(name) k_##name##_avx2
#include AEK_LEVEL_BODY
#undef K
#pragma clang attribute pop

#pragma clang attribute push(                                                         \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi2,f16c"))), \
    apply_to = function)
#define K(name) k_##name##_avx512
#include AEK_LEVEL_BODY
#undef K
#pragma clang attribute pop
#endif
