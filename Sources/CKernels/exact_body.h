// The exact kernels' bodies, included by exact.c once per SIMD level with K(name) giving each
// copy its own names (as kernels_body.h). The copies do the same operations in the same order, so
// they give the same bits; wider vectors only run more independent outputs at once.

// e^x: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by a degree-7 Taylor polynomial (relative error
// under 2e-7 there), times 2^n built from its bits. x is first clamped to [-87, 88] (e^-87 is
// about 1.6e-38): branch-free, so the loops that call it vectorize.
static inline float K(exp1)(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float t = x * 1.44269504f;
  const int e = (int)(t + (t < 0 ? -0.5f : 0.5f));  // the nearest integer (ties away from 0)
  const float n = (float)e;
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-06f;  // ln 2 in two parts, the first exact times n
  float p = 1.98412698e-04f;                                     // 1/7!
  p = p * r + 1.38888889e-03f;
  p = p * r + 8.33333333e-03f;
  p = p * r + 4.16666667e-02f;
  p = p * r + 1.66666667e-01f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^n, n in [-126, 127], from its exponent bits: an exact scaling.
  return p * __builtin_bit_cast(float, (uint32_t)(e + 127) << 23);
}

static inline float K(sigmoid1)(float x) { return 1.0f / (1.0f + K(exp1)(-x)); }

// tanh x = 2·sigmoid(2x) − 1 (absolute error about 1e-7 near 0, which is all a predictor needs).
static inline float K(tanh1)(float x) { return 2.0f * K(sigmoid1)(2.0f * x) - 1.0f; }

// Products.
// y[r, j] = bias[j] + Σ_k x[r, k]·w[k, j]: the sum from 0 in k order, then the bias (0 when there
// is none) added. Column panels outermost, so a panel of w (inputs × 8·V floats) stays in the L1
// cache while every block of 4 rows runs over it; 4 rows × V vectors of 8 accumulators. Compiled
// for the baseline and, where the CPU has it, AVX2 (wider vectors, no fused multiply-add): the
// same operations, so the same bits. Edge rows and columns do the same arithmetic one at a time.

#define EXACT_AFFINE(NAME, V)                                                                           \
  static void NAME(size_t rows, size_t inputs, size_t outputs, const float *x, size_t x_stride,        \
                   const float *w, const float *bias, float *y, size_t y_stride) {                       \
    size_t j = 0;                                                                                        \
    for (; j + 8 * (V) <= outputs; j += 8 * (V)) {                                                       \
      exact_v8 b[V];                                                                                     \
      for (int c = 0; c < (V); c++) {                                                                    \
        for (int l = 0; l < 8; l++) b[c][l] = bias ? bias[j + 8 * c + l] : 0.0f;                         \
      }                                                                                                  \
      size_t r = 0;                                                                                      \
      for (; r + 4 <= rows; r += 4) {                                                                    \
        exact_v8 a0[V], a1[V], a2[V], a3[V];                                                             \
        for (int c = 0; c < (V); c++) a0[c] = a1[c] = a2[c] = a3[c] = (exact_v8){0};                     \
        const float *x0 = x + r * x_stride, *x1 = x0 + x_stride, *x2 = x1 + x_stride, *x3 = x2 + x_stride; \
        for (size_t k = 0; k < inputs; k++) {                                                            \
          exact_v8 wk[V];                                                                                \
          for (int c = 0; c < (V); c++) __builtin_memcpy(&wk[c], w + k * outputs + j + 8 * c, 32);        \
          const float v0 = x0[k], v1 = x1[k], v2 = x2[k], v3 = x3[k];                                    \
          for (int c = 0; c < (V); c++) {                                                                \
            a0[c] = a0[c] + v0 * wk[c];                                                                  \
            a1[c] = a1[c] + v1 * wk[c];                                                                  \
            a2[c] = a2[c] + v2 * wk[c];                                                                  \
            a3[c] = a3[c] + v3 * wk[c];                                                                  \
          }                                                                                              \
        }                                                                                                \
        for (int c = 0; c < (V); c++) {                                                                  \
          exact_v8 o0 = a0[c] + b[c], o1 = a1[c] + b[c], o2 = a2[c] + b[c], o3 = a3[c] + b[c];           \
          __builtin_memcpy(y + r * y_stride + j + 8 * c, &o0, 32);                                       \
          __builtin_memcpy(y + (r + 1) * y_stride + j + 8 * c, &o1, 32);                                 \
          __builtin_memcpy(y + (r + 2) * y_stride + j + 8 * c, &o2, 32);                                 \
          __builtin_memcpy(y + (r + 3) * y_stride + j + 8 * c, &o3, 32);                                 \
        }                                                                                                \
      }                                                                                                  \
      for (; r < rows; r++) {                                                                            \
        exact_v8 a0[V];                                                                                  \
        for (int c = 0; c < (V); c++) a0[c] = (exact_v8){0};                                             \
        const float *x0 = x + r * x_stride;                                                              \
        for (size_t k = 0; k < inputs; k++) {                                                            \
          const float v0 = x0[k];                                                                        \
          for (int c = 0; c < (V); c++) {                                                                \
            exact_v8 wk;                                                                                 \
            __builtin_memcpy(&wk, w + k * outputs + j + 8 * c, 32);                                      \
            a0[c] = a0[c] + v0 * wk;                                                                     \
          }                                                                                              \
        }                                                                                                \
        for (int c = 0; c < (V); c++) {                                                                  \
          exact_v8 o0 = a0[c] + b[c];                                                                    \
          __builtin_memcpy(y + r * y_stride + j + 8 * c, &o0, 32);                                       \
        }                                                                                                \
      }                                                                                                  \
    }                                                                                                    \
    for (; j < outputs; j++) {                                                                           \
      const float b = bias ? bias[j] : 0.0f;                                                             \
      for (size_t r = 0; r < rows; r++) {                                                                \
        float a = 0;                                                                                     \
        for (size_t k = 0; k < inputs; k++) {                                                            \
          const float p = x[r * x_stride + k] * w[k * outputs + j];                                      \
          a = a + p;                                                                                     \
        }                                                                                                \
        y[r * y_stride + j] = a + b;                                                                     \
      }                                                                                                  \
    }                                                                                                    \
  }

