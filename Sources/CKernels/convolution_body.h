// Convolution data movement (im2col, col2im), pooling and upsampling over NHWC images, compiled
// once per SIMD level like kernels_body.h (included from kernels.c with K defined). Every kernel
// works on `count` whole images; callers split batches across threads by images, so no two
// threads ever write the same output.
//
// Geometry (aek_conv_geometry): an input image height x width x channels, a kernel_h x kernel_w
// window moved by stride_h, stride_w over the image padded by pad_top, pad_left (and whatever
// the bottom and right need), giving out_h x out_w windows. Padding reads as zero (as -inf for
// pooling: padded cells never win a max).

// Runs in these kernels are short (a window row of a few channels: 3 floats for a 3×3 kernel
// over one channel), where a call to memcpy or memset costs more than the copy. NO_LIBC keeps the
// compiler from turning these loops back into such calls, so they vectorize inline instead.
#ifndef AEK_NO_LIBC
#define AEK_NO_LIBC __attribute__((no_builtin("memcpy", "memset", "memmove")))
#endif

// Runs go in blocks of 8 floats with a constant trip count, which compile to one 256-bit move or
// add each: a loop with a runtime count of 8 or 24 would run mostly in its scalar remainder on a
// 16-wide (AVX-512) vectorization.
static inline AEK_NO_LIBC void K(copy_run)(float *restrict dst, const float *restrict src, long n) {
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) dst[i + j] = src[i + j];
  for (; i < n; i++) dst[i] = src[i];
}

static inline AEK_NO_LIBC void K(add_run)(float *restrict dst, const float *restrict src, long n) {
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) dst[i + j] += src[i + j];
  for (; i < n; i++) dst[i] += src[i];
}

/// sums[c] += Σ over `pixels` cells of x[cell·C + c], each read as zero where `mask` (when given)
/// is not above zero: a bias's gradient. Accumulated in registers, 16 lanes at a time, and added to
/// `sums` once: added cell by cell into `sums`, a layer of one or two channels waited on each
/// store (the conv model's 16 → 1 layer spent 2% of its training step there).
static inline AEK_NO_LIBC void K(add_channel_sums)(float *restrict sums, const float *restrict x, const float *restrict mask, long pixels,
                                                   long C) {
  const long n = pixels * C;
  if (C <= 16 && 16 % C == 0) {  // lane j sums channel j mod C
    float acc[16] = {0};
    long i = 0;
    if (mask) {
      for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] += mask[i + j] > 0.0f ? x[i + j] : 0.0f;
    } else {
      for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] += x[i + j];
    }
    for (; i < n; i++) acc[i % 16] += !mask || mask[i] > 0.0f ? x[i] : 0.0f;
    for (int j = 0; j < 16; j++) sums[j % C] += acc[j];
  } else if (C % 16 == 0) {  // 16 channels at a time, over every cell
    for (long c = 0; c < C; c += 16) {
      float acc[16] = {0};
      if (mask) {
        for (long i = 0; i < pixels; i++)
          for (int j = 0; j < 16; j++) acc[j] += mask[i * C + c + j] > 0.0f ? x[i * C + c + j] : 0.0f;
      } else {
        for (long i = 0; i < pixels; i++)
          for (int j = 0; j < 16; j++) acc[j] += x[i * C + c + j];
      }
      for (int j = 0; j < 16; j++) sums[c + j] += acc[j];
    }
  } else {
    for (long i = 0; i < pixels; i++)
      for (long c = 0; c < C; c++) sums[c] += !mask || mask[i * C + c] > 0.0f ? x[i * C + c] : 0.0f;
  }
}

static inline AEK_NO_LIBC void K(zero_run)(float *dst, long n) {
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) dst[i + j] = 0;
  for (; i < n; i++) dst[i] = 0;
}

/// The valid kernel offsets [*first, *last) along one axis for window start `start` (which may be
/// negative) over `size` cells.
static inline void K(window_range)(long start, long kernel, long size, long *first, long *last) {
  long f = start < 0 ? -start : 0;
  long l = start + kernel > size ? size - start : kernel;
  if (l < f) l = f;
  *first = f;
  *last = l;
}

