// Direct convolutions over NHWC images of few channels, compiled once per SIMD level like
// convolution_body.h (included from kernels.c with K defined, after kernels_body.h, which defines
// aek_v8). No unfolding and no BLAS: each image is copied once into a zero-padded plane, so every
// window lies inside it and the loops have no edge cases, and register tiles accumulate straight
// from it. im2col + sgemm writes every window out (kh·kw times the image) and BLAS packs it again,
// which costs more than the arithmetic when a layer has 1 to 16 channels; here the image is read
// from L1.
//
// The plane. A window at output (oy, ox) starts at padded cell (oy·stride_h, ox·stride_w), and
// offset (ky, kx) of it at cell (oy·stride_h + ky, ox·stride_w + kx). With stride 1 the plane is
// exactly as wide as the windows reach (out_w + kernel_w - 1 cells), so output pixels can be
// walked flat, q = oy·cols + ox, each window starting at cell q: tiles of consecutive q run across
// row ends, and the few q with ox >= out_w (kernel_w - 1 per row) are computed and dropped. With a
// larger stride, tiles take consecutive output pixels in row order too, across row ends: no slot
// of a tile is wasted on a narrow row (a 7-wide row in tiles of 6 wasted 5 of 12 when tiles ran
// along each row), and the plane is only as wide as the windows reach. Either way a tile holds a
// table of its pixels' window starts. The plane ends with zeros for the last flat tile to read.
//
// Forward, filters a multiple of 8: a tile is R output pixels × 8·V filters held in registers
// (V = 2, R = 6 or V = 1, R = 12: 12 accumulators, enough to hide the FMA latency, and under the
// 16 vector registers of AVX2 with the weights and one broadcast); for each kernel offset and
// channel, V weight vectors are loaded and each pixel's input value broadcast into R·V FMAs.
// Forward, other filter counts with channels a multiple of 8: a tile is 8 output pixels, each a
// vector over channels, summed across lanes at the end; one filter at a time.
// Weight gradient: dw[ky, kx, c, f] = Σ over outputs of x[window + (ky, kx), c] · dy[output, f].
// Filters a multiple of 8: J (offset, channel) pairs × 8·V filters held in registers across an
// image's outputs; otherwise (channels a multiple of 8) J vectors of 8 channels for one filter.

#ifndef AEK_DIRECT_DEFINED
#define AEK_DIRECT_DEFINED
/// Output pixels per forward tile with 16 filters, and with 8 (or one filter over channels).
#define AEK_DIRECT_R16 6
#define AEK_DIRECT_R8 8
/// (offset, channel) pairs per weight-gradient block with 16 filters, and with 8.
#define AEK_DIRECT_J16 6
#define AEK_DIRECT_J8 12
/// Channel-vector pairs per weight-gradient block for fewer than 8 filters: a 3×3 kernel's pairs
/// come in nines, and nine offsets stay in registers.
#define AEK_DIRECT_JC 9
/// The widest tile, for the zeros after a flat plane.
#define AEK_DIRECT_RMAX 12

/// The padded plane one image is copied into: `rows` × `cols` cells of `channels`, then zeros.
typedef struct {
  long rows, cols, floats;
  int flat;  // stride 1: output pixels are walked flat across rows (otherwise each window found on its own)
} aek_direct_plane;

static inline aek_direct_plane aek_direct_plane_of(const aek_conv_geometry *g) {
  aek_direct_plane p;
  p.flat = g->stride_h == 1 && g->stride_w == 1;
  p.rows = (g->out_h - 1) * g->stride_h + g->kernel_h;
  p.cols = (g->out_w - 1) * g->stride_w + g->kernel_w;
  // The last flat tile reads up to RMAX + kernel_w cells past the plane's last row.
  p.floats = (p.rows * p.cols + AEK_DIRECT_RMAX + g->kernel_w) * g->channels;
  return p;
}
#endif

