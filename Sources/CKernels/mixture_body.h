// The body of mixture.c, compiled once per SIMD level like kernels_body.h (K(name) defined by the
// includer). Four values at a time, all of one channel (so the mixture's parameters are the same
// in every lane): each logistic's two interval ends need one exponential each, here a polynomial
// in eight lanes (both ends of four values) instead of a call to the C library per end.

#ifndef AEK_MIXTURE_TYPES_DEFINED
#define AEK_MIXTURE_TYPES_DEFINED
typedef double aek_d4 __attribute__((ext_vector_type(4)));
typedef long aek_l4 __attribute__((ext_vector_type(4)));
typedef double aek_d8 __attribute__((ext_vector_type(8)));
typedef long aek_l8 __attribute__((ext_vector_type(8)));

/// One logistic's part of four values' masses, and what their gradients need.
typedef struct {
  aek_d4 above, below, mass, density_above, density_below;
} aek_mixture_part4;
#endif

/// e^x for x <= 0, eight lanes (a logistic's two interval ends for four values): 2^k · e^r with
/// k = round(x / ln 2) and r = x − k·ln 2 in [−ln 2 / 2, ln 2 / 2] (ln 2 in two parts, so r is
/// exact), e^r by its Taylor series to r¹² (the next term is under 2·10⁻¹⁶ of it) in Estrin's
/// order: four multiplications deep where Horner's rule is twelve, since each exponential waits
/// on its own chain (Horner's chain and the product after it held about 40% of the kernel's
/// samples). x is taken no lower than −708, where e^x is under 10⁻³⁰⁷ and 2^k still a normal
/// number.
static inline aek_d8 K(exp_nonpositive8)(aek_d8 x) {
  x = __builtin_elementwise_max(x, (aek_d8)-708.0);
  const aek_d8 shifter = 6755399441055744.0;  // 1.5·2⁵²: adding it rounds to an integer, held in the low bits
  const aek_d8 lifted = x * 1.4426950408889634 + shifter;
  const aek_d8 k = lifted - shifter;
  const aek_d8 r = (x - k * 0.693147180369123816490) - k * 1.90821492927058770002e-10;
  const aek_d8 r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const aek_d8 q0 = 1.0 + r, q1 = 1.0 / 2 + r * (1.0 / 6), q2 = 1.0 / 24 + r * (1.0 / 120), q3 = 1.0 / 720 + r * (1.0 / 5040);
  const aek_d8 q4 = 1.0 / 40320 + r * (1.0 / 362880), q5 = 1.0 / 3628800 + r * (1.0 / 39916800);
  const aek_d8 h0 = q0 + r2 * q1, h1 = q2 + r2 * q3, h2 = q4 + r2 * q5;
  const aek_d8 p = (h0 + r4 * h1) + r8 * (h2 + r4 * (1.0 / 479001600));
  const aek_l8 scale = ((aek_l8)lifted - (aek_l8)shifter + 1023) << 52;
  return p * (aek_d8)scale;
}

/// Lanes of `yes` where `mask` is all ones, of `no` where it is zero.
static inline aek_d8 K(select8)(aek_l8 mask, aek_d8 yes, aek_d8 no) {
  return (aek_d8)(((aek_l8)yes & mask) | ((aek_l8)no & ~mask));
}
static inline aek_d4 K(select4)(aek_l4 mask, aek_d4 yes, aek_d4 no) {
  return (aek_d4)(((aek_l4)yes & mask) | ((aek_l4)no & ~mask));
}

/// σ(t) and 1 − σ(t) from e = e^−|t|, each without cancellation.
static inline void K(sigmoid_and_complement8)(aek_d8 t, aek_d8 *s, aek_d8 *c) {
  const aek_d8 e = K(exp_nonpositive8)(-__builtin_elementwise_abs(t)), large = 1.0 / (1.0 + e), small = e * large;
  const aek_l8 positive = t >= 0.0;
  *s = K(select8)(positive, large, small);
  *c = K(select8)(positive, small, large);
}

