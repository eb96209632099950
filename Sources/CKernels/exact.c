// Exact kernels: the same bits on every machine, for what an encoder and a decoder must agree on.
//
// An entropy coder driven by a model's predictions decodes only if the decoder computes the very
// probabilities the encoder did. These kernels make that hold across SIMD levels, thread counts
// and processors: every value is a fixed sequence of IEEE-754 single-precision operations, each
// rounded on its own (no fused multiply-add: contraction is off in this file), every sum taken in
// one fixed order, and the exponential is a polynomial here rather than the C library's. The
// compiler may still vectorize across independent outputs (that changes no rounding), never
// across a sum. Each kernel is compiled for the baseline and for AVX2 (wider vectors, the same
// operations, no fused multiply-add: "avx2" alone, not "fma"), from exact_body.h.
#include "CKernels.h"

#include <stdlib.h>

#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

typedef float exact_v8 __attribute__((vector_size(32)));

#define K(name) exact_##name##_baseline
#define EXACT_VECTORS 1
#include "exact_body.h"
#undef EXACT_VECTORS
#undef K

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#define K(name) exact_##name##_avx2
#define EXACT_VECTORS 2
#include "exact_body.h"
#undef EXACT_VECTORS
#undef K
#pragma clang attribute pop
#define EXACT_DISPATCH(call, args)                 \
  if (aek_kernels_level() >= AEK_SIMD_AVX2) {      \
    exact_##call##_avx2 args;                      \
    return;                                        \
  }                                                \
  exact_##call##_baseline args
#else
#define EXACT_DISPATCH(call, args) exact_##call##_baseline args
#endif

// Each entry runs the copy for this thread's kernel level; every copy gives the same bits.
void aek_exact_affine(size_t rows, size_t inputs, size_t outputs, const float *x, size_t x_stride, const float *w,
                      const float *bias, float *y, size_t y_stride) {
  EXACT_DISPATCH(affine, (rows, inputs, outputs, x, x_stride, w, bias, y, y_stride));
}
float aek_exact_exp(float x) { return exact_exp1_baseline(x); }
float aek_exact_sigmoid(float x) { return exact_sigmoid1_baseline(x); }
float aek_exact_tanh(float x) { return exact_tanh1_baseline(x); }
void aek_exact_activate(int activation, size_t n, float *x) { EXACT_DISPATCH(activate, (activation, n, x)); }
void aek_exact_gru_step(size_t rows, size_t units, const float *a, const float *m, float *h) {
  EXACT_DISPATCH(gru_step, (rows, units, a, m, h));
}
void aek_exact_lstm_step(size_t rows, size_t units, const float *gates, float *c, float *h) {
  EXACT_DISPATCH(lstm_step, (rows, units, gates, c, h));
}
int aek_exact_frequencies(size_t symbols, const float *logits, uint32_t total, uint32_t *frequencies) {
  float stack[1024];
  float *e = symbols <= 1024 ? stack : malloc(symbols * sizeof(float));
  if (!e) return -1;
  int result;
  if (aek_kernels_level() >= AEK_SIMD_AVX2) {
#if defined(__x86_64__)
    result = exact_frequencies_avx2(symbols, logits, total, frequencies, e);
#else
    result = exact_frequencies_baseline(symbols, logits, total, frequencies, e);
#endif
  } else {
    result = exact_frequencies_baseline(symbols, logits, total, frequencies, e);
  }
  if (e != stack) free(e);
  return result;
}