/// The first output position along an axis whose window offset `k` lands inside the image, and
/// one past the last: positions o with 0 <= o * stride + k - pad < size.
static inline void K(inside_range)(long k, long pad, long stride, long size, long outputs, long *first, long *last) {
  const long low = pad - k;  // o * stride >= low
  long f = low <= 0 ? 0 : (low + stride - 1) / stride;
  const long high = size - 1 + pad - k;  // o * stride <= high
  long l = high < 0 ? 0 : high / stride + 1;
  if (l > outputs) l = outputs;
  if (f > l) f = l;
  *first = f;
  *last = l;
}

// im2col for images of few channels (the first layer's one), offset by offset: for each kernel
// offset (ky, kx), the column block it fills is a strided copy of whole image rows, a tight loop
// with no per-window bookkeeping (walking windows would spend more on the loop than on 3 floats).
static AEK_NO_LIBC void K(im2col_few_channels)(const aek_conv_geometry *g, size_t count, const float *image, float *cols) {
  const long H = g->height, W = g->width, C = g->channels, KH = g->kernel_h, KW = g->kernel_w;
  const long OH = g->out_h, OW = g->out_w, SH = g->stride_h, SW = g->stride_w, K = KH * KW * C;
  for (size_t n = 0; n < count; n++) {
    const float *img = image + n * (size_t)(H * W * C);
    float *out = cols + n * (size_t)(OH * OW * K);
    for (long ky = 0; ky < KH; ky++)
      for (long kx = 0; kx < KW; kx++) {
        long ox0, ox1;
        K(inside_range)(kx, g->pad_left, SW, W, OW, &ox0, &ox1);
        for (long oy = 0; oy < OH; oy++) {
          float *dst = out + oy * OW * K + (ky * KW + kx) * C;
          const long iy = oy * SH + ky - g->pad_top;
          if (iy < 0 || iy >= H) {
            for (long ox = 0; ox < OW; ox++)
              for (long c = 0; c < C; c++) dst[ox * K + c] = 0;
            continue;
          }
          const float *row = img + iy * W * C;
          const long shift = kx - g->pad_left;  // window position ox reads cell ox * SW + shift
          for (long ox = 0; ox < ox0; ox++)
            for (long c = 0; c < C; c++) dst[ox * K + c] = 0;
          if (C == 1) {
            for (long ox = ox0; ox < ox1; ox++) dst[ox * K] = row[ox * SW + shift];
          } else {
            for (long ox = ox0; ox < ox1; ox++)
              for (long c = 0; c < C; c++) dst[ox * K + c] = row[(ox * SW + shift) * C + c];
          }
          for (long ox = ox1; ox < OW; ox++)
            for (long c = 0; c < C; c++) dst[ox * K + c] = 0;
        }
      }
  }
}

static AEK_NO_LIBC void K(im2col)(const aek_conv_geometry *g, size_t count, const float *image, float *cols) {
  const long H = g->height, W = g->width, C = g->channels, KH = g->kernel_h, KW = g->kernel_w;
  if (C <= 4) {
    K(im2col_few_channels)(g, count, image, cols);
    return;
  }
  const size_t row_length = (size_t)(KH * KW * C);
  for (size_t n = 0; n < count; n++) {
    const float *img = image + n * (size_t)(H * W * C);
    for (long oy = 0; oy < g->out_h; oy++) {
      const long y0 = oy * g->stride_h - g->pad_top;
      long ky0, ky1;
      K(window_range)(y0, KH, H, &ky0, &ky1);
      for (long ox = 0; ox < g->out_w; ox++, cols += row_length) {
        const long x0 = ox * g->stride_w - g->pad_left;
        long kx0, kx1;
        K(window_range)(x0, KW, W, &kx0, &kx1);
        for (long ky = 0; ky < KH; ky++) {
          float *dst = cols + ky * KW * C;
          if (ky < ky0 || ky >= ky1 || kx0 == kx1) {
            K(zero_run)(dst, KW * C);
            continue;
          }
          // In NHWC the cells (y, x0 + kx0 ..< x0 + kx1) are one contiguous run.
          const float *src = img + ((y0 + ky) * W + x0 + kx0) * C;
          if (kx0 > 0) K(zero_run)(dst, kx0 * C);
          K(copy_run)(dst + kx0 * C, src, (kx1 - kx0) * C);
          if (kx1 < KW) K(zero_run)(dst + kx1 * C, (KW - kx1) * C);
        }
      }
    }
  }
}