/// Copies one image into its zero-padded plane; where `mask` is given, a cell reads as zero
/// unless its mask value is above zero (the output of a fused relu, whose gradient this is), and
/// where `sums` is given, each channel's (masked) values are added to it.
///
/// With `up_h`, `up_w` above 1 (no mask, no sums), `image` is stored `up_h`×`up_w` times smaller
/// than the geometry's and read upsampled (nearest neighbour): an upsampling fused into the
/// convolution after it, so the upsampled image is never written out.
static AEK_NO_LIBC void K(direct_pad)(const aek_conv_geometry *g, aek_direct_plane p, const float *image, const float *mask,
                                      float *sums, long up_h, long up_w, float *plane) {
  const long C = g->channels, W = g->width, stored_w = W / up_w;
  const long inside = W < p.cols - g->pad_left ? W : p.cols - g->pad_left;  // image columns the plane holds
  for (long py = 0; py < p.rows; py++) {
    float *row = plane + py * p.cols * C;
    const long iy = py - g->pad_top;
    if (iy < 0 || iy >= g->height) {
      K(zero_run)(row, p.cols * C);
      continue;
    }
    if (iy % up_h != 0) {  // the rows of one stored row are equal: the plane row above, again
      K(copy_run)(row, row - p.cols * C, p.cols * C);
      continue;
    }
    K(zero_run)(row, g->pad_left * C);
    if (mask) {  // the gradient through a relu: kept where its output is above zero
      K(relu_backward)((size_t)(inside * C), image + iy * W * C, mask + iy * W * C, row + g->pad_left * C);
    } else if (up_w > 1) {
      const float *stored = image + iy / up_h * stored_w * C;
      float *cells = row + g->pad_left * C;
      if (C % 8 == 0) {
        for (long ix = 0; ix < inside; ix++)
          for (long v = 0; v < C; v += 8) aek_store8(cells + ix * C + v, aek_load8(stored + ix / up_w * C + v));
      } else {
        for (long ix = 0; ix < inside; ix++) K(copy_run)(cells + ix * C, stored + ix / up_w * C, C);
      }
    } else {
      K(copy_run)(row + g->pad_left * C, image + iy / up_h * W * C, inside * C);
    }
    K(zero_run)(row + (g->pad_left + inside) * C, (p.cols - g->pad_left - inside) * C);
  }
  K(zero_run)(plane + p.rows * p.cols * C, p.floats - p.rows * p.cols * C);
  if (sums) K(add_channel_sums)(sums, image, mask, g->height * W, C);  // every image cell, also those no window reads
}

/// The tiles of one image's outputs, `width` pixels each.
static inline long K(direct_tiles)(const aek_conv_geometry *g, aek_direct_plane p, long width) {
  return ((p.flat ? g->out_h * p.cols : g->out_h * g->out_w) + width - 1) / width;
}

/// Tile `t`'s pixels: each one's output index in `out` (-1 past the image: computed, dropped) and
/// where its window starts in the plane (floats) in `start`. Flat, the starts are consecutive
/// cells; otherwise pixels past the image repeat the last one's window.
static inline void K(direct_tile)(const aek_conv_geometry *g, aek_direct_plane p, long width, long t, long *out, long *start) {
  const long C = g->channels;
  if (p.flat) {
    long q = t * width, oy = q / p.cols, ox = q - oy * p.cols;
    for (long r = 0; r < width; r++) {
      out[r] = oy < g->out_h && ox < g->out_w ? oy * g->out_w + ox : -1;
      start[r] = (t * width + r) * C;
      if (++ox == p.cols) { ox = 0; oy++; }
    }
    return;
  }
  const long last = g->out_h * g->out_w - 1;
  for (long r = 0; r < width; r++) {
    const long q = t * width + r, at = q < last ? q : last, oy = at / g->out_w, ox = at - oy * g->out_w;
    out[r] = q <= last ? q : -1;
    start[r] = (oy * g->stride_h * p.cols + ox * g->stride_w) * C;
  }
}

