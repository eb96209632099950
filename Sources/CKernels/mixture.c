// The bits of a rate-trained codec's code under its factorized density (NN/FactorizedDensity.swift
// says what it is): per value, a mixture of K logistics' mass on the unit interval around it, in
// double precision. mixture_body.h is compiled once per SIMD level (simd_levels.h), and the level
// this thread's kernels use is called.
#include "CKernels.h"

#include <math.h>

// The body's helpers pass four- and eight-double vectors by value; each is static and called only from its
// own SIMD level's functions, so the baseline level's different vector ABI is never crossed.
#pragma clang diagnostic ignored "-Wpsabi"

#define AEK_LEVEL_BODY "mixture_body.h"
#include "simd_levels.h"

#if defined(__x86_64__)
#define LEVELS(call)                                               \
  switch (aek_kernels_level()) {                                   \
    case AEK_SIMD_AVX512: return k_##call##_avx512;                \
    case AEK_SIMD_AVX2: return k_##call##_avx2;                    \
    default: return k_##call##_baseline;                           \
  }
#else
#define LEVELS(call) return k_##call##_baseline;
#endif

typedef double (*bits_kernel)(size_t, size_t, size_t, const float *, const double *, const double *, const double *, double);
typedef double (*bits_backward_kernel)(size_t, size_t, size_t, const float *, const double *, const double *, const double *,
                                       double, double, float *, double *, double *, double *);

static bits_kernel bits_at_level(void) { LEVELS(mixture_bits) }
static bits_backward_kernel bits_backward_at_level(void) { LEVELS(mixture_bits_backward) }

double aek_mixture_bits(size_t n, size_t channels, size_t k, const float *values, const double *weights, const double *means,
                        const double *scales, double smallest) {
  return bits_at_level()(n, channels, k, values, weights, means, scales, smallest);
}

double aek_mixture_bits_backward(size_t n, size_t channels, size_t k, const float *values, const double *weights, const double *means,
                                 const double *scales, double smallest, double g, float *code_gradient, double *logit_gradient,
                                 double *mean_gradient, double *scale_gradient) {
  return bits_backward_at_level()(n, channels, k, values, weights, means, scales, smallest, g, code_gradient, logit_gradient, mean_gradient,
                           scale_gradient);
}
