// Convolution data movement (im2col, col2im), pooling and upsampling over NHWC images, compiled
// once per SIMD level like kernels_body.h (included from kernels.c with K defined). Every kernel
// works on `count` whole images; callers split batches across threads by images, so no two
// threads ever write the same output.
//
// Geometry (aek_conv_geometry): an input image height x width x channels, a kernel_h x kernel_w
// window moved by stride_h, stride_w over the image padded by pad_top, pad_left (and whatever
// the bottom and right need), giving out_h x out_w windows. Padding reads as zero (as -inf for
// pooling: padded cells never win a max).

/// The valid kernel offsets [*first, *last) along one axis for window start `start` (which may be
/// negative) over `size` cells.
static inline void K(window_range)(long start, long kernel, long size, long *first, long *last) {
  long f = start < 0 ? -start : 0;
  long l = start + kernel > size ? size - start : kernel;
  if (l < f) l = f;
  *first = f;
  *last = l;
}

static void K(im2col)(const aek_conv_geometry *g, size_t count, const float *image, float *cols) {
  const long H = g->height, W = g->width, C = g->channels, KH = g->kernel_h, KW = g->kernel_w;
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
            memset(dst, 0, sizeof(float) * (size_t)(KW * C));
            continue;
          }
          // In NHWC the cells (y, x0 + kx0 ..< x0 + kx1) are one contiguous run.
          if (kx0 > 0) memset(dst, 0, sizeof(float) * (size_t)(kx0 * C));
          memcpy(dst + kx0 * C, img + ((y0 + ky) * W + x0 + kx0) * C, sizeof(float) * (size_t)((kx1 - kx0) * C));
          if (kx1 < KW) memset(dst + kx1 * C, 0, sizeof(float) * (size_t)((KW - kx1) * C));
        }
      }
    }
  }
}

static void K(col2im)(const aek_conv_geometry *g, size_t count, const float *cols, float *image) {
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
        for (long ky = ky0; ky < ky1; ky++) {
          const float *src = cols + (ky * KW + kx0) * C;
          float *dst = img + ((y0 + ky) * W + x0 + kx0) * C;
          for (long i = 0; i < run; i++) dst[i] += src[i];
        }
      }
    }
  }
}

static void K(max_pool)(const aek_conv_geometry *g, size_t count, const float *x, float *y, int32_t *argmax) {
  const long H = g->height, W = g->width, C = g->channels;
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
            for (long c = 0; c < C; c++)
              if (v[c] > y[c]) {
                y[c] = v[c];
                argmax[c] = cell + (int32_t)c;
              }
          }
      }
    }
  }
}

static void K(max_pool_backward)(const aek_conv_geometry *g, size_t count, const float *dy, const int32_t *argmax,
                                 float *dx) {
  const size_t image = (size_t)(g->height * g->width * g->channels);
  const size_t outputs = (size_t)(g->out_h * g->out_w * g->channels);
  memset(dx, 0, sizeof(float) * image * count);
  for (size_t n = 0; n < count; n++, dx += image, dy += outputs, argmax += outputs)
    for (size_t i = 0; i < outputs; i++) dx[argmax[i]] += dy[i];
}

static void K(upsample_nearest)(size_t count, size_t height, size_t width, size_t channels, size_t factor_h,
                                size_t factor_w, const float *x, float *y) {
  const size_t out_w = width * factor_w;
  for (size_t n = 0; n < count; n++)
    for (size_t iy = 0; iy < height; iy++) {
      const float *src = x + (n * height + iy) * width * channels;
      float *row = y + (n * height + iy) * factor_h * out_w * channels;
      for (size_t ix = 0; ix < width; ix++)
        for (size_t fx = 0; fx < factor_w; fx++)
          memcpy(row + (ix * factor_w + fx) * channels, src + ix * channels, sizeof(float) * channels);
      for (size_t fy = 1; fy < factor_h; fy++) memcpy(row + fy * out_w * channels, row, sizeof(float) * out_w * channels);
    }
}

static void K(upsample_nearest_backward)(size_t count, size_t height, size_t width, size_t channels, size_t factor_h,
                                         size_t factor_w, const float *dy, float *dx) {
  const size_t out_w = width * factor_w;
  memset(dx, 0, sizeof(float) * count * height * width * channels);
  for (size_t n = 0; n < count; n++)
    for (size_t oy = 0; oy < height * factor_h; oy++) {
      const float *src = dy + (n * height * factor_h + oy) * out_w * channels;
      float *dst = dx + (n * height + oy / factor_h) * width * channels;
      for (size_t ox = 0; ox < out_w; ox++) {
        float *cell = dst + (ox / factor_w) * channels;
        const float *g = src + ox * channels;
        for (size_t c = 0; c < channels; c++) cell[c] += g[c];
      }
    }
}