/// The offsets in the plane (floats) of each kernel offset (ky, kx) from a window's start.
static inline void K(direct_offsets)(const aek_conv_geometry *g, aek_direct_plane p, long *offsets) {
  for (long ky = 0; ky < g->kernel_h; ky++)
    for (long kx = 0; kx < g->kernel_w; kx++) offsets[ky * g->kernel_w + kx] = (ky * p.cols + kx) * g->channels;
}

/// A forward tile for one channel and stride 1, where a tile's pixels are consecutive floats: one
/// loop over the kernel offsets, every input at a constant distance from the offset's pointer.
#define AEK_DIRECT_FORWARD_TILE_ONE_CHANNEL(NAME, V, R)                                                              \
  static inline void NAME(const float *x, const long *offset, long kernels, const float *w, long F, const float *bias, \
                          int relu, const long *out, float *y) {                                                     \
    AEK_DIRECT_START_TILE(V, R)                                                                                      \
    for (long k = 0; k < kernels; k++) {                                                                             \
      const float *xk = x + offset[k];                                                                               \
      aek_v8 wv[V];                                                                                                  \
      for (int v = 0; v < V; v++) wv[v] = aek_load8(w + k * F + 8 * v);                                             \
      for (int r = 0; r < R; r++) {                                                                                  \
        const aek_v8 s = (aek_v8)xk[r];                                                                              \
        for (int v = 0; v < V; v++) acc[r][v] += s * wv[v];                                                          \
      }                                                                                                              \
    }                                                                                                                \
    AEK_DIRECT_STORE_TILE(V, R)                                                                                      \
  }

/// Forward tile of R pixels × 8·V filters, pixel r's window starting `start[r]` floats into `x`:
/// for each kernel offset k (its input at `offset[k]` from a window's start) and channel c,
/// weight row k·C + c of `w` (rows of `F`, from the tile's first filter). Channels innermost, so
/// each pixel's input pointer is set once per offset. (A table of starts costs nothing measurable
/// against a constant step on stride-1 layers, and lets strided tiles run across row ends.)
#define AEK_DIRECT_FORWARD_TILE(NAME, V, R)                                                                 \
  static inline void NAME(const float *x, const long *start, const long *offset, long kernels, long C, const float *w, \
                          long F, const float *bias, int relu, const long *out, float *y) {                          \
    AEK_DIRECT_START_TILE(V, R)                                                                                      \
    for (long k = 0; k < kernels; k++) {                                                                             \
      const float *xr[R];                                                                                            \
      for (int r = 0; r < R; r++) xr[r] = x + start[r] + offset[k];                                                  \
      const float *wk = w + k * C * F;                                                                               \
      for (long c = 0; c < C; c++) {                                                                                 \
        aek_v8 wv[V];                                                                                                \
        for (int v = 0; v < V; v++) wv[v] = aek_load8(wk + c * F + 8 * v);                                           \
        for (int r = 0; r < R; r++) {                                                                                \
          const aek_v8 s = (aek_v8)xr[r][c];                                                                         \
          for (int v = 0; v < V; v++) acc[r][v] += s * wv[v];                                                        \
        }                                                                                                            \
      }                                                                                                              \
    }                                                                                                                \
    AEK_DIRECT_STORE_TILE(V, R)                                                                                      \
  }

#ifndef AEK_DIRECT_STORE_TILE
/// A tile's accumulators, each starting at its filters' bias.
#define AEK_DIRECT_START_TILE(V, R)                                                                                  \
  aek_v8 acc[R][V];                                                                                                  \
  for (int v = 0; v < V; v++) {                                                                                      \
    const aek_v8 b = bias ? aek_load8(bias + 8 * v) : (aek_v8)0.0f;                                                  \
    for (int r = 0; r < R; r++) acc[r][v] = b;                                                                       \
  }

/// Stores a tile's pixels that lie in the image, relu'd where asked.
#define AEK_DIRECT_STORE_TILE(V, R)                                                                                  \
  for (int r = 0; r < R; r++) {                                                                                      \
    if (out[r] < 0) continue;                                                                                        \
    for (int v = 0; v < V; v++) {                                                                                    \
      const aek_v8 value = relu ? __builtin_elementwise_max(acc[r][v], (aek_v8)0.0f) : acc[r][v];                    \
      aek_store8(y + out[r] * F + 8 * v, value);                                                                     \
    }                                                                                                                \
  }