/// log₂ x for four positive lanes (NaN and +∞ pass through): x = 2^e · m with m in [√½, √2),
/// ln m = 2·atanh(s) = 2(s + s³/3 + s⁵/5 + ...) for s = (m − 1)/(m + 1), |s| < 0.172, to s²¹
/// (the next term under 10⁻¹⁷ of it). The C library's, a call per lane, took a fifth of the
/// kernel's time.
static inline aek_d4 K(log2_positive4)(aek_d4 x) {
  const aek_l4 bits = (aek_l4)x;
  aek_d4 m = (aek_d4)((bits & 0x000fffffffffffffL) | 0x3ff0000000000000L);
  const aek_l4 high = m > 1.4142135623730951;
  m = K(select4)(high, m * 0.5, m);
  const aek_d4 e = __builtin_convertvector(((bits >> 52) & 0x7ff) - 1023 - high, aek_d4);  // high is −1 where true
  const aek_d4 s = (m - 1.0) / (m + 1.0), z = s * s, z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
  const aek_d4 a0 = 1.0 + z * (1.0 / 3), a1 = 1.0 / 5 + z * (1.0 / 7), a2 = 1.0 / 9 + z * (1.0 / 11), a3 = 1.0 / 13 + z * (1.0 / 15);
  const aek_d4 a4 = 1.0 / 17 + z * (1.0 / 19);
  const aek_d4 series = ((a0 + z2 * a1) + z4 * (a2 + z2 * a3)) + z8 * (a4 + z2 * (1.0 / 21));
  const aek_d4 result = e + (2.0 * 1.4426950408889634) * s * series;
  return K(select4)(x < __builtin_inf(), result, x);
}

/// `inverse` is 1 / the logistic's scale: a product per end where a quotient took twice the
/// divider's time (the divisions were most of the kernel's latency).
static inline aek_mixture_part4 K(mixture_part4)(aek_d4 value, double mean, double inverse) {
  aek_mixture_part4 p;
  // Both ends of the four values' intervals in one eight-lane vector.
  const aek_d8 ends = (__builtin_shufflevector(value + 0.5, value - 0.5, 0, 1, 2, 3, 4, 5, 6, 7) - mean) * inverse;
  aek_d8 s, c;
  K(sigmoid_and_complement8)(ends, &s, &c);
  p.above = __builtin_shufflevector(ends, ends, 0, 1, 2, 3);
  p.below = __builtin_shufflevector(ends, ends, 4, 5, 6, 7);
  const aek_d4 sa = __builtin_shufflevector(s, s, 0, 1, 2, 3), sb = __builtin_shufflevector(s, s, 4, 5, 6, 7);
  const aek_d4 ca = __builtin_shufflevector(c, c, 0, 1, 2, 3), cb = __builtin_shufflevector(c, c, 4, 5, 6, 7);
  // σ(a) − σ(b) loses its digits when both are near 1: there, (1 − σ(b)) − (1 − σ(a)).
  p.mass = __builtin_elementwise_max(K(select4)(p.above + p.below > 0.0, cb - ca, sa - sb), (aek_d4)0.0);
  p.density_above = sa * ca;
  p.density_below = sb * cb;
  return p;
}

/// Values first + 4·q·channels ... of `values` (one channel's, `channels` apart), the last
/// repeated past `count`.
static inline aek_d4 K(channel_values4)(const float *values, size_t channels, size_t count) {
  aek_d4 v;
  for (size_t lane = 0; lane < 4; lane++) v[lane] = values[(lane < count ? lane : count - 1) * channels];
  return v;
}

/// One group of four values of a channel (slots `first` ..< `first + k`, `inverses` their scales'
/// inverses): each logistic's part in `parts`, and the mixture's probability of each value
/// (unbounded); the bits of the first `count` lanes, −log₂ of it bounded below by `smallest`, are
/// taken from `total` (both passes sum them in one order).
static inline aek_d4 K(mixture_group)(aek_d4 value, size_t first, size_t k, const double *weights, const double *means,
                                      const double *inverses, double smallest, size_t count, aek_mixture_part4 *parts,
                                      double *total) {
  aek_d4 probability = 0.0;
  for (size_t j = 0; j < k; j++) {
    parts[j] = K(mixture_part4)(value, means[first + j], inverses[j]);
    probability += weights[first + j] * parts[j].mass;
  }
  const aek_d4 bits = K(log2_positive4)(__builtin_elementwise_max(probability, (aek_d4)smallest));
  for (size_t lane = 0; lane < count; lane++) *total -= bits[lane];
  return probability;
}