EXACT_AFFINE(K(affine), EXACT_VECTORS)

static void K(activate)(int activation, size_t n, float *x) {
  switch (activation) {
    case AEK_EXACT_RELU:
      for (size_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0.0f;
      break;
    case AEK_EXACT_SIGMOID:
      for (size_t i = 0; i < n; i++) x[i] = K(sigmoid1)(x[i]);
      break;
    case AEK_EXACT_TANH:
      for (size_t i = 0; i < n; i++) x[i] = K(tanh1)(x[i]);
      break;
    default:
      break;
  }
}

static void K(gru_step)(size_t rows, size_t units, const float *a, const float *m, float *h) {
  for (size_t r = 0; r < rows; r++) {
    const float *ar = a + r * 3 * units, *mr = m + r * 3 * units;
    float *hr = h + r * units;
    for (size_t u = 0; u < units; u++) {
      const float z = K(sigmoid1)(ar[u] + mr[u]);
      const float reset = K(sigmoid1)(ar[units + u] + mr[units + u]);
      const float candidate = K(tanh1)(ar[2 * units + u] + reset * mr[2 * units + u]);
      hr[u] = z * hr[u] + (1.0f - z) * candidate;
    }
  }
}

static void K(lstm_step)(size_t rows, size_t units, const float *gates, float *c, float *h) {
  for (size_t r = 0; r < rows; r++) {
    const float *g = gates + r * 4 * units;
    float *cr = c + r * units, *hr = h + r * units;
    for (size_t u = 0; u < units; u++) {
      const float i = K(sigmoid1)(g[u]), f = K(sigmoid1)(g[units + u]);
      const float candidate = K(tanh1)(g[2 * units + u]), o = K(sigmoid1)(g[3 * units + u]);
      cr[u] = f * cr[u] + i * candidate;
      hr[u] = o * K(tanh1)(cr[u]);
    }
  }
}

// Frequencies 1 + ⌊p·(total − symbols)⌋ of the softmax p, p = e / Σ e with e = exp(logit − the
// largest) summed in index order; what the floors leave goes to the first likeliest symbol.
static int K(frequencies)(size_t symbols, const float *logits, uint32_t total, uint32_t *frequencies, float *e) {
  if (symbols == 0 || symbols > total) return -1;
  float largest = logits[0];
  int finite = 1;
  for (size_t i = 0; i < symbols; i++) {
    finite &= logits[i] - logits[i] == 0.0f;  // false for NaN and infinity
    largest = logits[i] > largest ? logits[i] : largest;
  }
  if (!finite) return -1;
  size_t likeliest = 0;
  while (logits[likeliest] != largest) likeliest++;
  for (size_t i = 0; i < symbols; i++) e[i] = K(exp1)(logits[i] - largest);
  float sum = 0;
  for (size_t i = 0; i < symbols; i++) sum = sum + e[i];
  const float spare = (float)(total - (uint32_t)symbols);
  uint32_t given = 0;
  for (size_t i = 0; i < symbols; i++) {
    const float share = e[i] / sum * spare;  // in [0, spare]: truncation is the floor
    frequencies[i] = 1 + (uint32_t)(int32_t)share;
    given += frequencies[i];
  }
  // The likeliest holds at least total / symbols, far more than the floors' error.
  frequencies[likeliest] = frequencies[likeliest] + total - given;
  return 0;
}
