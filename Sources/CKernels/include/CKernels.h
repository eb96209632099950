// CKernels: the C layer under TensorCore.
//
// Four parts:
//   - CPU features (cpu.c): what this processor and OS can run.
//   - A thread pool (pool.c): persistent workers for parallel regions.
//   - BLAS (blas.c): matrix products through OpenBLAS (loaded with dlopen on Linux, after choosing
//     its kernel family from the CPU features) or Accelerate (macOS).
//   - Element-wise kernels (kernels.c): each compiled for baseline x86-64, AVX2+FMA and AVX-512,
//     the best one the CPU runs picked once at load time. No build flags are needed, so the package
//     stays usable as a dependency, and the binary still runs on any x86-64.
//
// All arrays are contiguous Float32 unless said otherwise; `n` counts elements.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - CPU features

/// SIMD instruction-set levels the kernels are compiled for.
typedef enum {
  AEK_SIMD_BASELINE = 0,  // x86-64 SSE2, or the platform's baseline elsewhere (NEON on arm64)
  AEK_SIMD_AVX2 = 1,      // AVX2 + FMA (x86-64-v3)
  AEK_SIMD_AVX512 = 2,    // AVX-512 F/BW/DQ/VL (x86-64-v4)
} aek_simd_level;

/// The highest level this CPU and OS support (checks CPUID and the OS-enabled register state).
aek_simd_level aek_cpu_simd_level(void);
/// The CPU's brand string ("AMD EPYC", "Intel(R) Xeon(R) ..."), or "" where unknown.
const char *aek_cpu_brand(void);
/// 1 where the CPU supports AVX-512 F/BW/DQ/VL/CD with the OS saving its registers.
int aek_cpu_has_avx512(void);
/// 1 where the CPU supports AVX2 and FMA with the OS saving the YMM registers.
int aek_cpu_has_avx2_fma(void);
/// 1 where the CPU supports AVX with the OS saving the YMM registers.
int aek_cpu_has_avx(void);

// MARK: - Element-wise kernel dispatch

/// The level the element-wise kernels use now on this thread: its override, else the CPU's
/// best, lowered by the environment variable AUTOENCODERKIT_SIMD (baseline, avx2, avx512).
aek_simd_level aek_kernels_level(void);
/// Overrides the level for the calling thread only (lowered to the CPU's best), or clears the
/// override with -1. Returns the previous override (-1 for none), to restore afterwards.
int aek_kernels_set_thread_level(int level);
/// "baseline", "avx2" or "avx512".
const char *aek_simd_level_name(aek_simd_level level);

// MARK: - Thread pool

/// One part of a parallel region: `part` counts from 0.
typedef void (*aek_task_fn)(void *context, size_t part);
/// Runs `body(context, part)` for each part in 0..<parts and returns when all are done: part 0 on
/// the calling thread, part k on the pool's worker k (the same worker every time). Idle workers
/// spin for 0.2 ms, then sleep. Inside a part, or while another thread's region runs, the parts
/// run one after another on the calling thread.
void aek_parallel_run(size_t parts, aek_task_fn body, void *context);
/// The number of worker threads started so far.
size_t aek_parallel_workers(void);
/// Adds one to `*counter` atomically and returns its value before: the next item of a queue that
/// a region's parts take from.
size_t aek_take_next(size_t *counter);

// MARK: - BLAS

