// The element-wise kernels. kernels.c includes this file once per SIMD level, with K(name) giving
// each copy its own suffix and a `target` attribute applied to every function in it, so the
// compiler vectorizes the same source for SSE2, AVX2+FMA and AVX-512. (No include guard: by design.)
//
// Loops are written branch-free (selects, not ifs) so they vectorize; exp and log are polynomial
// approximations (Cephes's coefficients, about 1 ulp) because libm's are scalar calls.

// MARK: - Scalar building blocks, inlined into the loops

/// exp(x). Below -87.34 returns 0 (the float denormal range is flushed); above 88.72 returns inf.
static inline float K(exp1)(float x) {
  const float lo = -87.3365447504f, hi = 88.7228394f;
  float xr = x > hi ? hi : x;
  xr = xr < lo ? lo : xr;
  float nf = (xr * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  float r = xr - nf * 0.693359375f;     // r = x - n ln 2, in two parts (Cody-Waite)
  r = r + nf * 2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * r * r + r + 1.0f;
  int big = nf > 127.5f;                // 2^128 is not a float: scale by 2^127, then by 2
  int32_t bits = ((int32_t)(big ? nf - 1.0f : nf) + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  float result = p * scale;
  result = big ? result * 2.0f : result;
  result = x > hi ? INFINITY : result;
  result = x < lo ? 0.0f : result;
  return x != x ? x : result;  // NaN in, NaN out
}

/// log(x); -inf at 0, NaN below 0, inf at inf, NaN for NaN.
static inline float K(log1)(float x) {
  int tiny = x < 1.17549435e-38f;       // denormals (and non-positives): scale up by 2^23 first
  float xs = tiny ? x * 8388608.0f : x;
  uint32_t bits;
  memcpy(&bits, &xs, sizeof bits);
  float e = (float)((int32_t)((bits >> 23) & 0xff) - 126) - (tiny ? 23.0f : 0.0f);
  bits = (bits & 0x007fffffu) | 0x3f000000u;  // mantissa in [0.5, 1)
  float m;
  memcpy(&m, &bits, sizeof m);
  int small = m < 0.707106781186547524f;
  e = small ? e - 1.0f : e;
  m = small ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float y = 7.0376836292E-2f;
  y = y * m - 1.1514610310E-1f;
  y = y * m + 1.1676998740E-1f;
  y = y * m - 1.2420140846E-1f;
  y = y * m + 1.4249322787E-1f;
  y = y * m - 1.6668057665E-1f;
  y = y * m + 2.0000714765E-1f;
  y = y * m - 2.4999993993E-1f;
  y = y * m + 3.3333331174E-1f;
  y = y * m * z;
  y = y + e * -2.12194440e-4f;
  y = y - 0.5f * z;
  float result = m + y + e * 0.693359375f;
  result = x == 0.0f ? -INFINITY : result;
  result = x < 0.0f ? NAN : result;
  result = x == INFINITY ? INFINITY : result;
  return x != x ? x : result;
}

/// exp(x) for x <= 0: the same polynomial without the overflow path; 0 below -87.34, NaN for NaN.
static inline float K(exp_nonpositive)(float x) {
  const float lo = -87.3365447504f;
  float xr = x < lo ? lo : x;
  float nf = (xr * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xr - nf * 0.693359375f;
  r = r + nf * 2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = ((int32_t)nf + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  float result = x < lo ? 0.0f : p * scale;
  return x != x ? x : result;
}

/// log(w) for a positive normal w: the same polynomial without the special values (callers keep
/// NaN flowing through their other terms).
static inline float K(log_positive_normal)(float w) {
  uint32_t bits;
  memcpy(&bits, &w, sizeof bits);
  float e = (float)((int32_t)(bits >> 23) - 126);
  bits = (bits & 0x007fffffu) | 0x3f000000u;
  float m;
  memcpy(&m, &bits, sizeof m);
  int small = m < 0.707106781186547524f;
  e = small ? e - 1.0f : e;
  m = small ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float y = 7.0376836292E-2f;
  y = y * m - 1.1514610310E-1f;
  y = y * m + 1.1676998740E-1f;
  y = y * m - 1.2420140846E-1f;
  y = y * m + 1.4249322787E-1f;
  y = y * m - 1.6668057665E-1f;
  y = y * m + 2.0000714765E-1f;
  y = y * m - 2.4999993993E-1f;
  y = y * m + 3.3333331174E-1f;
  y = y * m * z;
  y = y + e * -2.12194440e-4f;
  y = y - 0.5f * z;
  return m + y + e * 0.693359375f;
}

/// log(1 + exp(-|x|)), accurate for every x: the log1p of u = exp(-|x|) in (0, 1], with the
/// rounding error of 1 + u corrected.
static inline float K(log1p_exp_neg_abs)(float x) {
  float u = K(exp_nonpositive)(-fabsf(x));
  float w = 1.0f + u;
  float result = K(log_positive_normal)(w) - ((w - 1.0f) - u) / w;
  return x != x ? x : result;
}

static inline float K(sigmoid1)(float x) { return 1.0f / (1.0f + K(exp1)(-x)); }

/// tanh(x): an odd polynomial below |x| = 0.625 (where 1 - 2/(e^2x + 1) would cancel), else that.
static inline float K(tanh1)(float x) {
  float ax = fabsf(x);
  float big = 1.0f - 2.0f / (K(exp1)(2.0f * ax) + 1.0f);
  float z = x * x;
  float small = -5.70498872745E-3f;
  small = small * z + 2.06390887954E-2f;
  small = small * z - 5.37397155531E-2f;
  small = small * z + 1.33314422036E-1f;
  small = small * z - 3.33332819422E-1f;
  small = small * z * ax + ax;
  return copysignf(ax < 0.625f ? small : big, x);
}

// MARK: - Unary maps

#define UNARY(name, expr)                                          \
  static void K(name)(size_t n, const float *x, float *y) {        \
    _Pragma("clang loop interleave_count(4)")                      \
    for (size_t i = 0; i < n; i++) {                               \
      float v = x[i];                                              \
      y[i] = (expr);                                               \
    }                                                              \
  }

UNARY(exp, K(exp1)(v))
UNARY(log, K(log1)(v))
UNARY(sqrt, v >= 0.0f ? __builtin_elementwise_sqrt(v) : NAN)
UNARY(abs, fabsf(v))
UNARY(sign, v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f))
UNARY(relu, v > 0.0f ? v : 0.0f)
UNARY(sigmoid, K(sigmoid1)(v))
UNARY(tanh, K(tanh1)(v))
UNARY(softplus, (v > 0.0f ? v : 0.0f) + K(log1p_exp_neg_abs)(v))
#undef UNARY

// MARK: - Recurrent cells, one example's step (Tensor+Recurrent.swift holds the loops over time)

/// An LSTM step: `gates` (i, f, g, o pre-activations, 4·units) activated in place; c = f·c_prev +
/// i·g, its tanh, and h = o·tanh(c).
static void K(lstm_cell)(size_t units, float *gates, const float *c_prev, float *c, float *c_tanh, float *h) {
  for (size_t u = 0; u < units; u++) {
    float i = K(sigmoid1)(gates[u]), f = K(sigmoid1)(gates[units + u]), g = K(tanh1)(gates[2 * units + u]);
    float o = K(sigmoid1)(gates[3 * units + u]);
    gates[u] = i; gates[units + u] = f; gates[2 * units + u] = g; gates[3 * units + u] = o;
    float cell = f * c_prev[u] + i * g, t = K(tanh1)(cell);
    c[u] = cell; c_tanh[u] = t; h[u] = o * t;
  }
}

/// The LSTM step's gradients: from dh = dy + dh_next and dc (the next step's, updated in place to
/// this step's dc·f), the pre-activation gradients `dz` (4·units).
static void K(lstm_cell_backward)(size_t units, const float *gates, const float *c_prev, const float *c_tanh, const float *dy,
                                  const float *dh_next, float *dc, float *dz) {
  for (size_t u = 0; u < units; u++) {
    float i = gates[u], f = gates[units + u], g = gates[2 * units + u], o = gates[3 * units + u], t = c_tanh[u];
    float h = dy[u] + dh_next[u], cell = dc[u] + h * o * (1.0f - t * t);
    dz[u] = cell * g * i * (1.0f - i);
    dz[units + u] = cell * c_prev[u] * f * (1.0f - f);
    dz[2 * units + u] = cell * i * (1.0f - g * g);
    dz[3 * units + u] = h * t * o * (1.0f - o);
    dc[u] = cell * f;
  }
}

/// A GRU step (reset after): `a` (the input parts z, r, h, 3·units) becomes the activated z, r
/// and candidate from it and the recurrent parts `m`; h = z·h_prev + (1 − z)·candidate.
static void K(gru_cell)(size_t units, float *a, const float *m, const float *h_prev, float *h) {
  for (size_t u = 0; u < units; u++) {
    float z = K(sigmoid1)(a[u] + m[u]), r = K(sigmoid1)(a[units + u] + m[units + u]);
    float candidate = K(tanh1)(a[2 * units + u] + r * m[2 * units + u]);
    a[u] = z; a[units + u] = r; a[2 * units + u] = candidate;
    h[u] = z * h_prev[u] + (1.0f - z) * candidate;
  }
}

/// The GRU step's gradients: from dh = dy + dh_next, those of the input parts `da` and recurrent
/// parts `dm` (3·units each), and the gradient carried to h_prev through z (`carried`).
static void K(gru_cell_backward)(size_t units, const float *gates, const float *m, const float *h_prev, const float *dy,
                                 const float *dh_next, float *da, float *dm, float *carried) {
  for (size_t u = 0; u < units; u++) {
    float z = gates[u], r = gates[units + u], candidate = gates[2 * units + u];
    float h = dy[u] + dh_next[u];
    float d_candidate = h * (1.0f - z) * (1.0f - candidate * candidate);
    float d_z = h * (h_prev[u] - candidate) * z * (1.0f - z);
    float d_r = d_candidate * m[2 * units + u] * r * (1.0f - r);
    da[u] = d_z; da[units + u] = d_r; da[2 * units + u] = d_candidate;
    dm[u] = d_z; dm[units + u] = d_r; dm[2 * units + u] = d_candidate * r;
    carried[u] = h * z;
  }
}

static void K(leaky_relu)(size_t n, float slope, const float *x, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
}

static void K(clamp)(size_t n, float low, float high, const float *x, float *y) {
  for (size_t i = 0; i < n; i++) {
    float v = x[i] < low ? low : x[i];
    y[i] = v > high ? high : v;
  }
}

static void K(affine)(size_t n, float a, float b, const float *x, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = a * x[i] + b;
}

// MARK: - Divisive normalization (GDN)

/// Rows of `channels` values taken a block at a time by the GDN kernels below: a block's rows of
/// each tensor they touch (16 K floats each) stay in L2 between the product and the passes.
static inline size_t K(gdn_block_rows)(size_t channels) {
  const size_t rows = 8192 / (channels ? channels : 1);
  return rows < 16 ? 16 : rows;
}

/// GDN over `rows` rows of `channels` values, a block of rows at a time: the norms
/// n = √(β + x² · γ) (γ `[channels, channels]`, j down, i across; x² in `scratch`, then one
/// product, β added in the pass after it) into `norms`, and y = x / n (x · n when `inverse`).
/// `scratch` holds `aek_gdn_scratch_floats(channels)` floats.
static void K(gdn_forward_rows)(size_t rows, size_t channels, int inverse, const float *x, const float *beta,
                                const float *gamma, float *norms, float *y, float *scratch) {
  const size_t block = K(gdn_block_rows)(channels);
  for (size_t first = 0; first < rows; first += block) {
    const size_t count = rows - first < block ? rows - first : block, n = count * channels;
    const float *bx = x + first * channels;
    float *bn = norms + first * channels, *by = y + first * channels;
    for (size_t i = 0; i < n; i++) scratch[i] = bx[i] * bx[i];
    aek_sgemm(0, 0, (int)count, (int)channels, (int)channels, 1.0f, scratch, (int)channels, gamma, (int)channels, 0.0f, bn,
              (int)channels);
    for (size_t r = 0; r < count; r++) {
      float *rn = bn + r * channels, *ry = by + r * channels;
      const float *rx = bx + r * channels;
      if (inverse) {
        for (size_t c = 0; c < channels; c++) {
          const float norm = __builtin_elementwise_sqrt(rn[c] + beta[c]);
          rn[c] = norm;
          ry[c] = rx[c] * norm;
        }
      } else {
        for (size_t c = 0; c < channels; c++) {
          const float norm = __builtin_elementwise_sqrt(rn[c] + beta[c]);
          rn[c] = norm;
          ry[c] = rx[c] / norm;
        }
      }
    }
  }
}

/// GDN's gradients for upstream g over the same rows, a block at a time: with w = −g·x / n³
/// (IGDN: g·x / n) in `scratch`, the input's g / n + x · (w · γᵀ) (IGDN: g · n + …) into
/// `input_gradient`, and ½ Σ_rows w and ½ (x²)ᵀ · w added to `beta_gradient` and `gamma_gradient`;
/// each of the three skipped when null. `scratch` holds `aek_gdn_scratch_floats(channels)` floats.
static void K(gdn_backward_rows)(size_t rows, size_t channels, int inverse, const float *x, const float *norms,
                                 const float *g, const float *gamma, float *input_gradient, float *beta_gradient,
                                 float *gamma_gradient, float *scratch) {
  const size_t block = K(gdn_block_rows)(channels);
  float *w = scratch, *other = scratch + block * channels;
  for (size_t first = 0; first < rows; first += block) {
    const size_t count = rows - first < block ? rows - first : block, n = count * channels;
    const float *bx = x + first * channels, *bn = norms + first * channels, *bg = g + first * channels;
    if (inverse) {
      for (size_t i = 0; i < n; i++) w[i] = bg[i] * bx[i] / bn[i];
    } else {
      for (size_t i = 0; i < n; i++) {
        const float reciprocal = 1.0f / bn[i];
        w[i] = -bg[i] * bx[i] * (reciprocal * reciprocal * reciprocal);
      }
    }
    if (input_gradient) {
      float *out = input_gradient + first * channels;
      aek_sgemm(0, 1, (int)count, (int)channels, (int)channels, 1.0f, w, (int)channels, gamma, (int)channels, 0.0f, other,
                (int)channels);
      if (inverse) {
        for (size_t i = 0; i < n; i++) out[i] = bg[i] * bn[i] + bx[i] * other[i];
      } else {
        for (size_t i = 0; i < n; i++) out[i] = bg[i] / bn[i] + bx[i] * other[i];
      }
    }
    if (beta_gradient) {  // ½ Σ_rows w, summed in registers (row by row into beta_gradient, each add waited on the last's store)
      for (size_t c = 0; c < channels; c++) other[c] = 0.0f;
      K(add_channel_sums)(other, w, 0, (long)count, (long)channels);
      for (size_t c = 0; c < channels; c++) beta_gradient[c] += 0.5f * other[c];
    }
    if (gamma_gradient) {
      for (size_t i = 0; i < n; i++) other[i] = bx[i] * bx[i];
      aek_sgemm(1, 0, (int)channels, (int)channels, (int)count, 0.5f, other, (int)channels, w, (int)channels, 1.0f,
                gamma_gradient, (int)channels);
    }
  }
}

// MARK: - Activation gradients

static void K(relu_backward)(size_t n, const float *g, const float *y, float *out) {
  // g[i] read outside the select: inside it, the compiler may load it only where y[i] > 0, a
  // masked load, which is slow on AMD's AVX2 cores.
  for (size_t i = 0; i < n; i++) {
    const float gradient = g[i];
    out[i] = y[i] > 0.0f ? gradient : 0.0f;
  }
}

static void K(leaky_relu_backward)(size_t n, float slope, const float *g, const float *x,
                                   float *out) {
  for (size_t i = 0; i < n; i++) out[i] = x[i] > 0.0f ? g[i] : slope * g[i];
}

static void K(sigmoid_backward)(size_t n, const float *g, const float *y, float *out) {
  for (size_t i = 0; i < n; i++) out[i] = g[i] * y[i] * (1.0f - y[i]);
}

static void K(tanh_backward)(size_t n, const float *g, const float *y, float *out) {
  for (size_t i = 0; i < n; i++) out[i] = g[i] * (1.0f - y[i] * y[i]);
}

static void K(clamp_backward)(size_t n, float low, float high, const float *g, const float *x,
                              float *out) {
  for (size_t i = 0; i < n; i++) {
    const float gradient = g[i], v = x[i];  // read outside the select: see relu_backward
    out[i] = (v >= low && v <= high) ? gradient : 0.0f;
  }
}

// MARK: - Binary operations

// One loop per (operation, broadcast pattern), so each vectorizes.
#define BINARY_LOOPS(expr)                                                        \
  if (a_step == 1 && b_step == 1) {                                               \
    for (size_t i = 0; i < n; i++) { float p = a[i], q = b[i]; out[i] = (expr); } \
  } else if (a_step == 1 && b_step == 0) {                                        \
    float q = b[0];                                                               \
    for (size_t i = 0; i < n; i++) { float p = a[i]; out[i] = (expr); }           \
  } else if (a_step == 0 && b_step == 1) {                                        \
    float p = a[0];                                                               \
    for (size_t i = 0; i < n; i++) { float q = b[i]; out[i] = (expr); }           \
  } else {                                                                        \
    for (size_t i = 0; i < n; i++) {                                              \
      float p = a[i * a_step], q = b[i * b_step];                                 \
      out[i] = (expr);                                                            \
    }                                                                             \
  }

static void K(binary)(aek_binary_op op, size_t n, const float *a, size_t a_step, const float *b,
                      size_t b_step, float *out) {
  switch (op) {
    case AEK_ADD: BINARY_LOOPS(p + q) break;
    case AEK_SUB: BINARY_LOOPS(p - q) break;
    case AEK_MUL: BINARY_LOOPS(p * q) break;
    case AEK_DIV: BINARY_LOOPS(p / q) break;
    case AEK_MAX: BINARY_LOOPS(p > q ? p : q) break;
    case AEK_MIN: BINARY_LOOPS(p < q ? p : q) break;
  }
}
#undef BINARY_LOOPS

static void K(binary_row)(aek_binary_op op, size_t rows, size_t cols, const float *a,
                          const float *row, float *out) {
  for (size_t r = 0; r < rows; r++) K(binary)(op, cols, a + r * cols, 1, row, 1, out + r * cols);
}

// MARK: - Reductions
// Reassociation lets the compiler keep several partial sums in vector lanes; the result then
// depends on the SIMD level, but not on anything else (same level, same inputs, same sum).

// For expensive terms: float partial sums over chunks of 64 keep the full vector width for the
// float math; the chunks add up in double.
#define CHUNKED_SUM(n, term)                                     \
  double total = 0;                                              \
  for (size_t start = 0; start < (n); start += 64) {            \
    size_t end = start + 64 < (n) ? start + 64 : (n);          \
    float partial = 0;                                           \
    _Pragma("clang loop interleave_count(4)")                    \
    for (size_t i = start; i < end; i++) partial += (term);      \
    total += partial;                                            \
  }                                                              \
  return total;

// Plain sums are memory-bound: they accumulate in double directly.
static double K(sum)(size_t n, const float *x) {
#pragma clang fp reassociate(on)
  double s = 0;
  for (size_t i = 0; i < n; i++) s += x[i];
  return s;
}

static double K(sum_squares)(size_t n, const float *x) {
#pragma clang fp reassociate(on)
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
  return s;
}

static void K(sum_axis)(size_t outer, size_t axis, size_t inner, const float *x, float *out) {
  for (size_t o = 0; o < outer; o++) {
    const float *block = x + o * axis * inner;
    float *dst = out + o * inner;
    if (inner == 1) {
      dst[0] = (float)K(sum)(axis, block);
      continue;
    }
    for (size_t i = 0; i < inner; i++) dst[i] = block[i];
    for (size_t a = 1; a < axis; a++) {
      const float *src = block + a * inner;
      for (size_t i = 0; i < inner; i++) dst[i] += src[i];
    }
  }
}

// MARK: - Losses

static inline float K(bce_logits1)(float x, float t) {
  return (x > 0.0f ? x : 0.0f) - x * t + K(log1p_exp_neg_abs)(x);
}

static double K(bce_logits)(size_t n, const float *logits, const float *targets) {
#pragma clang fp reassociate(on)
  CHUNKED_SUM(n, K(bce_logits1)(logits[i], targets[i]))
}

// One pass for value and gradient: u = exp(-|x|) gives the sigmoid (1/(1 + u) or u/(1 + u) by the
// sign of x), so the gradient, and the loss term log(1 + u). The logs are the costly part, and
// log(w1) + ... + log(w16) = log(w1 · ... · w16) with each w = 1 + u in [1, 2]: each of 16 lanes
// multiplies 16 w's (at most 2^16, exact to float rounding) and takes one log, so there is one
// log per 16 elements. ((w - 1) - u)/w corrects each w's rounding, as log1p does.
#define BCE_LANES 16
#define BCE_DEPTH 16
static double K(bce_logits_fused)(size_t n, float scale, const float *logits, const float *targets,
                                  float *grad) {
#pragma clang fp reassociate(on)
  double total = 0;
  size_t block = BCE_LANES * BCE_DEPTH, blocks = n / block;
  for (size_t b = 0; b < blocks; b++) {
    float product[BCE_LANES], linear[BCE_LANES];
    for (int lane = 0; lane < BCE_LANES; lane++) { product[lane] = 1.0f; linear[lane] = 0.0f; }
    for (int d = 0; d < BCE_DEPTH; d++) {
      size_t base = b * block + d * BCE_LANES;
      for (int lane = 0; lane < BCE_LANES; lane++) {
        float x = logits[base + lane], t = targets[base + lane];
        float u = K(exp_nonpositive)(-fabsf(x));
        float w = 1.0f + u;
        float r = 1.0f / w;
        product[lane] *= w;
        linear[lane] += (x > 0.0f ? x : 0.0f) - x * t - ((w - 1.0f) - u) * r;
        grad[base + lane] = scale * ((x >= 0.0f ? r : u * r) - t);
      }
    }
    float partial = 0;
    for (int lane = 0; lane < BCE_LANES; lane++) partial += K(log_positive_normal)(product[lane]) + linear[lane];
    total += partial;
  }
  for (size_t i = blocks * block; i < n; i++) {  // the remainder, element by element
    float x = logits[i], t = targets[i];
    float u = K(exp_nonpositive)(-fabsf(x));
    float w = 1.0f + u, r = 1.0f / w;
    total += (x > 0.0f ? x : 0.0f) - x * t + K(log_positive_normal)(w) - ((w - 1.0f) - u) * r;
    grad[i] = scale * ((x >= 0.0f ? r : u * r) - t);
  }
  return total;
}
#undef BCE_LANES
#undef BCE_DEPTH

static void K(bce_logits_backward)(size_t n, float scale, const float *logits,
                                   const float *targets, float *grad) {
#pragma clang loop interleave_count(4)
  for (size_t i = 0; i < n; i++) grad[i] = scale * (K(sigmoid1)(logits[i]) - targets[i]);
}

static void K(bce_logits_rows)(size_t rows, size_t cols, const float *logits,
                               const float *targets, float *row_sums) {
  for (size_t r = 0; r < rows; r++)
    row_sums[r] = (float)K(bce_logits)(cols, logits + r * cols, targets + r * cols);
}

// MARK: - Optimizer updates

static void K(adam_update)(size_t n, float alpha, float beta1, float beta2, float epsilon,
                           const float *grad, float *m, float *v, float *param) {
  float c1 = 1.0f - beta1, c2 = 1.0f - beta2;
  for (size_t i = 0; i < n; i++) {
    float g = grad[i];
    float mi = m[i] + (g - m[i]) * c1;
    float vi = v[i] + (g * g - v[i]) * c2;
    m[i] = mi;
    v[i] = vi;
    param[i] -= alpha * mi / (__builtin_elementwise_sqrt(vi) + epsilon);
  }
}

/// RMSProp's running mean of squared gradients, updated in place, and the step it gives.
static inline float K(rmsprop_increment)(float lr, float rho, float epsilon, float g, float *v) {
  float vi = rho * *v + (1.0f - rho) * g * g;
  *v = vi;
  return lr * g / __builtin_elementwise_sqrt(vi + epsilon);
}

static void K(rmsprop_update)(size_t n, float lr, float rho, float momentum, float epsilon,
                              const float *grad, float *v, float *mom, float *param) {
  // Two loops, not a test of `mom` inside one, which the compiler turns into masked loads and
  // stores (slow on AMD's AVX2 cores).
  if (!mom) {
    for (size_t i = 0; i < n; i++) param[i] -= K(rmsprop_increment)(lr, rho, epsilon, grad[i], &v[i]);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    float mi = momentum * mom[i] + K(rmsprop_increment)(lr, rho, epsilon, grad[i], &v[i]);
    mom[i] = mi;
    param[i] -= mi;
  }
}

static void K(sgd_update)(size_t n, float lr, float momentum, int nesterov, const float *grad,
                          float *m, float *param) {
  if (!m) {
    for (size_t i = 0; i < n; i++) param[i] -= lr * grad[i];
    return;
  }
  for (size_t i = 0; i < n; i++) {
    float mi = momentum * m[i] - lr * grad[i];
    m[i] = mi;
    param[i] += nesterov ? momentum * mi - lr * grad[i] : mi;
  }
}

#undef CHUNKED_SUM

// MARK: - Random numbers

/// Box-Muller: u holds 2 * half uniforms in [0, 1); writes 2 * half normals,
/// out[i] = mean + std * r_i cos(theta_i), out[half + i] = mean + std * r_i sin(theta_i),
/// with r_i = sqrt(-2 log(1 - u[i])) and theta_i = 2 pi u[half + i].
static void K(normal_from_uniform)(size_t half, const float *u, float mean, float std, float *out) {
  for (size_t i = 0; i < half; i++) {
    float radius = std * __builtin_elementwise_sqrt(-2.0f * K(log1)(1.0f - u[i]));
    float t = u[half + i];
    t = t - ((t + 12582912.0f) - 12582912.0f);       // t - round(t), in [-0.5, 0.5]
    float theta = 6.28318530717958648f * t;          // [-pi, pi]
    float j = (theta * 0.636619772367581343f + 12582912.0f) - 12582912.0f;  // quadrant, -2...2
    float r = theta - j * 1.5703125f;                // r = theta - j pi/2, in [-pi/4, pi/4]
    r = r - j * 4.837512969970703125e-4f;
    r = r - j * 7.54978995489188216e-8f;
    float z = r * r;
    float sine = ((-1.9515295891E-4f * z + 8.3321608736E-3f) * z - 1.6666654611E-1f) * z * r + r;
    float cosine = ((2.443315711809948E-5f * z - 1.388731625493765E-3f) * z + 4.166664568298827E-2f) * z * z
                   - 0.5f * z + 1.0f;
    int q = (int)j & 3;                              // rotate (sin, cos) by q quarter turns
    float s = q == 0 ? sine : (q == 1 ? cosine : (q == 2 ? -sine : -cosine));
    float c = q == 0 ? cosine : (q == 1 ? -sine : (q == 2 ? -cosine : sine));
    out[i] = mean + radius * c;
    out[half + i] = mean + radius * s;
  }
}

// MARK: - Data movement

// Rows are picked at random from a data set larger than the caches, so each is a cache miss:
// prefetching the rows a few ahead overlaps those misses (70 -> 40 us per batch of 256 here).
#define GATHER_AHEAD 4
static inline void K(prefetch_row)(const void *row, size_t bytes) {
  for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch((const char *)row + offset);
}

static void K(gather_rows_u8)(size_t count, size_t row_length, const int64_t *indices,
                              const uint8_t *src, float divisor, float *dst) {
  for (size_t r = 0; r < count; r++) {
    if (r + GATHER_AHEAD < count) K(prefetch_row)(src + (size_t)indices[r + GATHER_AHEAD] * row_length, row_length);
    const uint8_t *s = src + (size_t)indices[r] * row_length;
    float *d = dst + r * row_length;
    for (size_t i = 0; i < row_length; i++) d[i] = (float)s[i] / divisor;
  }
}

static void K(gather_rows_f32)(size_t count, size_t row_length, const int64_t *indices,
                               const float *src, float *dst) {
  for (size_t r = 0; r < count; r++) {
    if (r + GATHER_AHEAD < count)
      K(prefetch_row)(src + (size_t)indices[r + GATHER_AHEAD] * row_length, row_length * sizeof(float));
    memcpy(dst + r * row_length, src + (size_t)indices[r] * row_length, row_length * sizeof(float));
  }
}
#undef GATHER_AHEAD

#ifndef AEK_V8_DEFINED
#define AEK_V8_DEFINED
/// Eight floats as one value (a ymm register under AVX2, two xmm under SSE2), loaded and stored
/// unaligned.
typedef float aek_v8 __attribute__((ext_vector_type(8)));
// (Macros, not functions: a function outside this file's SIMD-level pragmas would pass the
// vector by another ABI.)
#define aek_load8(p) ({ aek_v8 aek_v8_value_; memcpy(&aek_v8_value_, (p), sizeof aek_v8_value_); aek_v8_value_; })
#define aek_store8(p, v) do { aek_v8 aek_v8_value_ = (v); memcpy((p), &aek_v8_value_, sizeof aek_v8_value_); } while (0)
#endif

/// out (cols × rows) = xᵀ (x rows × cols): 8×8 blocks through registers (eight rows in, eight
/// columns out, by the usual unpack and shuffle steps), the edges cell by cell. Cell by cell, every
/// store went to another row of the output: the Winograd kernels' transposes took 1.8% of the
/// codec's step.
static void K(transpose)(size_t rows, size_t cols, const float *x, float *out) {
  const size_t whole_rows = rows / 8 * 8, whole_cols = cols / 8 * 8;
  for (size_t r0 = 0; r0 < whole_rows; r0 += 8)
    for (size_t c0 = 0; c0 < whole_cols; c0 += 8) {
      aek_v8 r[8], t[8], u[8];
      for (int i = 0; i < 8; i++) r[i] = aek_load8(x + (r0 + i) * cols + c0);
      for (int i = 0; i < 8; i += 2) {
        t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
      }
      for (int i = 0; i < 8; i += 4)
        for (int j = 0; j < 2; j++) {
          u[i + 2 * j] = __builtin_shufflevector(t[i + j], t[i + j + 2], 0, 1, 8, 9, 4, 5, 12, 13);
          u[i + 2 * j + 1] = __builtin_shufflevector(t[i + j], t[i + j + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
      for (int j = 0; j < 4; j++) {  // column j from u[j]'s and u[j + 4]'s low halves, column j + 4 from their high ones
        aek_store8(out + (c0 + j) * rows + r0, __builtin_shufflevector(u[j], u[j + 4], 0, 1, 2, 3, 8, 9, 10, 11));
        aek_store8(out + (c0 + j + 4) * rows + r0, __builtin_shufflevector(u[j], u[j + 4], 4, 5, 6, 7, 12, 13, 14, 15));
      }
    }
  for (size_t r = 0; r < rows; r++)
    for (size_t c = r < whole_rows ? whole_cols : 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
}

/// Rows of `width` floats, each a sum of a few rows of `x`: out row r = Σ coefficient[j] · x row
/// row_of[j] for j in terms[r] ..< terms[r + 1], in order (zero where a row has no terms).
static void K(combine_rows)(size_t rows, size_t width, const size_t *terms, const size_t *row_of, const float *coefficient,
                            const float *x, float *out) {
  for (size_t r = 0; r < rows; r++) {
    float *restrict o = out + r * width;
    if (terms[r] == terms[r + 1]) {
      memset(o, 0, width * sizeof(float));
      continue;
    }
    const float *restrict first = x + row_of[terms[r]] * width;
    const float c0 = coefficient[terms[r]];
    for (size_t i = 0; i < width; i++) o[i] = c0 * first[i];
    for (size_t j = terms[r] + 1; j < terms[r + 1]; j++) {
      const float *restrict row = x + row_of[j] * width;
      const float c = coefficient[j];
      for (size_t i = 0; i < width; i++) o[i] += c * row[i];
    }
  }
}

// MARK: - Anomaly scores

/// The parts' sum in one streaming pass, added in a fixed order (part 0 + part 1, then + part 2,
/// ...), as adding them one at a time was.
static void K(add_parts)(size_t n, size_t parts, const float *const *part, float *out) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    float total[64];
    for (int j = 0; j < 64; j++) total[j] = part[0][i + j];
    for (size_t k = 1; k < parts; k++)
      for (int j = 0; j < 64; j++) total[j] += part[k][i + j];
    for (int j = 0; j < 64; j++) out[i + j] = total[j];
  }
  for (; i < n; i++) {
    float total = part[0][i];
    for (size_t k = 1; k < parts; k++) total += part[k][i];
    out[i] = total;
  }
}

/// Copies a grid of `images × rows × cols` cells of `depth` floats from `src` to `dst`, each side
/// with its own strides (in floats) between images, rows and cells: the gather and scatter of a
/// convolution's output phases (every second cell of every second row, and back).
static void K(copy_cells)(size_t images, size_t rows, size_t cols, size_t depth, const float *src, const float *mask,
                          size_t src_image, size_t src_row, size_t src_cell, float *dst, size_t dst_image, size_t dst_row,
                          size_t dst_cell) {
  for (size_t n = 0; n < images; n++)
    for (size_t r = 0; r < rows; r++) {
      const float *s = src + n * src_image + r * src_row;
      float *d = dst + n * dst_image + r * dst_row;
      if (mask) {  // a relu's gradient: kept where its output is above zero
        const float *m = mask + n * src_image + r * src_row;
        for (size_t c = 0; c < cols; c++) {
          const float *restrict sc = s + c * src_cell, *restrict mc = m + c * src_cell;
          float *restrict dc = d + c * dst_cell;
          for (size_t v = 0; v < depth; v++) {
            const float value = sc[v];
            dc[v] = mc[v] > 0.0f ? value : 0.0f;
          }
        }
      } else if (depth == 1) {
        for (size_t c = 0; c < cols; c++) d[c * dst_cell] = s[c * src_cell];
      } else if (depth % 8 == 0) {
        for (size_t c = 0; c < cols; c++)
          for (size_t v = 0; v < depth; v += 8) aek_store8(d + c * dst_cell + v, aek_load8(s + c * src_cell + v));
      } else {
        for (size_t c = 0; c < cols; c++)
          for (size_t v = 0; v < depth; v++) d[c * dst_cell + v] = s[c * src_cell + v];
      }
    }
}

/// Along rows of zero-padded planes (`span` values from `in`, rows padded by at least `radius`
/// zeros on each side, so a shift stays within the row's own padding): out[q] = Σ_k taps ·
/// in[q ± k], eight values at a time, the taps unrolled for the usual radii; then the tail.
static void K(blur_padded_rows)(const float *in, float *out, size_t span, const float *half_taps,
                                size_t radius) {
  size_t q = 0;
#define AEK_ACROSS(R)                                                                                \
  for (; q + 8 <= span; q += 8) {                                                                    \
    aek_v8 value = half_taps[0] * aek_load8(in + q);                                                 \
    for (size_t k = 1; k <= (R); k++) value += half_taps[k] * (aek_load8(in + q - k) + aek_load8(in + q + k)); \
    aek_store8(out + q, value);                                                                      \
  }
  switch (radius) {
    case 1: AEK_ACROSS(1) break;
    case 2: AEK_ACROSS(2) break;
    case 3: AEK_ACROSS(3) break;
    case 4: AEK_ACROSS(4) break;
    case 5: AEK_ACROSS(5) break;
    default: AEK_ACROSS(radius) break;
  }
#undef AEK_ACROSS
  for (; q < span; q++) {
    float value = half_taps[0] * in[q];
    for (size_t k = 1; k <= radius; k++) value += half_taps[k] * (in[q - k] + in[q + k]);
    out[q] = value;
  }
}

/// The sum over a `height × width × channels` example (channels last) of the squared (or absolute)
/// residual x − y after a separable blur of each channel plane by the symmetric taps
/// `half_taps[0]` (centre) … `half_taps[radius]`, zero outside the plane. `map`, where not null,
/// receives each value's term.
///
/// The residual is laid in a plane padded by `radius` zeros on every side (rows of stride
/// `width + 2·radius`), so both passes run over whole padded rows at once, every tap a shifted
/// load, with no edge cases: along rows into a second padded plane, then along columns with the
/// terms summed where `mask` (1 on the image's columns, 0 on the padding; `height` padded rows) says.
/// `scratch` holds two padded planes, zero before the first call (their padding stays zero).
static double K(smoothed_residual)(size_t height, size_t width, size_t channels,
                                   const float *x, const float *y,
                                   const float *half_taps, size_t radius, int squares,
                                   float *scratch, const float *mask, float *map) {
  const size_t stride = width + 2 * radius, padded = (height + 2 * radius) * stride;
  const size_t first = radius * stride, span = height * stride;  // the image's rows, padding columns included
  float *restrict residual = scratch, *restrict across = scratch + padded;
  double total = 0;
  for (size_t c = 0; c < channels; c++) {
    for (size_t i = 0; i < height; i++) {
      float *row = residual + (radius + i) * stride + radius;
      const float *xr = x + i * width * channels + c, *yr = y + i * width * channels + c;
      if (channels == 1) {
        for (size_t j = 0; j < width; j++) row[j] = xr[j] - yr[j];
      } else {
        for (size_t j = 0; j < width; j++) row[j] = xr[j * channels] - yr[j * channels];
      }
    }
    // Along rows, then along columns (shifts by whole padded rows, zero above and below the
    // image), squared or absolute, summed on the image's columns.
    K(blur_padded_rows)(residual + first, across + first, span, half_taps, radius);
    aek_v8 lanes = 0;
    const float *in = across + first;
    size_t q = 0;
#define AEK_DOWN(R, TERM)                                                                            \
  for (; q + 8 <= span; q += 8) {                                                                    \
    aek_v8 value = half_taps[0] * aek_load8(in + q);                                                 \
    for (size_t k = 1; k <= (R); k++)                                                                \
      value += half_taps[k] * (aek_load8(in + q - k * stride) + aek_load8(in + q + k * stride));     \
    lanes += aek_load8(mask + q) * (TERM);                                                           \
  }
#define AEK_DOWN_RADII(TERM)                  \
  switch (radius) {                           \
    case 1: AEK_DOWN(1, TERM) break;          \
    case 2: AEK_DOWN(2, TERM) break;          \
    case 3: AEK_DOWN(3, TERM) break;          \
    case 4: AEK_DOWN(4, TERM) break;          \
    default: AEK_DOWN(radius, TERM) break;    \
  }
    if (squares) {
      AEK_DOWN_RADII(value * value)
    } else {
      AEK_DOWN_RADII(__builtin_elementwise_abs(value))
    }
#undef AEK_DOWN_RADII
#undef AEK_DOWN
    double sum = 0;
    for (; q < span; q++) {
      float value = half_taps[0] * in[q];
      for (size_t k = 1; k <= radius; k++) value += half_taps[k] * (in[q - k * stride] + in[q + k * stride]);
      sum += mask[q] * (squares ? value * value : fabsf(value));
    }
    for (int e = 0; e < 8; e++) sum += lanes[e];
    total += sum;
    if (map) {
      for (size_t i = 0; i < height; i++) {
        for (size_t j = 0; j < width; j++) {
          const size_t p = i * stride + radius + j;
          float value = half_taps[0] * in[p];
          for (size_t k = 1; k <= radius; k++) value += half_taps[k] * (in[p - k * stride] + in[p + k * stride]);
          map[(i * width + j) * channels + c] = squares ? value * value : fabsf(value);
        }
      }
    }
  }
  return total;
}

/// Along columns of a plane padded by `radius` zero rows above and below: out[q] =
/// Σ_k taps · in[q ± k·stride], eight values at a time.
static void K(blur_padded_columns)(const float *in, float *out, size_t span, size_t stride,
                                   const float *half_taps, size_t radius) {
  size_t q = 0;
  for (; q + 8 <= span; q += 8) {
    aek_v8 value = half_taps[0] * aek_load8(in + q);
    for (size_t k = 1; k <= radius; k++)
      value += half_taps[k] * (aek_load8(in + q - k * stride) + aek_load8(in + q + k * stride));
    aek_store8(out + q, value);
  }
  for (; q < span; q++) {
    float value = half_taps[0] * in[q];
    for (size_t k = 1; k <= radius; k++) value += half_taps[k] * (in[q - k * stride] + in[q + k * stride]);
    out[q] = value;
  }
}

/// 1 − SSIM at one value from the window's sums of x, y, x², y² and xy and 1 / its mass.
static inline float K(ssim_term)(float inv_mass, float sx, float sy, float sxx, float syy, float sxy,
                                 float c1, float c2) {
  const float ax = sx * inv_mass, ay = sy * inv_mass;
  const float vx = sxx * inv_mass - ax * ax, vy = syy * inv_mass - ay * ay, cxy = sxy * inv_mass - ax * ay;
  return 1.0f - ((2 * ax * ay + c1) * (2 * cxy + c2)) / ((ax * ax + ay * ay + c1) * (vx + vy + c2));
}

/// The sum over a `height × width × channels` example of 1 − SSIM(x, y) at each value: local means,
/// variances and covariance under a Gaussian window (symmetric taps `half_taps`, `radius`), each
/// divided by the window's mass inside the image, `inv_mass` holding 1/mass on the image's
/// columns of each row padded by `radius` and 0 on the padding (which then adds nothing).
/// `scratch` holds ten planes padded by `radius` on every side, zero before the first call, and
/// five of height·(width + 2·radius); `map`, where not null, receives each value's term.
static double K(ssim_dissimilarity)(size_t height, size_t width, size_t channels, const float *x,
                                    const float *y, const float *half_taps, size_t radius,
                                    float c1, float c2, const float *inv_mass, float *scratch,
                                    float *map) {
  const size_t stride = width + 2 * radius, padded = (height + 2 * radius) * stride;
  const size_t first = radius * stride, span = height * stride;
  float *planes = scratch, *across = scratch + 5 * padded, *local = scratch + 10 * padded;
  double total = 0;
  for (size_t c = 0; c < channels; c++) {
    for (size_t i = 0; i < height; i++) {
      for (size_t j = 0; j < width; j++) {
        const float a = x[(i * width + j) * channels + c], b = y[(i * width + j) * channels + c];
        const size_t p = first + i * stride + radius + j;
        planes[p] = a;
        planes[padded + p] = b;
        planes[2 * padded + p] = a * a;
        planes[3 * padded + p] = b * b;
        planes[4 * padded + p] = a * b;
      }
    }
    for (size_t k = 0; k < 5; k++) {
      K(blur_padded_rows)(planes + k * padded + first, across + k * padded + first, span, half_taps, radius);
      K(blur_padded_columns)(across + k * padded + first, local + k * span, span, stride, half_taps, radius);
    }
    const float *mx = local, *my = local + span, *xx = local + 2 * span, *yy = local + 3 * span, *xy = local + 4 * span;
    float lanes[8] = {0};
    size_t q = 0;
    for (; q + 8 <= span; q += 8) {
      for (size_t e = 0; e < 8; e++)
        lanes[e] += K(ssim_term)(inv_mass[q + e], mx[q + e], my[q + e], xx[q + e], yy[q + e], xy[q + e], c1, c2);
    }
    double sum = 0;
    for (; q < span; q++) sum += K(ssim_term)(inv_mass[q], mx[q], my[q], xx[q], yy[q], xy[q], c1, c2);
    for (size_t e = 0; e < 8; e++) sum += lanes[e];
    total += sum;
    if (map) {
      for (size_t i = 0; i < height; i++) {
        for (size_t j = 0; j < width; j++) {
          const size_t s = i * stride + radius + j;
          map[(i * width + j) * channels + c] = K(ssim_term)(inv_mass[s], mx[s], my[s], xx[s], yy[s], xy[s], c1, c2);
        }
      }
    }
  }
  return total;
}