static AEK_NO_LIBC void K(col2im)(const aek_conv_geometry *g, size_t count, const float *cols, float *image) {
  const long H = g->height, W = g->width, C = g->channels, KH = g->kernel_h, KW = g->kernel_w;
  const size_t row_length = (size_t)(KH * KW * C);
  for (size_t n = 0; n < count; n++) {
    float *img = image + n * (size_t)(H * W * C);
    for (long oy = 0; oy < g->out_h; oy++) {
      const long y0 = oy * g->stride_h - g->pad_top;
      long ky0, ky1;
      K(window_range)(y0, KH, H, &ky0, &ky1);
      for (long ox = 0; ox < g->out_w; ox++, cols += row_length) {
        const long x0 = ox * g->stride_w - g->pad_left;
        long kx0, kx1;
        K(window_range)(x0, KW, W, &kx0, &kx1);
        const long run = (kx1 - kx0) * C;
        for (long ky = ky0; ky < ky1; ky++)
          K(add_run)(img + ((y0 + ky) * W + x0 + kx0) * C, cols + (ky * KW + kx0) * C, run);
      }
    }
  }
}

/// 2×2 windows of stride 2 wholly inside the image (the usual pooling): four cells per window, in
/// the generic kernel's order, each channel a straight vectorizable line.
static void K(max_pool_2x2)(const aek_conv_geometry *g, size_t count, const float *x, float *y, int32_t *argmax) {
  const long H = g->height, W = g->width, C = g->channels;
  for (size_t n = 0; n < count; n++) {
    const float *img = x + n * (size_t)(H * W * C);
    for (long oy = 0; oy < g->out_h; oy++)
      for (long ox = 0; ox < g->out_w; ox++, y += C, argmax += C) {
        const int32_t first = (int32_t)((2 * oy * W + 2 * ox) * C), right = first + (int32_t)C;
        const int32_t below = first + (int32_t)(W * C), diagonal = below + (int32_t)C;
        for (long c = 0; c < C; c++) {
          const float a = img[first + c], b = img[right + c], d = img[below + c], e = img[diagonal + c];
          float best = a;
          int32_t at = first + (int32_t)c;
          at = b > best ? right + (int32_t)c : at;
          best = b > best ? b : best;
          at = d > best ? below + (int32_t)c : at;
          best = d > best ? d : best;
          at = e > best ? diagonal + (int32_t)c : at;
          best = e > best ? e : best;
          y[c] = best;
          argmax[c] = at;
        }
      }
  }
}

/// Whether every window is a 2×2 one of stride 2 wholly inside the image.
static inline int K(max_pool_is_2x2)(const aek_conv_geometry *g) {
  return g->kernel_h == 2 && g->kernel_w == 2 && g->stride_h == 2 && g->stride_w == 2 && g->pad_top == 0 && g->pad_left == 0 &&
         2 * g->out_h <= g->height && 2 * g->out_w <= g->width;
}

static void K(max_pool)(const aek_conv_geometry *g, size_t count, const float *x, float *y, int32_t *argmax) {
  const long H = g->height, W = g->width, C = g->channels;
  if (K(max_pool_is_2x2)(g)) {
    K(max_pool_2x2)(g, count, x, y, argmax);
    return;
  }
  for (size_t n = 0; n < count; n++) {
    const float *img = x + n * (size_t)(H * W * C);
    for (long oy = 0; oy < g->out_h; oy++) {
      const long y0 = oy * g->stride_h - g->pad_top;
      long ky0, ky1;
      K(window_range)(y0, g->kernel_h, H, &ky0, &ky1);
      for (long ox = 0; ox < g->out_w; ox++, y += C, argmax += C) {
        const long x0 = ox * g->stride_w - g->pad_left;
        long kx0, kx1;
        K(window_range)(x0, g->kernel_w, W, &kx0, &kx1);
        // The first cell of the window starts the max; later cells win only when larger, so
        // ties go to the first (as TensorFlow and PyTorch), and a NaN in the first cell stays.
        const int32_t first = (int32_t)(((y0 + ky0) * W + x0 + kx0) * C);
        for (long c = 0; c < C; c++) {
          y[c] = img[first + c];
          argmax[c] = first + (int32_t)c;
        }
        for (long ky = ky0; ky < ky1; ky++)
          for (long kx = kx0; kx < kx1; kx++) {
            const int32_t cell = (int32_t)(((y0 + ky) * W + x0 + kx) * C);
            const float *v = img + cell;
            // Selects, not a branch: a conditional store compiles to a masked store, which
            // AMD's AVX2 cores (Zen 1-3) microcode at several times the cost of a plain one.
            for (long c = 0; c < C; c++) {
              const float value = v[c], best = y[c];
              const int32_t at = argmax[c];
              y[c] = value > best ? value : best;
              argmax[c] = value > best ? cell + (int32_t)c : at;
            }
          }
      }
    }
  }
}