/// Loads the BLAS library once (later calls return the first result). On Linux this chooses
/// OpenBLAS's kernel family from the CPU features (unless OPENBLAS_CORETYPE is set), then dlopens
/// OpenBLAS, single-threaded (callers split products across their own threads).
/// Returns 0 on success; otherwise writes a one-line reason into `error` and returns -1.
int aek_blas_load(char *error, size_t error_capacity);
/// Path or name of the loaded library ("libopenblas.so.0", "Accelerate").
const char *aek_blas_library(void);
/// The library's configuration string (OpenBLAS: version and build options), or "".
const char *aek_blas_config(void);
/// The kernel family in use (OpenBLAS core name, e.g. "Haswell"), or "" where unknown.
const char *aek_blas_core(void);
/// How the kernel family was chosen: "selected from CPU features", "OPENBLAS_CORETYPE from the
/// environment", "library default" or "".
const char *aek_blas_core_source(void);
/// Number of threads BLAS uses per call (0 where unknown).
int aek_blas_threads(void);
/// Sets the number of BLAS threads per call (ignored where the library has no such control).
void aek_blas_set_threads(int threads);
/// 1 where the library is thread-safe when called from several threads at once with its own
/// threading off (OpenBLAS), so products can be split by the caller; 0 where it threads itself
/// (Accelerate).
int aek_blas_split_products(void);
/// The OpenBLAS core type this CPU should use ("SkylakeX", "Haswell", "Sandybridge") or NULL
/// where OpenBLAS's own choice is as good. Never an AVX-512 family on a CPU without AVX-512.
const char *aek_blas_core_for_cpu(void);
/// 1 where `core` (an OPENBLAS_CORETYPE value) needs instructions this CPU lacks.
int aek_blas_core_unsupported(const char *core);

/// C = alpha * op(A) * op(B) + beta * C, row-major. op(X) is X or its transpose, chosen by the
/// flags; op(A) is m x k, op(B) is k x n, C is m x n. Must follow a successful aek_blas_load.
void aek_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
               const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/// Eigenvalues and eigenvectors of the symmetric n x n matrix `a` (double; the upper triangle of
/// its column-major layout is read) through LAPACK's dsyevd (divide and conquer): `w` receives the
/// n eigenvalues in ascending order and `a` is overwritten by the eigenvectors, eigenvector k in
/// a[k * n ..< (k + 1) * n]. Loads BLAS first if needed. Returns 0 on success; -1 where the loaded
/// library has no dsyevd_ (a BLAS-only library named by AUTOENCODERKIT_BLAS) or none loaded; -2
/// where workspace could not be allocated; otherwise LAPACK's info (> 0: no convergence).
int aek_dsyevd(int n, double *a, double *w);

// MARK: - Element-wise kernels
// Unary maps: y[i] = f(x[i]). `y` may equal `x`.

void aek_exp(size_t n, const float *x, float *y);
void aek_log(size_t n, const float *x, float *y);
void aek_sqrt(size_t n, const float *x, float *y);
void aek_abs(size_t n, const float *x, float *y);
void aek_sign(size_t n, const float *x, float *y);
void aek_relu(size_t n, const float *x, float *y);
void aek_leaky_relu(size_t n, float slope, const float *x, float *y);
void aek_sigmoid(size_t n, const float *x, float *y);
void aek_tanh(size_t n, const float *x, float *y);
void aek_softplus(size_t n, const float *x, float *y);
void aek_clamp(size_t n, float low, float high, const float *x, float *y);
/// y[i] = a * x[i] + b
void aek_affine(size_t n, float a, float b, const float *x, float *y);

// Activation gradients from the upstream gradient g and the saved output y (or input x).
/// out = g where y > 0, else 0
void aek_relu_backward(size_t n, const float *g, const float *y, float *out);
/// out = g where x > 0, else slope * g
void aek_leaky_relu_backward(size_t n, float slope, const float *g, const float *x, float *out);
/// Divisive normalization (GDN) of `rows` rows of `channels` values, a block of rows at a time so
/// each block stays in cache: norms n = √(β + x² · γ) (γ `[channels, channels]`, j down, i across)
/// and y = x / n (x · n when `inverse`). `scratch`: `aek_gdn_scratch_floats(channels)` floats.
void aek_gdn_forward_rows(size_t rows, size_t channels, int inverse, const float *x, const float *beta, const float *gamma,
                          float *norms, float *y, float *scratch);
/// Its gradients for upstream g: with w = −g·x / n³ (inverse: g·x / n), the input's g / n + x · (w · γᵀ)
/// (inverse: g · n + …) written, ½ Σ_rows w added to `beta_gradient` and ½ (x²)ᵀ · w to `gamma_gradient`;
/// a null one is skipped. Same scratch.
void aek_gdn_backward_rows(size_t rows, size_t channels, int inverse, const float *x, const float *norms, const float *g,
                           const float *gamma, float *input_gradient, float *beta_gradient, float *gamma_gradient,
                           float *scratch);
