// Exact kernels: the same bits on every machine, for what an encoder and a decoder must agree on.
//
// An entropy coder driven by a model's predictions decodes only if the decoder computes the very
// probabilities the encoder did. These kernels make that hold across SIMD levels, thread counts
// and processors: every value is a fixed sequence of IEEE-754 single-precision operations, each
// rounded on its own (no fused multiply-add: contraction is off in this file), every sum taken in
// one fixed order, and the exponential is a polynomial here rather than the C library's. The
// compiler may still vectorize across independent outputs (that changes no rounding), never
// across a sum. They are compiled once, for the baseline: no per-level variants to disagree.
#include "CKernels.h"

#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

// MARK: - Products

// y[r, j] = bias[j] + Σ_k x[r, k]·w[k, j]: the sum from 0 in k order, the bias added last.
// Blocks of 2 rows × 16 columns keep 8 vector accumulators; the edge blocks do the same
// arithmetic element by element.
void aek_exact_affine(size_t rows, size_t inputs, size_t outputs, const float *x, size_t x_stride, const float *w,
                      const float *bias, float *y, size_t y_stride) {
  enum { R = 2, C = 16 };
  size_t r = 0;
  for (; r + R <= rows; r += R) {
    const float *x0 = x + r * x_stride, *x1 = x0 + x_stride;
    float *y0 = y + r * y_stride, *y1 = y0 + y_stride;
    size_t j = 0;
    for (; j + C <= outputs; j += C) {
      float a0[C], a1[C];
      for (int c = 0; c < C; c++) a0[c] = 0, a1[c] = 0;
      for (size_t k = 0; k < inputs; k++) {
        const float *wk = w + k * outputs + j;
        const float v0 = x0[k], v1 = x1[k];
        for (int c = 0; c < C; c++) {
          const float p0 = v0 * wk[c], p1 = v1 * wk[c];
          a0[c] = a0[c] + p0;
          a1[c] = a1[c] + p1;
        }
      }
      for (int c = 0; c < C; c++) {
        const float b = bias ? bias[j + c] : 0.0f;
        y0[j + c] = a0[c] + b;
        y1[j + c] = a1[c] + b;
      }
    }
    for (; j < outputs; j++) {
      float a0 = 0, a1 = 0;
      for (size_t k = 0; k < inputs; k++) {
        const float p0 = x0[k] * w[k * outputs + j], p1 = x1[k] * w[k * outputs + j];
        a0 = a0 + p0;
        a1 = a1 + p1;
      }
      const float b = bias ? bias[j] : 0.0f;
      y0[j] = a0 + b;
      y1[j] = a1 + b;
    }
  }
  for (; r < rows; r++) {
    const float *x0 = x + r * x_stride;
    float *y0 = y + r * y_stride;
    for (size_t j = 0; j < outputs; j++) {
      float a0 = 0;
      for (size_t k = 0; k < inputs; k++) {
        const float p0 = x0[k] * w[k * outputs + j];
        a0 = a0 + p0;
      }
      y0[j] = a0 + (bias ? bias[j] : 0.0f);
    }
  }
}

// MARK: - Functions

// e^x: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by a degree-7 Taylor polynomial (relative error
// under 2e-7 there), times 2^n built from its bits. x is first clamped to [-87, 88] (e^-87 is
// about 1.6e-38): branch-free, so the loops that call it vectorize.
static inline float exact_exp(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float t = x * 1.44269504f;
  const int e = (int)(t + (t < 0 ? -0.5f : 0.5f));  // the nearest integer (ties away from 0)
  const float n = (float)e;
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-06f;  // ln 2 in two parts, the first exact in n·it
  float p = 1.98412698e-04f;                                     // 1/7!
  p = p * r + 1.38888889e-03f;
  p = p * r + 8.33333333e-03f;
  p = p * r + 4.16666667e-02f;
  p = p * r + 1.66666667e-01f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^n, n in [-126, 127], from its exponent bits: an exact scaling.
  union { uint32_t u; float f; } bits = {.u = (uint32_t)(e + 127) << 23};
  return p * bits.f;
}

