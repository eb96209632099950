// The bits of a rate-trained codec's code under its factorized density (NN/FactorizedDensity.swift
// says what it is): per value, a mixture of K logistics' mass on the unit interval around it. In
// double precision, one exponential per interval end; the same operations, in the same order, as
// the Swift definition they replace, so the same bits.
#include "CKernels.h"

#include <math.h>

typedef struct {
  double above, below, mass, density_above, density_below;
} mixture_part;

// σ(t) and 1 − σ(t) from e = exp(−|t|), each without cancellation.
static inline void sigmoid_and_complement(double t, double *s, double *c) {
  const double e = exp(-fabs(t)), small = e / (1 + e), large = 1 / (1 + e);
  if (t >= 0) {
    *s = large;
    *c = small;
  } else {
    *s = small;
    *c = large;
  }
}

static inline mixture_part part(double value, double mean, double scale) {
  mixture_part p;
  p.above = (value + 0.5 - mean) / scale;
  p.below = (value - 0.5 - mean) / scale;
  double sa, ca, sb, cb;
  sigmoid_and_complement(p.above, &sa, &ca);
  sigmoid_and_complement(p.below, &sb, &cb);
  // σ(a) − σ(b) loses its digits when both are near 1: there, (1 − σ(b)) − (1 − σ(a)).
  const double mass = p.above + p.below > 0 ? cb - ca : sa - sb;
  p.mass = mass > 0 ? mass : 0;
  p.density_above = sa * (1 - sa);
  p.density_below = sb * (1 - sb);
  return p;
}

double aek_mixture_bits(size_t n, size_t channels, size_t k, const float *values, const double *weights, const double *means,
                        const double *scales, double smallest) {
  double total = 0;
  for (size_t i = 0; i < n; i++) {
    const size_t first = (i % channels) * k;
    const double value = values[i];
    double probability = 0;
    for (size_t slot = first; slot < first + k; slot++) probability += weights[slot] * part(value, means[slot], scales[slot]).mass;
    total -= log2(probability > smallest ? probability : smallest);
  }
  return total;
}

void aek_mixture_bits_backward(size_t n, size_t channels, size_t k, const float *values, const double *weights, const double *means,
                               const double *scales, double smallest, double g, float *code_gradient, double *logit_gradient,
                               double *mean_gradient, double *scale_gradient) {
  mixture_part parts[AEK_MIXTURE_MAX_COMPONENTS];
  for (size_t i = 0; i < n; i++) {
    const size_t first = (i % channels) * k;
    const double value = values[i];
    double probability = 0;
    for (size_t j = 0; j < k; j++) {
      parts[j] = part(value, means[first + j], scales[first + j]);
      probability += weights[first + j] * parts[j].mass;
    }
    const double factor = -g / (probability > smallest ? probability : smallest);  // ∂bits/∂P times the upstream gradient
    double dy = 0;
    for (size_t j = 0; j < k; j++) {
      const size_t slot = first + j;
      const mixture_part p = parts[j];
      const double w = weights[slot];
      const double slope = (p.density_above - p.density_below) / scales[slot];  // ∂mass/∂ỹ = −∂mass/∂μ
      dy += w * slope;
      mean_gradient[slot] -= factor * w * slope;
      scale_gradient[slot] -= factor * w * (p.density_above * p.above - p.density_below * p.below);
      logit_gradient[slot] += factor * w * (p.mass - probability);
    }
    code_gradient[i] = (float)(factor * dy);
  }
}