/// The scratch floats the GDN kernels need for `channels` channels (two blocks of rows).
size_t aek_gdn_scratch_floats(size_t channels);
/// out = g * y * (1 - y)
void aek_sigmoid_backward(size_t n, const float *g, const float *y, float *out);
/// One example's LSTM step (Keras's gate order i, f, c, o): `gates` (4·units pre-activations)
/// activated in place, c = f·c_prev + i·g, c_tanh = tanh(c), h = o·c_tanh.
void aek_lstm_cell(size_t units, float *gates, const float *c_prev, float *c, float *c_tanh, float *h);
/// Its gradients: with dh = dy + dh_next and dc the next step's cell gradient (replaced by this
/// step's times f), the gates' pre-activation gradients dz (4·units).
void aek_lstm_cell_backward(size_t units, const float *gates, const float *c_prev, const float *c_tanh, const float *dy,
                            const float *dh_next, float *dc, float *dz);
/// One example's GRU step (Keras's z, r, h, reset after): `a` (the input parts) becomes the
/// activated z, r and candidate with the recurrent parts `m`; h = z·h_prev + (1 − z)·candidate.
void aek_gru_cell(size_t units, float *a, const float *m, const float *h_prev, float *h);
/// Its gradients: da and dm (input and recurrent parts), and `carried` = dh·z for h_prev.
void aek_gru_cell_backward(size_t units, const float *gates, const float *m, const float *h_prev, const float *dy,
                           const float *dh_next, float *da, float *dm, float *carried);
/// out = g * (1 - y * y)
void aek_tanh_backward(size_t n, const float *g, const float *y, float *out);
/// out = g where low <= x <= high, else 0
void aek_clamp_backward(size_t n, float low, float high, const float *g, const float *x,
                        float *out);

/// Binary operations.
typedef enum { AEK_ADD = 0, AEK_SUB = 1, AEK_MUL = 2, AEK_DIV = 3, AEK_MAX = 4, AEK_MIN = 5 } aek_binary_op;
/// out[i] = a[i * a_step] op b[i * b_step]; a step of 0 repeats one element (broadcasting).
void aek_binary(aek_binary_op op, size_t n, const float *a, size_t a_step, const float *b,
                size_t b_step, float *out);
/// Copies `images × rows × cols` cells of `depth` floats between two layouts, each with its own
/// strides (floats) between images, rows and cells; with `mask` (laid out as `src`, or null),
/// each value is copied where the mask's is above zero and zero elsewhere (a relu's gradient).
void aek_copy_cells(size_t images, size_t rows, size_t cols, size_t depth, const float *src, const float *mask,
                    size_t src_image, size_t src_row, size_t src_cell, float *dst, size_t dst_image, size_t dst_row,
                    size_t dst_cell);
/// out[i] = part[0][i] + part[1][i] + ... + part[parts - 1][i], added in that order, in one pass.
void aek_add_parts(size_t n, size_t parts, const float *const *part, float *out);
/// out[r, c] = a[r, c] op row[c] for a rows x cols matrix a (bias broadcasting).
void aek_binary_row(aek_binary_op op, size_t rows, size_t cols, const float *a, const float *row,
                    float *out);

// Reductions. Sums accumulate in double.
/// Returns the sum of x.
double aek_sum(size_t n, const float *x);
/// Returns the sum of x[i] * x[i].
double aek_sum_squares(size_t n, const float *x);
/// out[o, i] = sum over a of x[o, a, i], for x of shape outer x axis x inner.
void aek_sum_axis(size_t outer, size_t axis, size_t inner, const float *x, float *out);

// Losses, fused for speed and numerical stability. Each returns the sum over the n elements.
/// Binary cross-entropy on logits: max(x, 0) - x * t + log(1 + exp(-|x|)).
double aek_bce_logits(size_t n, const float *logits, const float *targets);
/// The sum of binary cross-entropy on logits (as aek_bce_logits) and, in the same pass,
/// grad = scale * (sigmoid(x) - t), its gradient times scale: one exp and one log per element.
double aek_bce_logits_fused(size_t n, float scale, const float *logits, const float *targets,
                            float *grad);