static double K(mixture_bits)(size_t n, size_t channels, size_t k, const float *values, const double *weights,
                              const double *means, const double *scales, double smallest) {
  const size_t positions = n / channels;
  double total = 0;
  aek_mixture_part4 parts[AEK_MIXTURE_MAX_COMPONENTS];
  double inverses[AEK_MIXTURE_MAX_COMPONENTS];
  for (size_t channel = 0; channel < channels; channel++) {
    for (size_t j = 0; j < k; j++) inverses[j] = 1.0 / scales[channel * k + j];
    for (size_t q = 0; q < positions; q += 4) {
      const size_t count = positions - q < 4 ? positions - q : 4;
      const aek_d4 value = K(channel_values4)(values + q * channels + channel, channels, count);
      K(mixture_group)(value, channel * k, k, weights, means, inverses, smallest, count, parts, &total);
    }
  }
  return total;
}

/// The gradients (times `g`), and the bits as mixture_bits sums them: one pass for both.
static double K(mixture_bits_backward)(size_t n, size_t channels, size_t k, const float *values, const double *weights,
                                       const double *means, const double *scales, double smallest, double g, float *code_gradient,
                                       double *logit_gradient, double *mean_gradient, double *scale_gradient) {
  const size_t positions = n / channels;
  double total = 0;
  aek_mixture_part4 parts[AEK_MIXTURE_MAX_COMPONENTS];
  for (size_t channel = 0; channel < channels; channel++) {
    const size_t first = channel * k;
    aek_d4 logits[AEK_MIXTURE_MAX_COMPONENTS], locations[AEK_MIXTURE_MAX_COMPONENTS], widths[AEK_MIXTURE_MAX_COMPONENTS];
    double inverses[AEK_MIXTURE_MAX_COMPONENTS];
    for (size_t j = 0; j < k; j++) logits[j] = locations[j] = widths[j] = 0.0, inverses[j] = 1.0 / scales[first + j];
    for (size_t q = 0; q < positions; q += 4) {
      const size_t count = positions - q < 4 ? positions - q : 4;
      const aek_d4 value = K(channel_values4)(values + q * channels + channel, channels, count);
      const aek_d4 probability = K(mixture_group)(value, first, k, weights, means, inverses, smallest, count, parts, &total);
      // ∂bits/∂P times the upstream gradient; zero in the lanes past the values.
      aek_d4 factor = -g / __builtin_elementwise_max(probability, (aek_d4)smallest);
      for (size_t lane = count; lane < 4; lane++) factor[lane] = 0.0;
      aek_d4 dy = 0.0;
      for (size_t j = 0; j < k; j++) {
        const aek_mixture_part4 p = parts[j];
        const double w = weights[first + j];
        const aek_d4 slope = (p.density_above - p.density_below) * inverses[j];  // ∂mass/∂ỹ = −∂mass/∂μ
        dy += w * slope;
        locations[j] -= factor * w * slope;
        widths[j] -= factor * w * (p.density_above * p.above - p.density_below * p.below);
        logits[j] += factor * w * (p.mass - probability);
      }
      const aek_d4 gradient = factor * dy;
      for (size_t lane = 0; lane < count; lane++) code_gradient[(q + lane) * channels + channel] = (float)gradient[lane];
    }
    for (size_t j = 0; j < k; j++) {  // the lanes' sums, in a fixed order
      mean_gradient[first + j] += (locations[j][0] + locations[j][1]) + (locations[j][2] + locations[j][3]);
      scale_gradient[first + j] += (widths[j][0] + widths[j][1]) + (widths[j][2] + widths[j][3]);
      logit_gradient[first + j] += (logits[j][0] + logits[j][1]) + (logits[j][2] + logits[j][3]);
    }
  }
  return total;
}