/// The 2×2 windows' gradient, every cell written once (no zeroing pass first): each window's
/// winner gets its output's gradient, the other three zero, and cells outside every window zero.
/// `+ 0.0f` turns a -0 gradient into +0, as adding it to zero does in the general kernel.
static void K(max_pool_2x2_backward)(const aek_conv_geometry *g, size_t count, const float *dy, const int32_t *argmax,
                                     float *dx) {
  const long H = g->height, W = g->width, C = g->channels, covered = 2 * g->out_w * C;
  for (size_t n = 0; n < count; n++, dx += H * W * C) {
    for (long oy = 0; oy < g->out_h; oy++) {
      for (long ox = 0; ox < g->out_w; ox++, dy += C, argmax += C) {
        const int32_t first = (int32_t)((2 * oy * W + 2 * ox) * C), right = first + (int32_t)C;
        const int32_t below = first + (int32_t)(W * C), diagonal = below + (int32_t)C;
        for (long c = 0; c < C; c++) {
          const float value = dy[c] + 0.0f;
          const int32_t at = argmax[c] - (int32_t)c;
          dx[first + c] = at == first ? value : 0.0f;
          dx[right + c] = at == right ? value : 0.0f;
          dx[below + c] = at == below ? value : 0.0f;
          dx[diagonal + c] = at == diagonal ? value : 0.0f;
        }
      }
      if (covered < W * C) {
        memset(dx + 2 * oy * W * C + covered, 0, sizeof(float) * (size_t)(W * C - covered));
        memset(dx + (2 * oy + 1) * W * C + covered, 0, sizeof(float) * (size_t)(W * C - covered));
      }
    }
    if (2 * g->out_h < H) memset(dx + 2 * g->out_h * W * C, 0, sizeof(float) * (size_t)((H - 2 * g->out_h) * W * C));
  }
}

static void K(max_pool_backward)(const aek_conv_geometry *g, size_t count, const float *dy, const int32_t *argmax,
                                 float *dx) {
  const size_t image = (size_t)(g->height * g->width * g->channels);
  const size_t outputs = (size_t)(g->out_h * g->out_w * g->channels);
  if (K(max_pool_is_2x2)(g)) {
    K(max_pool_2x2_backward)(g, count, dy, argmax, dx);
    return;
  }
  memset(dx, 0, sizeof(float) * image * count);
  for (size_t n = 0; n < count; n++, dx += image, dy += outputs, argmax += outputs)
    for (size_t i = 0; i < outputs; i++) dx[argmax[i]] += dy[i];
}

static AEK_NO_LIBC void K(upsample_nearest)(size_t count, size_t height, size_t width, size_t channels, size_t factor_h,
                                size_t factor_w, const float *x, float *y) {
  const size_t out_w = width * factor_w;
  for (size_t n = 0; n < count; n++)
    for (size_t iy = 0; iy < height; iy++) {
      const float *src = x + (n * height + iy) * width * channels;
      float *row = y + (n * height + iy) * factor_h * out_w * channels;
      for (size_t ix = 0; ix < width; ix++)
        for (size_t fx = 0; fx < factor_w; fx++)
          K(copy_run)(row + (ix * factor_w + fx) * channels, src + ix * channels, (long)channels);
      for (size_t fy = 1; fy < factor_h; fy++) K(copy_run)(row + fy * out_w * channels, row, (long)(out_w * channels));
    }
}