/// grad = scale * (sigmoid(x) - t): the gradient of the above times scale.
void aek_bce_logits_backward(size_t n, float scale, const float *logits, const float *targets,
                             float *grad);
/// Per-row sums of binary cross-entropy on logits, for per-example losses (rows x cols).
void aek_bce_logits_rows(size_t rows, size_t cols, const float *logits, const float *targets,
                         float *row_sums);

// Optimizer updates, in place on `param` and the moment buffers.
/// Adam (Keras form): m += (g - m)(1 - b1); v += (g² - v)(1 - b2); p -= alpha m / (sqrt(v) + eps).
void aek_adam_update(size_t n, float alpha, float beta1, float beta2, float epsilon,
                     const float *grad, float *m, float *v, float *param);
/// RMSProp (Keras form): v = rho v + (1 - rho) g²; inc = lr g / sqrt(v + eps);
/// with momentum: mom = momentum mom + inc, p -= mom; else p -= inc. `mom` may be NULL.
void aek_rmsprop_update(size_t n, float learning_rate, float rho, float momentum, float epsilon,
                        const float *grad, float *v, float *mom, float *param);
/// SGD (Keras form): with momentum: m = momentum m - lr g; p += m (Nesterov: p += momentum m - lr g);
/// without (m NULL): p -= lr g.
void aek_sgd_update(size_t n, float learning_rate, float momentum, int nesterov, const float *grad,
                    float *m, float *param);

// Random numbers.
/// Box-Muller from 2 * half uniforms in [0, 1) to 2 * half normals with the given mean and
/// standard deviation: u[i] gives the radius and u[half + i] the angle of outputs i and half + i.
void aek_normal_from_uniform(size_t half, const float *u, float mean, float std, float *out);

// Anomaly scores.
/// The sum over a `height × width × channels` example (channels last) of the squared (`squares`
/// non-zero) or absolute residual x − y after a separable blur of each channel plane by the
/// symmetric taps half_taps[0] (centre) … half_taps[radius], zero outside the plane. `scratch`
/// holds two planes padded by `radius` on every side, (height + 2r)·(width + 2r) floats each, zero
/// before the first call; `mask` holds height·(width + 2r) floats, 1 where a padded row's value is
/// in the image and 0 in its padding. `map`, where not null, receives each value's term.
double aek_smoothed_residual(size_t height, size_t width, size_t channels, const float *x,
                             const float *y, const float *half_taps, size_t radius, int squares,
                             float *scratch, const float *mask, float *map);

/// The sum over a `height × width × channels` example of 1 − SSIM(x, y) at each value: local
/// means, variances and covariance under a Gaussian window (symmetric taps half_taps[0] …
/// half_taps[radius]), each divided by the window's mass inside the image: `inv_mass` holds
/// height·(width + 2r) floats, 1/mass on the image's columns and 0 on the padding. `scratch`
/// holds 10·(height + 2r)·(width + 2r) + 5·height·(width + 2r) floats, zero before the first
/// call. `map`, where not null, receives each value's term.
double aek_ssim_dissimilarity(size_t height, size_t width, size_t channels, const float *x,
                              const float *y, const float *half_taps, size_t radius, float c1,
                              float c2, const float *inv_mass, float *scratch, float *map);

// Data movement.
/// For each of `count` rows: dst[r, :] = src[indices[r], :] / divisor, bytes to floats
/// (divided, not multiplied by a reciprocal, so 51 / 255 is exactly NumPy's 0.2f).
void aek_gather_rows_u8(size_t count, size_t row_length, const int64_t *indices,
                        const uint8_t *src, float divisor, float *dst);
/// For each of `count` rows: dst[r, :] = src[indices[r], :].
void aek_gather_rows_f32(size_t count, size_t row_length, const int64_t *indices,
                         const float *src, float *dst);
/// out = transpose of the rows x cols matrix x.
void aek_transpose(size_t rows, size_t cols, const float *x, float *out);
/// Rows of `width` floats, each a sum of a few rows of `x` (a sparse matrix times x): out row r =
/// Σ coefficient[j] · x row row_of[j] for j in terms[r] ..< terms[r + 1], in order; zero where a
/// row has no terms.
void aek_combine_rows(size_t rows, size_t width, const size_t *terms, const size_t *row_of, const float *coefficient, const float *x,
                      float *out);