#endif

AEK_DIRECT_FORWARD_TILE(K(direct_forward_tile16), 2, AEK_DIRECT_R16)
AEK_DIRECT_FORWARD_TILE(K(direct_forward_tile8), 1, AEK_DIRECT_R8)
AEK_DIRECT_FORWARD_TILE_ONE_CHANNEL(K(direct_forward_one_channel_tile16), 2, AEK_DIRECT_R16)
AEK_DIRECT_FORWARD_TILE_ONE_CHANNEL(K(direct_forward_one_channel_tile8), 1, AEK_DIRECT_R8)

/// The sums of each of eight vectors' lanes, into sums[0..<8].
static inline void K(lane_sums8)(const aek_v8 *a, float *sums) {
  aek_v8 pairs[4], quads[2];
  for (int i = 0; i < 4; i++)
    pairs[i] = __builtin_shufflevector(a[2 * i], a[2 * i + 1], 0, 2, 4, 6, 8, 10, 12, 14) +
               __builtin_shufflevector(a[2 * i], a[2 * i + 1], 1, 3, 5, 7, 9, 11, 13, 15);
  for (int i = 0; i < 2; i++)
    quads[i] = __builtin_shufflevector(pairs[2 * i], pairs[2 * i + 1], 0, 2, 4, 6, 8, 10, 12, 14) +
               __builtin_shufflevector(pairs[2 * i], pairs[2 * i + 1], 1, 3, 5, 7, 9, 11, 13, 15);
  aek_store8(sums, __builtin_shufflevector(quads[0], quads[1], 0, 2, 4, 6, 8, 10, 12, 14) +
                       __builtin_shufflevector(quads[0], quads[1], 1, 3, 5, 7, 9, 11, 13, 15));
}

/// Forward tile of 8 pixels (windows at `start[r]`) for one filter, vectors over channels (C a multiple of 8), over
/// `pairs` (kernel offset, 8 channels) pairs at `offset[j]`; `w` holds the filter's weights as
/// [kernel offset][channel], pair j's at 8·j.
static inline void K(direct_forward_channels_tile)(const float *x, const long *start, const long *offset, long pairs,
                                                   const float *w, float bias, int relu, const long *out, long F, float *y) {
  aek_v8 acc[8];
  for (int r = 0; r < 8; r++) acc[r] = 0.0f;
  for (long j = 0; j < pairs; j++) {
    const float *xj = x + offset[j];
    const aek_v8 wv = aek_load8(w + 8 * j);
    for (int r = 0; r < 8; r++) acc[r] += aek_load8(xj + start[r]) * wv;
  }
  float sums[8];
  K(lane_sums8)(acc, sums);
  for (int r = 0; r < 8; r++) {
    if (out[r] < 0) continue;
    const float value = sums[r] + bias;
    y[out[r] * F] = relu ? (value > 0.0f ? value : 0.0f) : value;
  }
}

static size_t K(conv_direct_scratch)(const aek_conv_geometry *g, long filters) {
  // The plane, an image's masked or upsampled output gradient (weight gradient), a repacked kernel
  // (forward).
  const long kernel = g->kernel_h * g->kernel_w * g->channels * filters, outputs = g->out_h * g->out_w * filters;
  // Also a full-size output image for block sums (aek_direct_resampling's y_sum).
  return (size_t)(aek_direct_plane_of(g).floats + 2 * outputs + kernel + 16);
}

/// The (kernel offset, channel) pairs of a window, in the kernel's row order: each one's place in
/// the plane from the window's start; over channel vectors (`by_channels`), one pair per 8 channels.
static inline long K(direct_pairs)(const aek_conv_geometry *g, aek_direct_plane p, int by_channels, long *offset) {
  const long C = g->channels, per = by_channels ? C / 8 : C, width = by_channels ? 8 : 1;
  long j = 0;
  for (long ky = 0; ky < g->kernel_h; ky++)
    for (long kx = 0; kx < g->kernel_w; kx++)
      for (long c = 0; c < per; c++) offset[j++] = (ky * p.cols + kx) * C + c * width;
  return j;
}