static AEK_NO_LIBC void K(upsample_nearest_backward)(size_t count, size_t height, size_t width, size_t channels, size_t factor_h,
                                         size_t factor_w, const float *dy, float *dx) {
  const size_t out_w = width * factor_w;
  K(zero_run)(dx, (long)(count * height * width * channels));
  for (size_t n = 0; n < count; n++)
    for (size_t oy = 0; oy < height * factor_h; oy++) {
      const float *src = dy + (n * height * factor_h + oy) * out_w * channels;
      float *dst = dx + (n * height + oy / factor_h) * width * channels;
      for (size_t ox = 0; ox < out_w; ox++) K(add_run)(dst + (ox / factor_w) * channels, src + ox * channels, (long)channels);
    }
}

static AEK_NO_LIBC void K(fill_rows)(size_t rows, size_t cols, const float *row, float *out) {
  for (size_t r = 0; r < rows; r++, out += cols) K(copy_run)(out, row, (long)cols);
}

// The other way to a convolution ("kn2row"), cheaper than unfolding when a layer has fewer
// filters than input channels: multiply each input cell by every window offset's kernel slice
// first, z[cell, (ky, kx, f)] = sum_c x[cell, c] w[ky, kx, c, f], then gather each output from the
// cells under its window. z has kernel_h * kernel_w * filters values per cell.

static AEK_NO_LIBC void K(window_gather)(const aek_conv_geometry *g, size_t count, long filters, const float *z, float *y) {
  const long H = g->height, W = g->width, KH = g->kernel_h, KW = g->kernel_w, F = filters;
  const long per_cell = KH * KW * F;
  for (size_t n = 0; n < count; n++) {
    const float *zimg = z + n * (size_t)(H * W * per_cell);
    for (long oy = 0; oy < g->out_h; oy++) {
      const long y0 = oy * g->stride_h - g->pad_top;
      long ky0, ky1;
      K(window_range)(y0, KH, H, &ky0, &ky1);
      for (long ox = 0; ox < g->out_w; ox++, y += F) {
        const long x0 = ox * g->stride_w - g->pad_left;
        long kx0, kx1;
        K(window_range)(x0, KW, W, &kx0, &kx1);
        if (F == 1) {  // the usual last layer: one sum in a register
          float sum = y[0];
          for (long ky = ky0; ky < ky1; ky++)
            for (long kx = kx0; kx < kx1; kx++) sum += zimg[((y0 + ky) * W + x0 + kx) * per_cell + ky * KW + kx];
          y[0] = sum;
          continue;
        }
        for (long ky = ky0; ky < ky1; ky++)
          for (long kx = kx0; kx < kx1; kx++) K(add_run)(y, zimg + ((y0 + ky) * W + x0 + kx) * per_cell + (ky * KW + kx) * F, F);
      }
    }
  }
}

static AEK_NO_LIBC void K(window_scatter)(const aek_conv_geometry *g, size_t count, long filters, const float *dy, float *dz) {
  const long H = g->height, W = g->width, KH = g->kernel_h, KW = g->kernel_w, F = filters;
  const long per_cell = KH * KW * F;
  K(zero_run)(dz, (long)count * H * W * per_cell);
  for (size_t n = 0; n < count; n++) {
    float *zimg = dz + n * (size_t)(H * W * per_cell);
    for (long oy = 0; oy < g->out_h; oy++) {
      const long y0 = oy * g->stride_h - g->pad_top;
      long ky0, ky1;
      K(window_range)(y0, KH, H, &ky0, &ky1);
      for (long ox = 0; ox < g->out_w; ox++, dy += F) {
        const long x0 = ox * g->stride_w - g->pad_left;
        long kx0, kx1;
        K(window_range)(x0, KW, W, &kx0, &kx1);
        for (long ky = ky0; ky < ky1; ky++)
          for (long kx = kx0; kx < kx1; kx++) {
            float *dst = zimg + ((y0 + ky) * W + x0 + kx) * per_cell + (ky * KW + kx) * F;
            if (F == 1) {
              dst[0] = dy[0];
            } else {
              K(copy_run)(dst, dy, F);
            }
          }
      }
    }
  }
}

static AEK_NO_LIBC void K(add_column_sums)(size_t rows, size_t cols, const float *x, float *out) {
  K(add_channel_sums)(out, x, 0, (long)rows, (long)cols);
}