// Convolutions, pooling and upsampling over NHWC images (convolution_body.h).
/// Where a kernel window falls on an image: an input height x width x channels, a kernel_h x
/// kernel_w window moved by stride_h, stride_w over the image padded by pad_top and pad_left at
/// the start (and as needed at the end), giving out_h x out_w window positions.
typedef struct {
  long height, width, channels;
  long kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
  long out_h, out_w;
} aek_conv_geometry;
/// Unfolds `count` images into rows, one per window position (n, oy, ox), each holding the window's
/// cells in (ky, kx, c) order, zero where the window lies over padding:
/// cols is [count * out_h * out_w, kernel_h * kernel_w * channels].
void aek_im2col(const aek_conv_geometry *g, size_t count, const float *image, float *cols);
/// The adjoint of aek_im2col: adds each row's cells back onto the images they came from.
/// `image` must hold the values to add to (zeros for a plain fold).
void aek_col2im(const aek_conv_geometry *g, size_t count, const float *cols, float *image);
/// Max pooling: y[n, oy, ox, c] = the max over the window, argmax = the cell's index within its
/// image (first of equal maxima). Windows never lie wholly over padding.
void aek_max_pool(const aek_conv_geometry *g, size_t count, const float *x, float *y, int32_t *argmax);
/// dx = 0, then dx[n][argmax] += dy for every output.
void aek_max_pool_backward(const aek_conv_geometry *g, size_t count, const float *dy,
                           const int32_t *argmax, float *dx);
/// The output side of a convolution computed cell-first ("kn2row"): z holds, for each input cell,
/// kernel_h * kernel_w * filters products (window offset major, filter minor); adds to each output
/// y[n, oy, ox, f] the products of the cells under its window at their offsets. `y` holds the
/// values to add to (the bias).
void aek_window_gather(const aek_conv_geometry *g, size_t count, long filters, const float *z, float *y);
/// The adjoint of aek_window_gather: dz = 0, then each output's gradient copied to the (cell, offset)
/// slots its window reads.
void aek_window_scatter(const aek_conv_geometry *g, size_t count, long filters, const float *dy, float *dz);
/// A nearest-neighbour upsampling fused into a direct convolution (an UpSampling2D layer and the
/// convolution after it): x is stored x_up_h × x_up_w times smaller than the geometry's input and
/// read upsampled, dy (the weight gradient's) dy_up_h × dy_up_w times smaller than its outputs, and
/// each output image is written as the sums of its y_sum_h × y_sum_w blocks (the upsampling's
/// gradient). 1 leaves a side as it is; upsampled x or dy are never masked or summed.
typedef struct {
  long x_up_h, x_up_w, dy_up_h, dy_up_w, y_sum_h, y_sum_w;
} aek_direct_resampling;
/// Direct convolution (direct_convolution_body.h), for few channels: y[n, oy, ox, f] = bias[f] +
/// sum over (ky, kx, c) of x[n, oy*stride_h + ky - pad_top, ox*stride_w + kx - pad_left, c] *
/// w[ky, kx, c, f] (zero outside the image), relu'd where `relu` is set. Where `x_mask` (x's
/// shape) is given, x reads as zero unless x_mask > 0 (x is the gradient of a fused relu's
/// output); where `x_sums` is given, each channel's sum of (masked) x is added to it. Needs
/// filters % 8 == 0 or channels % 8 == 0; `scratch` holds aek_conv_direct_scratch(g, filters) floats.
/// Where `r` is given, x is read upsampled and y written as block sums (see aek_direct_resampling).
void aek_conv_direct(const aek_conv_geometry *g, size_t count, long filters, const float *x,
                     const float *x_mask, float *x_sums, const float *w, const float *bias, int relu,
                     const aek_direct_resampling *r, float *y, float *scratch);
