// The body of mixture.c, compiled once per SIMD level like kernels_body.h (K(name) defined by the
// includer). Four values at a time, all of one channel (so the mixture's parameters are the same
// in every lane): each logistic's two interval ends need one exponential each, here a polynomial
// in four lanes instead of a call to the C library per end.

#ifndef AEK_MIXTURE_TYPES_DEFINED
#define AEK_MIXTURE_TYPES_DEFINED
typedef double aek_d4 __attribute__((ext_vector_type(4)));
typedef long aek_l4 __attribute__((ext_vector_type(4)));

/// One logistic's part of four values' masses, and what their gradients need.
typedef struct {
  aek_d4 above, below, mass, density_above, density_below;
} aek_mixture_part4;
#endif

/// e^x for x <= 0, four lanes: 2^k · e^r with k = round(x / ln 2) and r = x − k·ln 2 in
/// [−ln 2 / 2, ln 2 / 2] (ln 2 in two parts, so r is exact), e^r by its Taylor series to r¹²
/// (the next term is under 2·10⁻¹⁶ of it). x is taken no lower than −708, where e^x is under
/// 10⁻³⁰⁷ and 2^k still a normal number.
static inline aek_d4 K(exp_nonpositive4)(aek_d4 x) {
  x = __builtin_elementwise_max(x, (aek_d4)-708.0);
  const aek_d4 shifter = 6755399441055744.0;  // 1.5·2⁵²: adding it rounds to an integer, held in the low bits
  const aek_d4 lifted = x * 1.4426950408889634 + shifter;
  const aek_d4 k = lifted - shifter;
  const aek_d4 r = (x - k * 0.693147180369123816490) - k * 1.90821492927058770002e-10;
  aek_d4 p = 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const aek_l4 scale = ((aek_l4)lifted - (aek_l4)shifter + 1023) << 52;
  return p * (aek_d4)scale;
}

/// Lanes of `yes` where `mask` is all ones, of `no` where it is zero.
static inline aek_d4 K(select4)(aek_l4 mask, aek_d4 yes, aek_d4 no) {
  return (aek_d4)(((aek_l4)yes & mask) | ((aek_l4)no & ~mask));
}

/// σ(t) and 1 − σ(t) from e = e^−|t|, each without cancellation.
static inline void K(sigmoid_and_complement4)(aek_d4 t, aek_d4 *s, aek_d4 *c) {
  const aek_d4 e = K(exp_nonpositive4)(-__builtin_elementwise_abs(t)), large = 1.0 / (1.0 + e), small = e * large;
  const aek_l4 positive = t >= 0.0;
  *s = K(select4)(positive, large, small);
  *c = K(select4)(positive, small, large);
}

static inline aek_mixture_part4 K(mixture_part4)(aek_d4 value, double mean, double scale) {
  aek_mixture_part4 p;
  p.above = (value + 0.5 - mean) / scale;
  p.below = (value - 0.5 - mean) / scale;
  aek_d4 sa, ca, sb, cb;
  K(sigmoid_and_complement4)(p.above, &sa, &ca);
  K(sigmoid_and_complement4)(p.below, &sb, &cb);
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

/// One group of four values of a channel (slots `first` ..< `first + k`): each logistic's part in
/// `parts`, and the mixture's probability of each value (unbounded); the bits of the first `count`
/// lanes, −log₂ of it bounded below by `smallest`, are taken from `total` (both passes sum them in
/// one order).
static inline aek_d4 K(mixture_group)(aek_d4 value, size_t first, size_t k, const double *weights, const double *means,
                                      const double *scales, double smallest, size_t count, aek_mixture_part4 *parts,
                                      double *total) {
  aek_d4 probability = 0.0;
  for (size_t j = 0; j < k; j++) {
    parts[j] = K(mixture_part4)(value, means[first + j], scales[first + j]);
    probability += weights[first + j] * parts[j].mass;
  }
  const aek_d4 bounded = __builtin_elementwise_max(probability, (aek_d4)smallest);
  for (size_t lane = 0; lane < count; lane++) *total -= log2(bounded[lane]);
  return probability;
}

static double K(mixture_bits)(size_t n, size_t channels, size_t k, const float *values, const double *weights,
                              const double *means, const double *scales, double smallest) {
  const size_t positions = n / channels;
  double total = 0;
  aek_mixture_part4 parts[AEK_MIXTURE_MAX_COMPONENTS];
  for (size_t channel = 0; channel < channels; channel++)
    for (size_t q = 0; q < positions; q += 4) {
      const size_t count = positions - q < 4 ? positions - q : 4;
      const aek_d4 value = K(channel_values4)(values + q * channels + channel, channels, count);
      K(mixture_group)(value, channel * k, k, weights, means, scales, smallest, count, parts, &total);
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
    for (size_t j = 0; j < k; j++) logits[j] = locations[j] = widths[j] = 0.0;
    for (size_t q = 0; q < positions; q += 4) {
      const size_t count = positions - q < 4 ? positions - q : 4;
      const aek_d4 value = K(channel_values4)(values + q * channels + channel, channels, count);
      const aek_d4 probability = K(mixture_group)(value, first, k, weights, means, scales, smallest, count, parts, &total);
      // ∂bits/∂P times the upstream gradient; zero in the lanes past the values.
      aek_d4 factor = -g / __builtin_elementwise_max(probability, (aek_d4)smallest);
      for (size_t lane = count; lane < 4; lane++) factor[lane] = 0.0;
      aek_d4 dy = 0.0;
      for (size_t j = 0; j < k; j++) {
        const size_t slot = first + j;
        const aek_mixture_part4 p = parts[j];
        const double w = weights[slot];
        const aek_d4 slope = (p.density_above - p.density_below) / scales[slot];  // ∂mass/∂ỹ = −∂mass/∂μ
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