/// What the forward tiles need besides the plane: each kernel offset's place from a window's start
/// (by filters) or each (offset, 8 channels) pair's (over channels), and over channels the weights
/// repacked one filter at a time as [offset][channel] into `repacked`.
typedef struct {
  long pairs;  // kernel offsets (by filters) or channel-vector pairs
  int by_filters, one_channel;
} K(direct_forward_plan);

static K(direct_forward_plan) K(direct_forward_setup)(const aek_conv_geometry *g, aek_direct_plane p, long F, const float *w,
                                                       long *offset, float *repacked) {
  K(direct_forward_plan) plan;
  const long C = g->channels, kernels = g->kernel_h * g->kernel_w;
  plan.by_filters = F % 8 == 0;
  plan.one_channel = C == 1 && p.flat;
  plan.pairs = kernels;
  if (plan.by_filters)
    for (long k = 0; k < kernels; k++) offset[k] = (k / g->kernel_w * p.cols + k % g->kernel_w) * C;
  else {
    plan.pairs = K(direct_pairs)(g, p, 1, offset);
    for (long f = 0; f < F; f++)
      for (long i = 0; i < kernels * C; i++) repacked[f * kernels * C + i] = w[i * F + f];
  }
  return plan;
}

/// One image's forward pass from its padded plane into `image` ([out_h, out_w, F]).
static void K(direct_forward_image)(const aek_conv_geometry *g, aek_direct_plane p, K(direct_forward_plan) plan, const float *plane,
                                    const long *offset, long F, const float *w, const float *repacked, const float *bias, int relu,
                                    float *image) {
  const long C = g->channels, kernels = g->kernel_h * g->kernel_w;
  long out[AEK_DIRECT_RMAX], start[AEK_DIRECT_RMAX];
  // Filters 16 at a time, then a last 8: each block walks the image's tiles of its width.
#define AEK_DIRECT_FILTER_BLOCK(WIDTH, ONE_CHANNEL_TILE, TILE)                                                       \
  {                                                                                                                  \
    const long tiles = K(direct_tiles)(g, p, WIDTH);                                                                 \
    for (long t = 0; t < tiles; t++) {                                                                               \
      K(direct_tile)(g, p, WIDTH, t, out, start);                                                                    \
      if (plan.one_channel)                                                                                          \
        ONE_CHANNEL_TILE(plane + start[0], offset, kernels, w + f, F, bias ? bias + f : 0, relu, out, image + f);    \
      else                                                                                                           \
        TILE(plane, start, offset, kernels, C, w + f, F, bias ? bias + f : 0, relu, out, image + f);                 \
    }                                                                                                                \
  }
  if (plan.by_filters) {
    long f = 0;
    for (; f + 16 <= F; f += 16)
      AEK_DIRECT_FILTER_BLOCK(AEK_DIRECT_R16, K(direct_forward_one_channel_tile16), K(direct_forward_tile16))
    if (f < F)
      AEK_DIRECT_FILTER_BLOCK(AEK_DIRECT_R8, K(direct_forward_one_channel_tile8), K(direct_forward_tile8))
#undef AEK_DIRECT_FILTER_BLOCK
  } else {
    const long tiles = K(direct_tiles)(g, p, 8);
    for (long f = 0; f < F; f++)
      for (long t = 0; t < tiles; t++) {
        K(direct_tile)(g, p, 8, t, out, start);
        K(direct_forward_channels_tile)(plane, start, offset, plan.pairs, repacked + f * kernels * C, bias ? bias[f] : 0.0f,
                                        relu, out, F, image + f);
      }
  }
}

