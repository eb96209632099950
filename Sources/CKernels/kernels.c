// Element-wise kernels: kernels_body.h (and the convolutions' bodies) compiled once per SIMD level
// by simd_levels.h, and the dispatch to the best level this CPU runs.
#include "CKernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AEK_LEVEL_BODY "kernels_bodies.h"
#include "simd_levels.h"

static int process_level = -1;  // set once; racing first calls compute the same value
static _Thread_local int thread_level = -1;  // a scoped choice for this thread, or -1

static aek_simd_level initial_level(void) {
  aek_simd_level best = aek_cpu_simd_level();
  const char *requested = getenv("AUTOENCODERKIT_SIMD");
  if (requested) {
    aek_simd_level wanted = best;
    if (strcasecmp(requested, "baseline") == 0) wanted = AEK_SIMD_BASELINE;
    if (strcasecmp(requested, "avx2") == 0) wanted = AEK_SIMD_AVX2;
    if (strcasecmp(requested, "avx512") == 0) wanted = AEK_SIMD_AVX512;
    if (wanted < best) best = wanted;
  }
  return best;
}

static aek_simd_level supported(aek_simd_level wanted) {
  aek_simd_level best = aek_cpu_simd_level();
  return wanted < best ? wanted : best;
}

aek_simd_level aek_kernels_level(void) {
  if (thread_level >= 0) return (aek_simd_level)thread_level;
  if (process_level < 0) process_level = initial_level();
  return (aek_simd_level)process_level;
}

int aek_kernels_set_thread_level(int wanted) {
  int previous = thread_level;
  thread_level = wanted < 0 ? -1 : (int)supported((aek_simd_level)wanted);
  return previous;
}

#if defined(__x86_64__)
#define DISPATCH(ret, name, params, args)                    \
  ret aek_##name params {                                    \
    switch (aek_kernels_level()) {                           \
      case AEK_SIMD_AVX512: return k_##name##_avx512 args;   \
      case AEK_SIMD_AVX2: return k_##name##_avx2 args;       \
      default: return k_##name##_baseline args;              \
    }                                                        \
  }
#else
#define DISPATCH(ret, name, params, args) \
  ret aek_##name params { return k_##name##_baseline args; }
#endif

#define DISPATCH_UNARY(name) \
  DISPATCH(void, name, (size_t n, const float *x, float *y), (n, x, y))

DISPATCH_UNARY(exp)
DISPATCH_UNARY(log)
DISPATCH_UNARY(sqrt)
DISPATCH_UNARY(abs)
DISPATCH_UNARY(sign)
DISPATCH_UNARY(relu)
DISPATCH_UNARY(sigmoid)
DISPATCH_UNARY(tanh)
DISPATCH_UNARY(softplus)
DISPATCH(void, leaky_relu, (size_t n, float slope, const float *x, float *y), (n, slope, x, y))
DISPATCH(void, clamp, (size_t n, float low, float high, const float *x, float *y),
         (n, low, high, x, y))
DISPATCH(void, affine, (size_t n, float a, float b, const float *x, float *y), (n, a, b, x, y))

DISPATCH(void, gdn_forward_rows,
         (size_t rows, size_t channels, int inverse, const float *x, const float *beta, const float *gamma, float *norms,
          float *y, float *scratch),
         (rows, channels, inverse, x, beta, gamma, norms, y, scratch))
DISPATCH(void, gdn_backward_rows,
         (size_t rows, size_t channels, int inverse, const float *x, const float *norms, const float *g,
          const float *gamma, float *input_gradient, float *beta_gradient, float *gamma_gradient, float *scratch),
         (rows, channels, inverse, x, norms, g, gamma, input_gradient, beta_gradient, gamma_gradient, scratch))

size_t aek_gdn_scratch_floats(size_t channels) { return 2 * k_gdn_block_rows_baseline(channels) * channels; }

DISPATCH(void, relu_backward, (size_t n, const float *g, const float *y, float *out),
         (n, g, y, out))
DISPATCH(void, leaky_relu_backward,
         (size_t n, float slope, const float *g, const float *x, float *out),
         (n, slope, g, x, out))
DISPATCH(void, lstm_cell, (size_t units, float *gates, const float *c_prev, float *c, float *c_tanh, float *h),
         (units, gates, c_prev, c, c_tanh, h))
DISPATCH(void, lstm_cell_backward,
         (size_t units, const float *gates, const float *c_prev, const float *c_tanh, const float *dy, const float *dh_next, float *dc,
          float *dz),
         (units, gates, c_prev, c_tanh, dy, dh_next, dc, dz))