/// dw[ky, kx, c, f] (= 0 first unless `accumulate`) += sum over the `count` images' outputs of
/// x[n, window + (ky, kx), c] * dy[n, oy, ox, f], each of x and dy masked as in aek_conv_direct
/// where its mask is given. `x_sums` and `dy_sums` (where given) += each channel's sum of
/// (masked) x and each filter's of (masked) dy. Where `y_forward` is given, also
/// y_forward = aek_conv_direct of (masked) x with `w_forward` (no bias, no relu) from the same
/// copy of each image: the two gradients of a transposed convolution, or of a stride-1 one over
/// its adjoint geometry. dw may be null; x_sums needs dw or y_forward. The same conditions and
/// scratch as aek_conv_direct; where `r` is given, x and dy are read upsampled and y_forward
/// written as block sums.
void aek_conv_direct_weight_gradient(const aek_conv_geometry *g, size_t count, long filters,
                                     const float *x, const float *x_mask, float *x_sums,
                                     const float *dy, const float *dy_mask, int accumulate,
                                     float *dw, float *dy_sums, const float *w_forward,
                                     float *y_forward, const aek_direct_resampling *r,
                                     float *scratch);
/// The scratch floats aek_conv_direct and aek_conv_direct_weight_gradient need per thread.
size_t aek_conv_direct_scratch(const aek_conv_geometry *g, long filters);
/// The floats from one Winograd group's matrix to the next for a matrix of `floats` floats: an odd
/// number of 64-byte lines. The 16 to 49 matrices a tile's transform writes or reads together
/// then start in different cache sets; a power-of-two distance (the codec's 5×5 layers with 2 or 4
/// images per block: 4 or 8 KB) put them all in the same few, and its passes ran 15–40% slower
/// than with 3.
static inline size_t aek_winograd_stride(size_t floats) { return (((floats + 15) / 16) | 1) * 16; }

/// A transposed 3×3 stride-2 convolution with nothing padded before, by the polyphase Winograd
/// transform of winograd_body.h: tiles of 2×2 input cells and 4×4 outputs, th × tw per image.
/// wt2_input: the 16 transformed inputs of each tile, as 16 matrices [count·th·tw × c] one after
/// another, `aek_winograd_stride` apart (`zeros`: c zeros), as every transform's groups lie;
/// wt2_input_backward: the input gradient from their gradients.
void aek_wt2_input(size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw, const float *x,
                   const float *zeros, float *v);
void aek_wt2_input_backward(size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw,
                            const float *dv, float *dx);
/// wt2_output: y (oh × ow × f per image) from the 16 groups' products m, plus bias (or null),
/// relu'd where `relu` (`sink`: f floats that outputs past the image go to); wt2_output_backward:
/// the products' gradients dm from dy (`zeros`: f zeros).
void aek_wt2_output(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *m,
                    const float *bias, int relu, float *sink, float *y);
void aek_wt2_output_backward(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw,
                             const float *dy, const float *zeros, float *dm);
/// A stride-1 3×3 convolution by Winograd's F(2×2, 3×3) (winograd_body.h): tiles of 2×2 outputs,
/// th × tw per image, reading 4×4 inputs from `pad` cells before. The same four roles as wt2_*:
/// 16 transformed inputs per tile as 16 matrices [count·th·tw × c], 16 products as 16 matrices
/// [count·th·tw × f]; wf23_input_backward adds cells past the image into `sink` (c floats, undefined after).
void aek_wf23_input(size_t count, size_t h, size_t w, size_t c, size_t pad, size_t th, size_t tw, const float *x,
                    const float *zeros, float *v);
void aek_wf23_input_backward(size_t count, size_t h, size_t w, size_t c, size_t pad, size_t th, size_t tw,
                             const float *dv, float *sink, float *dx);
void aek_wf23_output(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *m,
                     const float *bias, int relu, float *y);
void aek_wf23_output_backward(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw,
                              const float *dy, const float *zeros, float *dm);
/// A transposed 5×5 stride-2 convolution with one cell padded before, by its polyphase transform
/// (winograd_body.h): the same four roles as wt2_*, with 36 transformed inputs and 49 products per
/// tile of 2×2 inputs and 4×4 outputs; cells past the image go to `sink` (c or f floats, undefined after).
void aek_wt5_input(size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw, const float *x,
                   const float *zeros, float *v);
void aek_wt5_input_backward(size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw,
                            const float *dv, float *sink, float *dx);
void aek_wt5_output(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *m,
                    const float *bias, int relu, float *sink, float *y);