/// out[sy, sx, f] = the sum of image[sy·sum_h + fy, sx·sum_w + fx, f] over the block, from zero in
/// (fy, fx) order (the order aek_upsample_nearest_backward adds in, so the bits are the same).
static AEK_NO_LIBC void K(direct_block_sums)(const float *image, long out_h, long out_w, long F, long sum_h, long sum_w, float *out) {
  const long rows = out_h / sum_h, cols = out_w / sum_w;
  if (F % 8 == 0) {  // a block's vectors summed in registers, in the same order
    for (long sy = 0; sy < rows; sy++)
      for (long sx = 0; sx < cols; sx++, out += F)
        for (long v = 0; v < F; v += 8) {
          aek_v8 sum = 0.0f;
          for (long fy = 0; fy < sum_h; fy++) {
            const float *cell = image + ((sy * sum_h + fy) * out_w + sx * sum_w) * F + v;
            for (long fx = 0; fx < sum_w; fx++) sum += aek_load8(cell + fx * F);
          }
          aek_store8(out + v, sum);
        }
    return;
  }
  for (long sy = 0; sy < rows; sy++)
    for (long sx = 0; sx < cols; sx++, out += F) {
      K(zero_run)(out, F);
      for (long fy = 0; fy < sum_h; fy++)
        for (long fx = 0; fx < sum_w; fx++) K(add_run)(out, image + ((sy * sum_h + fy) * out_w + sx * sum_w + fx) * F, F);
    }
}

static void K(conv_direct)(const aek_conv_geometry *g, size_t count, long filters, const float *x, const float *x_mask,
                           float *x_sums, const float *w, const float *bias, int relu, const aek_direct_resampling *r,
                           float *y, float *scratch) {
  const aek_direct_plane p = aek_direct_plane_of(g);
  const long C = g->channels, F = filters, kernel = g->kernel_h * g->kernel_w * C * F;
  const long up_h = r ? r->x_up_h : 1, up_w = r ? r->x_up_w : 1, sum_h = r ? r->y_sum_h : 1, sum_w = r ? r->y_sum_w : 1;
  const int sums_blocks = sum_h * sum_w > 1;
  float *plane = scratch, *repacked = scratch + p.floats, *full = scratch + p.floats + kernel;
  long offset[g->kernel_h * g->kernel_w * C];
  const K(direct_forward_plan) plan = K(direct_forward_setup)(g, p, F, w, offset, repacked);
  const size_t image_size = (size_t)(g->height * g->width * C / (up_h * up_w));
  const size_t outputs = (size_t)(g->out_h * g->out_w * F / (sum_h * sum_w));
  for (size_t n = 0; n < count; n++) {
    K(direct_pad)(g, p, x + n * image_size, x_mask ? x_mask + n * image_size : 0, x_sums, up_h, up_w, plane);
    K(direct_forward_image)(g, p, plan, plane, offset, F, w, repacked, bias, relu, sums_blocks ? full : y + n * outputs);
    if (sums_blocks) K(direct_block_sums)(full, g->out_h, g->out_w, F, sum_h, sum_w, y + n * outputs);
  }
}

/// Weight-gradient block: J (offset, channel) pairs × 8·V filters, summed over one image's outputs
/// into dw (rows of F, at the block's first filter). Pair j reads the plane at `offset[j]` from a
/// window's start and adds to row `row[j]` of dw; a row of -1 is padding (computed, not stored).
#define AEK_DIRECT_WEIGHT_BLOCK(NAME, V, J)                                                                          \
  static inline void NAME(const aek_conv_geometry *g, aek_direct_plane p, const float *plane, const long *offset,      \
                          const long *row, const float *dy, long F, float *dw) {                                     \
    aek_v8 acc[J][V];                                                                                                \
    for (int j = 0; j < J; j++)                                                                                      \
      for (int v = 0; v < V; v++) acc[j][v] = 0.0f;                                                                  \
    const long C = g->channels, step = g->stride_w * C;                                                             \
    for (long oy = 0; oy < g->out_h; oy++) {                                                                         \
      const float *x = plane + oy * g->stride_h * p.cols * C;                                                        \
      const float *d = dy + oy * g->out_w * F;                                                                       \
      for (long ox = 0; ox < g->out_w; ox++, x += step, d += F) {                                                    \
        aek_v8 dv[V];                                                                                                \
        for (int v = 0; v < V; v++) dv[v] = aek_load8(d + 8 * v);                                                    \
        for (int j = 0; j < J; j++) {                                                                                \
          const aek_v8 s = (aek_v8)x[offset[j]];                                                                     \
          for (int v = 0; v < V; v++) acc[j][v] += s * dv[v];                                                        \
        }                                                                                                            \
      }                                                                                                              \
    }                                                                                                                \
    for (int j = 0; j < J; j++) {                                                                                    \
      if (row[j] < 0) continue;                                                                                      \
      for (int v = 0; v < V; v++) aek_store8(dw + row[j] * F + 8 * v, aek_load8(dw + row[j] * F + 8 * v) + acc[j][v]); \
    }                                                                                                                \
  }