DISPATCH(void, gru_cell, (size_t units, float *a, const float *m, const float *h_prev, float *h), (units, a, m, h_prev, h))
DISPATCH(void, gru_cell_backward,
         (size_t units, const float *gates, const float *m, const float *h_prev, const float *dy, const float *dh_next, float *da,
          float *dm, float *carried),
         (units, gates, m, h_prev, dy, dh_next, da, dm, carried))
DISPATCH(void, sigmoid_backward, (size_t n, const float *g, const float *y, float *out),
         (n, g, y, out))
DISPATCH(void, tanh_backward, (size_t n, const float *g, const float *y, float *out),
         (n, g, y, out))
DISPATCH(void, clamp_backward,
         (size_t n, float low, float high, const float *g, const float *x, float *out),
         (n, low, high, g, x, out))

DISPATCH(void, binary,
         (aek_binary_op op, size_t n, const float *a, size_t a_step, const float *b,
          size_t b_step, float *out),
         (op, n, a, a_step, b, b_step, out))
DISPATCH(void, binary_row,
         (aek_binary_op op, size_t rows, size_t cols, const float *a, const float *row,
          float *out),
         (op, rows, cols, a, row, out))

DISPATCH(void, copy_cells,
         (size_t images, size_t rows, size_t cols, size_t depth, const float *src, const float *mask, size_t src_image,
          size_t src_row, size_t src_cell, float *dst, size_t dst_image, size_t dst_row, size_t dst_cell),
         (images, rows, cols, depth, src, mask, src_image, src_row, src_cell, dst, dst_image, dst_row, dst_cell))

DISPATCH(void, add_parts, (size_t n, size_t parts, const float *const *part, float *out), (n, parts, part, out))

DISPATCH(double, sum, (size_t n, const float *x), (n, x))
DISPATCH(double, sum_squares, (size_t n, const float *x), (n, x))
DISPATCH(void, sum_axis, (size_t outer, size_t axis, size_t inner, const float *x, float *out),
         (outer, axis, inner, x, out))

DISPATCH(double, bce_logits, (size_t n, const float *logits, const float *targets),
         (n, logits, targets))
DISPATCH(double, bce_logits_fused,
         (size_t n, float scale, const float *logits, const float *targets, float *grad),
         (n, scale, logits, targets, grad))
DISPATCH(void, bce_logits_backward,
         (size_t n, float scale, const float *logits, const float *targets, float *grad),
         (n, scale, logits, targets, grad))
DISPATCH(void, bce_logits_rows,
         (size_t rows, size_t cols, const float *logits, const float *targets, float *row_sums),
         (rows, cols, logits, targets, row_sums))

DISPATCH(void, adam_update,
         (size_t n, float alpha, float beta1, float beta2, float epsilon, const float *grad,
          float *m, float *v, float *param),
         (n, alpha, beta1, beta2, epsilon, grad, m, v, param))
DISPATCH(void, rmsprop_update,
         (size_t n, float learning_rate, float rho, float momentum, float epsilon,
          const float *grad, float *v, float *mom, float *param),
         (n, learning_rate, rho, momentum, epsilon, grad, v, mom, param))
DISPATCH(void, sgd_update,
         (size_t n, float learning_rate, float momentum, int nesterov, const float *grad,
          float *m, float *param),
         (n, learning_rate, momentum, nesterov, grad, m, param))

DISPATCH(void, normal_from_uniform, (size_t half, const float *u, float mean, float std, float *out),
         (half, u, mean, std, out))
DISPATCH(double, smoothed_residual,
         (size_t height, size_t width, size_t channels, const float *x, const float *y,
          const float *half_taps, size_t radius, int squares, float *scratch, const float *mask,
          float *map),
         (height, width, channels, x, y, half_taps, radius, squares, scratch, mask, map))
DISPATCH(double, ssim_dissimilarity,
         (size_t height, size_t width, size_t channels, const float *x, const float *y,
          const float *half_taps, size_t radius, float c1, float c2, const float *inv_mass,
          float *scratch, float *map),
         (height, width, channels, x, y, half_taps, radius, c1, c2, inv_mass, scratch, map))
DISPATCH(void, gather_rows_u8,
         (size_t count, size_t row_length, const int64_t *indices, const uint8_t *src,
          float divisor, float *dst),
         (count, row_length, indices, src, divisor, dst))
DISPATCH(void, gather_rows_f32,
         (size_t count, size_t row_length, const int64_t *indices, const float *src, float *dst),
         (count, row_length, indices, src, dst))
DISPATCH(void, transpose, (size_t rows, size_t cols, const float *x, float *out),
         (rows, cols, x, out))
DISPATCH(void, combine_rows,
         (size_t rows, size_t width, const size_t *terms, const size_t *row_of, const float *coefficient, const float *x, float *out),
         (rows, width, terms, row_of, coefficient, x, out))

DISPATCH(void, im2col, (const aek_conv_geometry *g, size_t count, const float *image, float *cols),
         (g, count, image, cols))