void aek_wt5_output_backward(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw,
                             const float *dy, const float *zeros, float *dm);
/// out[c] += sum over the rows of x[r, c] (a bias gradient, block by block).
void aek_add_column_sums(size_t rows, size_t cols, const float *x, float *out);
/// out[r, :] = row for each of `rows` rows of `cols` floats (bias rows before a product adds to them).
void aek_fill_rows(size_t rows, size_t cols, const float *row, float *out);
/// Nearest-neighbour upsampling: each cell repeated factor_h x factor_w times.
void aek_upsample_nearest(size_t count, size_t height, size_t width, size_t channels, size_t factor_h,
                          size_t factor_w, const float *x, float *y);
/// The adjoint: dx[n, iy, ix, c] = sum of dy over the cell's factor_h x factor_w block.
void aek_upsample_nearest_backward(size_t count, size_t height, size_t width, size_t channels,
                                   size_t factor_h, size_t factor_w, const float *dy, float *dx);

// MARK: - Exact kernels (exact.c): the same bits on every machine

/// Activations the exact kernels apply.
enum { AEK_EXACT_IDENTITY = 0, AEK_EXACT_RELU = 1, AEK_EXACT_SIGMOID = 2, AEK_EXACT_TANH = 3 };
/// y[r, j] = bias[j] + Σ_k x[r, k]·w[k, j] for `rows` rows (x row r at x + r·x_stride, y's at
/// y + r·y_stride; w is [inputs, outputs]; bias may be NULL): each sum from 0 in k order, every
/// multiply and add rounded on its own, so the result does not depend on the machine.
void aek_exact_affine(size_t rows, size_t inputs, size_t outputs, const float *x, size_t x_stride, const float *w,
                      const float *bias, float *y, size_t y_stride);
/// e^x by a fixed polynomial (within a few ulp; x clamped to [-87, 88] first).
float aek_exact_exp(float x);
float aek_exact_sigmoid(float x);
float aek_exact_tanh(float x);
/// x = activation(x) in place (AEK_EXACT_*).
void aek_exact_activate(int activation, size_t n, float *x);
/// Keras's GRU step (z, r, candidate; reset after) for `rows` streams: `a` the input parts
/// (x·W + input bias) and `m` the recurrent parts (h·U + recurrent bias), each [rows, 3·units];
/// h [rows, units] is updated in place.
void aek_exact_gru_step(size_t rows, size_t units, const float *a, const float *m, float *h);
/// Keras's LSTM step (i, f, c, o) for `rows` streams: `gates` [rows, 4·units] (x·W + h·U + b);
/// c and h [rows, units] updated in place.
void aek_exact_lstm_step(size_t rows, size_t units, const float *gates, float *c, float *h);
/// The softmax of `symbols` logits as integer frequencies for an entropy coder: each at least 1,
/// summing to `total`. Returns 0, or -1 when a logit is NaN or infinite (or symbols > total).
int aek_exact_frequencies(size_t symbols, const float *logits, uint32_t total, uint32_t *frequencies);

// MARK: - A codec's density (mixture.c)

/// The most logistics a mixture has.
enum { AEK_MIXTURE_MAX_COMPONENTS = 16 };
/// Σ −log₂ max(P(value), smallest) over `n` values, value i in channel i mod `channels`, P the
/// mass on [value − ½, value + ½] of the channel's mixture of `k` logistics (`weights`, `means`,
/// `scales`, each [channels·k]); double precision.
double aek_mixture_bits(size_t n, size_t channels, size_t k, const float *values, const double *weights, const double *means,
                        const double *scales, double smallest);
/// Its gradients times `g` (the upstream gradient over ln 2): written to `code_gradient` (n), added
/// to the logits', means' and scales' ([channels·k] each; the scales' with respect to log-scale).
/// Returns the bits too, as aek_mixture_bits gives them (the same sum in the same order).
double aek_mixture_bits_backward(size_t n, size_t channels, size_t k, const float *values, const double *weights, const double *means,
                                 const double *scales, double smallest, double g, float *code_gradient, double *logit_gradient,
                                 double *mean_gradient, double *scale_gradient);

#ifdef __cplusplus
}
#endif
#endif