AEK_DIRECT_WEIGHT_BLOCK(K(direct_weight_block16), 2, AEK_DIRECT_J16)
AEK_DIRECT_WEIGHT_BLOCK(K(direct_weight_block16_half), 2, AEK_DIRECT_J16 / 2)
AEK_DIRECT_WEIGHT_BLOCK(K(direct_weight_block8), 1, AEK_DIRECT_J8)
AEK_DIRECT_WEIGHT_BLOCK(K(direct_weight_block8_half), 1, AEK_DIRECT_J8 / 2)

/// Weight-gradient block over channels (C a multiple of 8), one filter `f`: JC vectors of 8
/// channels at (offset, first channel) pairs; each adds to dw[row][channel..+8][f].
static inline void K(direct_weight_channels_block)(const aek_conv_geometry *g, aek_direct_plane p, const float *plane,
                                                   const long *offset, const long *row, const float *dy, long F, long f,
                                                   float *dw) {
  aek_v8 acc[AEK_DIRECT_JC];
  for (int j = 0; j < AEK_DIRECT_JC; j++) acc[j] = 0.0f;
  const long C = g->channels, step = g->stride_w * C;
  for (long oy = 0; oy < g->out_h; oy++) {
    const float *x = plane + oy * g->stride_h * p.cols * C;
    const long first = oy * g->out_w * F + f;
    for (long ox = 0; ox < g->out_w; ox++, x += step) {
      const aek_v8 s = (aek_v8)dy[first + ox * F];
      for (int j = 0; j < AEK_DIRECT_JC; j++) acc[j] += aek_load8(x + offset[j]) * s;
    }
  }
  for (int j = 0; j < AEK_DIRECT_JC; j++) {
    if (row[j] < 0) continue;
    float sums[8];
    aek_store8(sums, acc[j]);
    for (int i = 0; i < 8; i++) dw[(row[j] + i) * F + f] += sums[i];
  }
}

/// Runs `full`-pair blocks over the pairs while whole ones remain, then `half`-pair ones (the last
/// padded), so at most half a block is padding.
#define AEK_DIRECT_BLOCKS(FULL, HALF, J, ...)                                        \
  do {                                                                               \
    long i_ = 0;                                                                     \
    for (; i_ + (J) <= pairs; i_ += (J)) FULL(g, p, plane, offset + i_, row + i_, __VA_ARGS__); \
    for (; i_ < pairs; i_ += (J) / 2) HALF(g, p, plane, offset + i_, row + i_, __VA_ARGS__);    \
  } while (0)