DISPATCH(void, col2im, (const aek_conv_geometry *g, size_t count, const float *cols, float *image),
         (g, count, cols, image))
DISPATCH(void, max_pool, (const aek_conv_geometry *g, size_t count, const float *x, float *y, int32_t *argmax),
         (g, count, x, y, argmax))
DISPATCH(void, max_pool_backward,
         (const aek_conv_geometry *g, size_t count, const float *dy, const int32_t *argmax, float *dx),
         (g, count, dy, argmax, dx))
DISPATCH(void, upsample_nearest,
         (size_t count, size_t height, size_t width, size_t channels, size_t factor_h, size_t factor_w,
          const float *x, float *y),
         (count, height, width, channels, factor_h, factor_w, x, y))
DISPATCH(void, upsample_nearest_backward,
         (size_t count, size_t height, size_t width, size_t channels, size_t factor_h, size_t factor_w,
          const float *dy, float *dx),
         (count, height, width, channels, factor_h, factor_w, dy, dx))
DISPATCH(void, fill_rows, (size_t rows, size_t cols, const float *row, float *out), (rows, cols, row, out))
DISPATCH(size_t, conv_direct_scratch, (const aek_conv_geometry *g, long filters), (g, filters))
DISPATCH(void, conv_direct,
         (const aek_conv_geometry *g, size_t count, long filters, const float *x, const float *x_mask,
          float *x_sums, const float *w, const float *bias, int relu, const aek_direct_resampling *r, float *y,
          float *scratch),
         (g, count, filters, x, x_mask, x_sums, w, bias, relu, r, y, scratch))
DISPATCH(void, conv_direct_weight_gradient,
         (const aek_conv_geometry *g, size_t count, long filters, const float *x, const float *x_mask,
          float *x_sums, const float *dy, const float *dy_mask, int accumulate, float *dw,
          float *dy_sums, const float *w_forward, float *y_forward, const aek_direct_resampling *r,
          float *scratch),
         (g, count, filters, x, x_mask, x_sums, dy, dy_mask, accumulate, dw, dy_sums, w_forward,
          y_forward, r, scratch))
DISPATCH(void, window_gather, (const aek_conv_geometry *g, size_t count, long filters, const float *z, float *y),
         (g, count, filters, z, y))
DISPATCH(void, window_scatter, (const aek_conv_geometry *g, size_t count, long filters, const float *dy, float *dz),
         (g, count, filters, dy, dz))
DISPATCH(void, add_column_sums, (size_t rows, size_t cols, const float *x, float *out), (rows, cols, x, out))
DISPATCH(void, wt2_input,
         (size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw, const float *x, const float *zeros, float *v),
         (count, h, w, c, th, tw, x, zeros, v))
DISPATCH(void, wt2_input_backward,
         (size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw, const float *dv, float *dx),
         (count, h, w, c, th, tw, dv, dx))
DISPATCH(void, wt2_output,
         (size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *m, const float *bias, int relu,
          float *sink, float *y),
         (count, oh, ow, f, th, tw, m, bias, relu, sink, y))
DISPATCH(void, wt2_output_backward,
         (size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *dy, const float *zeros, float *dm),
         (count, oh, ow, f, th, tw, dy, zeros, dm))
DISPATCH(void, wf23_input,
         (size_t count, size_t h, size_t w, size_t c, size_t pad, size_t th, size_t tw, const float *x, const float *zeros, float *v),
         (count, h, w, c, pad, th, tw, x, zeros, v))
DISPATCH(void, wf23_input_backward,
         (size_t count, size_t h, size_t w, size_t c, size_t pad, size_t th, size_t tw, const float *dv, float *sink, float *dx),
         (count, h, w, c, pad, th, tw, dv, sink, dx))
DISPATCH(void, wf23_output,
         (size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *m, const float *bias, int relu,
          float *y),
         (count, oh, ow, f, th, tw, m, bias, relu, y))
DISPATCH(void, wf23_output_backward,
         (size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *dy, const float *zeros, float *dm),
         (count, oh, ow, f, th, tw, dy, zeros, dm))
DISPATCH(void, wt5_input,
         (size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw, const float *x, const float *zeros, float *v),
         (count, h, w, c, th, tw, x, zeros, v))
DISPATCH(void, wt5_input_backward,
         (size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw, const float *dv, float *sink, float *dx),
         (count, h, w, c, th, tw, dv, sink, dx))
DISPATCH(void, wt5_output,
         (size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *m, const float *bias, int relu,
          float *sink, float *y),
         (count, oh, ow, f, th, tw, m, bias, relu, sink, y))
DISPATCH(void, wt5_output_backward,
         (size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *dy, const float *zeros, float *dm),
         (count, oh, ow, f, th, tw, dy, zeros, dm))