static inline float exact_sigmoid(float x) { return 1.0f / (1.0f + exact_exp(-x)); }

// tanh x = 2·sigmoid(2x) − 1 (absolute error about 1e-7 near 0, which is all a predictor needs).
static inline float exact_tanh(float x) { return 2.0f * exact_sigmoid(2.0f * x) - 1.0f; }

float aek_exact_exp(float x) { return exact_exp(x); }
float aek_exact_sigmoid(float x) { return exact_sigmoid(x); }
float aek_exact_tanh(float x) { return exact_tanh(x); }

void aek_exact_activate(int activation, size_t n, float *x) {
  switch (activation) {
    case AEK_EXACT_RELU:
      for (size_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0.0f;
      break;
    case AEK_EXACT_SIGMOID:
      for (size_t i = 0; i < n; i++) x[i] = exact_sigmoid(x[i]);
      break;
    case AEK_EXACT_TANH:
      for (size_t i = 0; i < n; i++) x[i] = exact_tanh(x[i]);
      break;
    default:
      break;
  }
}

// MARK: - Recurrent cells

void aek_exact_gru_step(size_t rows, size_t units, const float *a, const float *m, float *h) {
  for (size_t r = 0; r < rows; r++) {
    const float *ar = a + r * 3 * units, *mr = m + r * 3 * units;
    float *hr = h + r * units;
    for (size_t u = 0; u < units; u++) {
      const float z = exact_sigmoid(ar[u] + mr[u]);
      const float reset = exact_sigmoid(ar[units + u] + mr[units + u]);
      const float candidate = exact_tanh(ar[2 * units + u] + reset * mr[2 * units + u]);
      hr[u] = z * hr[u] + (1.0f - z) * candidate;
    }
  }
}

void aek_exact_lstm_step(size_t rows, size_t units, const float *gates, float *c, float *h) {
  for (size_t r = 0; r < rows; r++) {
    const float *g = gates + r * 4 * units;
    float *cr = c + r * units, *hr = h + r * units;
    for (size_t u = 0; u < units; u++) {
      const float i = exact_sigmoid(g[u]), f = exact_sigmoid(g[units + u]);
      const float candidate = exact_tanh(g[2 * units + u]), o = exact_sigmoid(g[3 * units + u]);
      cr[u] = f * cr[u] + i * candidate;
      hr[u] = o * exact_tanh(cr[u]);
    }
  }
}

// MARK: - Probabilities for a coder

int aek_exact_frequencies(size_t symbols, const float *logits, uint32_t total, uint32_t *frequencies) {
  if (symbols == 0 || symbols > total) return -1;
  float largest = logits[0];
  int finite = 1;
  for (size_t i = 0; i < symbols; i++) {
    finite &= logits[i] - logits[i] == 0.0f;  // false for NaN and infinity
    largest = logits[i] > largest ? logits[i] : largest;
  }
  if (!finite) return -1;
  float sum = 0;
  for (size_t i = 0; i < symbols; i++) sum = sum + exact_exp(logits[i] - largest);
  const float spare = (float)(total - (uint32_t)symbols);
  uint64_t given = 0;
  size_t likeliest = 0;
  for (size_t i = 0; i < symbols; i++) {
    const float share = exact_exp(logits[i] - largest) / sum * spare;
    uint32_t f = 1 + (uint32_t)share;  // share is in [0, spare]: truncation is the floor
    frequencies[i] = f;
    given += f;
    if (f > frequencies[likeliest]) likeliest = i;
  }
  // The rounding left over (or, by float error, over-given) goes to the likeliest symbol, which
  // holds at least total / symbols.
  frequencies[likeliest] = (uint32_t)((int64_t)frequencies[likeliest] + (int64_t)total - (int64_t)given);
  return 0;
}