static void K(conv_direct_weight_gradient)(const aek_conv_geometry *g, size_t count, long filters, const float *x,
                                           const float *x_mask, float *x_sums, const float *dy, const float *dy_mask,
                                           int accumulate, float *dw, float *dy_sums, const float *w_forward,
                                           float *y_forward, const aek_direct_resampling *r, float *scratch) {
  const aek_direct_plane p = aek_direct_plane_of(g);
  const long C = g->channels, F = filters, kernels = g->kernel_h * g->kernel_w;
  const long up_h = r ? r->x_up_h : 1, up_w = r ? r->x_up_w : 1, sum_h = r ? r->y_sum_h : 1, sum_w = r ? r->y_sum_w : 1;
  const long dy_up_h = r ? r->dy_up_h : 1, dy_up_w = r ? r->dy_up_w : 1;
  const int sums_blocks = sum_h * sum_w > 1, upsamples_dy = dy_up_h * dy_up_w > 1;
  float *plane = scratch;
  // With y_forward, also the forward pass from the same planes (x is then an output gradient whose
  // convolution is another gradient): one copy of each image for both.
  long forward_offset[y_forward ? kernels * C : 1];
  float *repacked = scratch + p.floats + g->out_h * g->out_w * F;
  K(direct_forward_plan) plan = {0, 0, 0};
  if (y_forward) plan = K(direct_forward_setup)(g, p, F, w_forward, forward_offset, repacked);
  const int by_filters = F % 8 == 0;
  if (dw && !accumulate) K(zero_run)(dw, kernels * C * F);
  // The pairs, and padding pairs up to a whole block that read the window's start and are not stored.
  long offset[kernels * C + AEK_DIRECT_J8], row[kernels * C + AEK_DIRECT_J8];
  const long pairs = K(direct_pairs)(g, p, !by_filters, offset);
  for (long i = 0; i < pairs; i++) row[i] = by_filters ? i : i * 8;  // (k, c) is row k·C + c of dw
  for (long i = pairs; i < pairs + AEK_DIRECT_J8; i++) {
    offset[i] = 0;
    row[i] = -1;
  }
  const size_t outputs = (size_t)(g->out_h * g->out_w * F);
  const size_t dy_size = outputs / (size_t)(dy_up_h * dy_up_w), y_size = outputs / (size_t)(sum_h * sum_w);
  float *masked = scratch + p.floats;  // an image's masked or upsampled output gradient
  float *full = repacked + kernels * C * F;  // an image's forward output before its block sums
  for (size_t n = 0; n < count; n++) {
    const size_t image_size = (size_t)(g->height * g->width * C / (up_h * up_w));
    const float *d = dy + n * dy_size;
    if (dy_mask) {  // once per image, not once per block of pairs
      K(relu_backward)(outputs, d, dy_mask + n * outputs, masked);
      d = masked;
    } else if (upsamples_dy) {
      K(upsample_nearest)(1, (size_t)(g->out_h / dy_up_h), (size_t)(g->out_w / dy_up_w), (size_t)F, (size_t)dy_up_h,
                          (size_t)dy_up_w, d, masked);
      d = masked;
    }
    if (dy_sums) K(add_channel_sums)(dy_sums, d, 0, g->out_h * g->out_w, F);  // the bias gradient, while the output gradient is in cache
    if (dw || y_forward)
      K(direct_pad)(g, p, x + n * image_size, x_mask ? x_mask + n * image_size : 0, x_sums, up_h, up_w, plane);
    if (y_forward) {
      K(direct_forward_image)(g, p, plan, plane, forward_offset, F, w_forward, repacked, 0, 0, sums_blocks ? full : y_forward + n * y_size);
      if (sums_blocks) K(direct_block_sums)(full, g->out_h, g->out_w, F, sum_h, sum_w, y_forward + n * y_size);
    }
    if (dw) {
      if (by_filters) {
        long f = 0;
        for (; f + 16 <= F; f += 16)
          AEK_DIRECT_BLOCKS(K(direct_weight_block16), K(direct_weight_block16_half), AEK_DIRECT_J16, d + f, F, dw + f);
        if (f < F)
          AEK_DIRECT_BLOCKS(K(direct_weight_block8), K(direct_weight_block8_half), AEK_DIRECT_J8, d + f, F, dw + f);
      } else {
        for (long f = 0; f < F; f++)
          for (long i = 0; i < pairs; i += AEK_DIRECT_JC)
            K(direct_weight_channels_block)(g, p, plane, offset + i, row + i, d, F, f, dw);
      }
    }
  }
}
