// Transposed 3×3 stride-2 convolutions (nothing padded before) by a polyphase Winograd transform,
// compiled once per SIMD level like convolution_body.h. The products themselves are BLAS calls
// (Tensor+WinogradConvolution.swift); these kernels are the transforms around them.
//
// Along one axis, input cell i spreads onto outputs 2i, 2i+1, 2i+2 with taps w0, w1, w2, so
//   y[2i] = w0·x[i] + w2·x[i−1],  y[2i+1] = w1·x[i].
// A tile is two input cells, 2j and 2j+1, and the four outputs 4j..4j+3. It reads d0 = x[2j−1],
// d1 = x[2j], d2 = x[2j+1] (zero outside the image), transforms them to
//   t0 = d0 − d1,  t1 = d1,  t2 = d2 − d1,  t3 = d2,
// and forms five products (the even outputs are Winograd's F(2,2), three products for four):
//   P0 = t0·w2,  P1 = t1·(w0 + w2),  P2 = t1·w1,  P3 = t2·w0,  P4 = t3·w1,
// from which y[4j] = P0 + P1, y[4j+1] = P2, y[4j+2] = P1 + P3, y[4j+3] = P4 (check: P0 + P1 =
// w2·d0 + w0·d1 and P1 + P3 = w2·d1 + w0·d2). Two axes make 4×4 = 16 transformed inputs per
// channel and 5×5 = 25 products per filter for 16 outputs: 25 multiplications where a direct
// transposed convolution spends 36 (9 per input cell). The 16 transformed inputs are 16 matrices,
// [tiles × channels] each; input (p, q) meets the kernel's (p, q) group of products, one for each
// product its t_p and t_q enter (t1 enters two: P1 and P2), so group (p, q) is one BLAS product
// of [tiles × channels] by [channels × kp·kq·filters], kp = 2 for p = 1 and 1 otherwise.
//
// Product index pa (0..4) along an axis is (p, a): (0,0) (1,0) (1,1) (2,0) (3,0). The groups'
// product matrices lie one after another, group g = 4p + q of kp·kq·filters columns.

#ifndef AEK_WINOGRAD_DEFINED
#define AEK_WINOGRAD_DEFINED
static const int aek_wt2_p[5] = {0, 1, 1, 2, 3};  // the transformed input of product pa
static const int aek_wt2_a[5] = {0, 0, 1, 0, 0};  // its place among that input's products
/// The outputs each product reaches (-1: none); output r sums P0 + P1, P2, P1 + P3, P4 (wt2_output).
static const int aek_wt2_reach[5][2] = {{0, -1}, {0, 2}, {1, -1}, {2, -1}, {3, -1}};

/// Pointers to the size × size cells of an `h`×`w`×`c` image from (top, left), row by row, with
/// `outside` (c zeros to read, or a sink to write) for cells outside it.
static inline void aek_tile_cells(const float *image, size_t h, size_t w, size_t c, long top, long left, int size, const float *outside,
                                  const float **cells) {
  for (int a = 0; a < size; a++) {
    for (int b = 0; b < size; b++) {
      long r = top + a, col = left + b;
      cells[a * size + b] = r >= 0 && r < (long)h && col >= 0 && col < (long)w ? image + ((size_t)r * w + (size_t)col) * c : outside;
    }
  }
}

/// Asks for the cells of the tile two ahead along a row that no nearer tile reads (or, with
/// `write`, writes) to be brought into the cache: tiles of `size`×`size` cells of an `h`×`w`×`c`
/// image, `step` cells apart, this one's from (top, left). The images are past L2 by the time a
/// transform reads them, and a load or store that waits on memory held each tile up.
static inline void aek_prefetch_ahead(const float *image, size_t h, size_t w, size_t c, long top, long left, int size, int step,
                                      int write) {
  for (long col = left + size + step; col < left + size + 2 * step; col++) {
    if (col < 0 || col >= (long)w) continue;
    for (int a = 0; a < size; a++) {
      long r = top + a;
      if (r < 0 || r >= (long)h) continue;
      const char *cell = (const char *)(image + ((size_t)r * w + (size_t)col) * c);
      for (size_t byte = 0; byte < c * sizeof(float); byte += 64) {
        if (write) __builtin_prefetch(cell + byte, 1, 3);
        else __builtin_prefetch(cell + byte, 0, 3);
      }
    }
  }
}

/// Along one axis, the transformed values cell i entered: (tile, index p, sign) for each; their count.
static inline int aek_wt2_entered(size_t i, size_t tiles, size_t *tile, int *p, float *sign) {
  size_t j = i / 2;
  if (i % 2 == 0) {
    tile[0] = j, p[0] = 0, sign[0] = -1, tile[1] = j, p[1] = 1, sign[1] = 1, tile[2] = j, p[2] = 2, sign[2] = -1;
    return 3;
  }
  tile[0] = j, p[0] = 2, sign[0] = 1, tile[1] = j, p[1] = 3, sign[1] = 1;
  if (j + 1 >= tiles) return 2;
  tile[2] = j + 1, p[2] = 0, sign[2] = 1;
  return 3;
}

/// Pointers to tile 0's products (or their gradients) of a polyphase transform whose axis has
/// `products` products over `inputs` transformed inputs, product pa taking input p[pa] in place
/// a[pa], and input `shared` entering two products: first[pa·products + qb], rows of `filters`, in
/// the groups' product matrices one after another, `aek_winograd_stride` apart (group
/// g = inputs·p + q, kp·kq·filters wide); step[pa·products + qb]: the floats from one tile's to
/// the next's. Worked out once per call: worked out again for every tile, the group offsets' loop
/// was about a fifth of the output transforms' samples.
static inline void aek_polyphase_products(float *m, size_t tiles, size_t filters, int inputs, int products, const int *p, const int *a,
                                          int shared, float **first, size_t *step) {
  size_t offsets[36], offset = 0;
  for (int g = 0; g < inputs * inputs; g++) {
    offsets[g] = offset;
    offset += aek_winograd_stride(tiles * (size_t)((g / inputs == shared ? 2 : 1) * (g % inputs == shared ? 2 : 1)) * filters);
  }
  for (int pa = 0; pa < products; pa++) {
    for (int qb = 0; qb < products; qb++) {
      int g = inputs * p[pa] + p[qb];
      size_t kq = p[qb] == shared ? 2 : 1, width = (size_t)(p[pa] == shared ? 2 : 1) * kq;
      first[pa * products + qb] = m + offsets[g] + ((size_t)a[pa] * kq + (size_t)a[qb]) * filters;
      step[pa * products + qb] = width * filters;
    }
  }
}

/// The `count` product pointers of tile `tile` from tile 0's and their steps.
static inline void aek_products_of_tile(float *const *first, const size_t *step, int count, size_t tile, float **out) {
  for (int i = 0; i < count; i++) out[i] = first[i] + tile * step[i];
}

/// Tile 0's 25 products, or their gradients, and their steps: [pa][qb] rows of `filters`.
static inline void aek_wt2_products(float *m, size_t tiles, size_t filters, float *first[5][5], size_t step[5][5]) {
  aek_polyphase_products(m, tiles, filters, 4, 5, aek_wt2_p, aek_wt2_a, 1, &first[0][0], &step[0][0]);
}
#endif

/// The 16 transformed inputs of every tile of `count` images `h`×`w`×`c`: `v` holds 16 matrices of
/// `count·th·tw` rows × `c`, rows in (image, tile row, tile column) order. `zeros`: `c` zeros.
static void K(wt2_input)(size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw, const float *x,
                         const float *zeros, float *v) {
  size_t tiles = count * th * tw, group = aek_winograd_stride(tiles * c), tile = 0;
  for (size_t n = 0; n < count; n++) {
    const float *image = x + n * h * w * c;
    for (size_t ty = 0; ty < th; ty++) {
      for (size_t tx = 0; tx < tw; tx++, tile++) {
        aek_prefetch_ahead(image, h, w, c, 2 * (long)ty - 1, 2 * (long)tx - 1, 3, 2, 0);
        const float *d[3][3];
        aek_tile_cells(image, h, w, c, 2 * (long)ty - 1, 2 * (long)tx - 1, 3, zeros, &d[0][0]);
        // The reads and writes never overlap: said to the vectorizer by the pragma (clang ignores
        // restrict on locals).
        const float *restrict d00 = d[0][0], *restrict d01 = d[0][1], *restrict d02 = d[0][2];
        const float *restrict d10 = d[1][0], *restrict d11 = d[1][1], *restrict d12 = d[1][2];
        const float *restrict d20 = d[2][0], *restrict d21 = d[2][1], *restrict d22 = d[2][2];
        float *out = v + tile * c;
        float *restrict o00 = out, *restrict o01 = out + group, *restrict o02 = out + 2 * group, *restrict o03 = out + 3 * group;
        float *restrict o10 = out + 4 * group, *restrict o11 = out + 5 * group, *restrict o12 = out + 6 * group;
        float *restrict o13 = out + 7 * group, *restrict o20 = out + 8 * group, *restrict o21 = out + 9 * group;
        float *restrict o22 = out + 10 * group, *restrict o23 = out + 11 * group, *restrict o30 = out + 12 * group;
        float *restrict o31 = out + 13 * group, *restrict o32 = out + 14 * group, *restrict o33 = out + 15 * group;
        #pragma clang loop vectorize(assume_safety)
        for (size_t ch = 0; ch < c; ch++) {
          // Rows first (t_p of each column b), then columns.
          float t00 = d00[ch] - d10[ch], t01 = d01[ch] - d11[ch], t02 = d02[ch] - d12[ch];
          float t10 = d10[ch], t11 = d11[ch], t12 = d12[ch];
          float t20 = d20[ch] - d10[ch], t21 = d21[ch] - d11[ch], t22 = d22[ch] - d12[ch];
          float t30 = d20[ch], t31 = d21[ch], t32 = d22[ch];
          o00[ch] = t00 - t01, o01[ch] = t01, o02[ch] = t02 - t01, o03[ch] = t02;
          o10[ch] = t10 - t11, o11[ch] = t11, o12[ch] = t12 - t11, o13[ch] = t12;
          o20[ch] = t20 - t21, o21[ch] = t21, o22[ch] = t22 - t21, o23[ch] = t22;
          o30[ch] = t30 - t31, o31[ch] = t31, o32[ch] = t32 - t31, o33[ch] = t32;
        }
      }
    }
  }
}

/// The input gradient from the transformed inputs' gradients `dv` (laid out as `wt2_input`'s
/// output): each cell gathers the (up to) 3×3 transformed values it entered, with their signs.
static void K(wt2_input_backward)(size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw, const float *dv,
                                  float *dx) {
  size_t tiles = count * th * tw, group = aek_winograd_stride(tiles * c);
  for (size_t n = 0; n < count; n++) {
    for (size_t i = 0; i < h; i++) {
      size_t rt[3]; int rp[3]; float rs[3];
      int rows = aek_wt2_entered(i, th, rt, rp, rs);
      for (size_t k = 0; k < w; k++) {
        size_t ct[3]; int cq[3]; float cs[3];
        int cols = aek_wt2_entered(k, tw, ct, cq, cs);
        float *restrict out = dx + ((n * h + i) * w + k) * c;
        int first = 1;
        for (int a = 0; a < rows; a++) {
          for (int b = 0; b < cols; b++) {
            const float *restrict in = dv + (size_t)(4 * rp[a] + cq[b]) * group + ((n * th + rt[a]) * tw + ct[b]) * c;
            float sign = rs[a] * cs[b];
            if (first) {
              #pragma clang loop vectorize(assume_safety)
              for (size_t ch = 0; ch < c; ch++) out[ch] = sign * in[ch];
              first = 0;
            } else {
              #pragma clang loop vectorize(assume_safety)
              for (size_t ch = 0; ch < c; ch++) out[ch] += sign * in[ch];
            }
          }
        }
      }
    }
  }
}

#ifndef AEK_FOR_BIAS_AND_RELU
/// Calls `CELLS(..., bias, relu)` with `bias` and `relu` constants in each case (null or not, 0 or 1),
/// so an always-inline body is compiled once per case.
#define AEK_FOR_BIAS_AND_RELU(CELLS, ...)         \
  do {                                            \
    if (bias && relu) CELLS(__VA_ARGS__, bias, 1); \
    else if (bias) CELLS(__VA_ARGS__, bias, 0);    \
    else if (relu) CELLS(__VA_ARGS__, NULL, 1);    \
    else CELLS(__VA_ARGS__, NULL, 0);              \
  } while (0)
#endif

/// Each tile's 4×4 outputs from its 25 products `m` (the groups' product matrices), plus `bias`
/// (or nil), through relu when `relu`; outputs past `oh`×`ow` go to `sink` (f floats). One pass
/// per tile, each output stored once: adding the bias and the relu in passes of their own stored
/// every output three times and took about 45% longer (its share of one profile each; the
/// stores to a fresh output wait on its lines).
static inline __attribute__((always_inline)) void K(wt2_output_cells)(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw,
                                                                      const float *m, float *sink, float *y, const float *bias, int relu) {
  size_t tiles = count * th * tw, tile = 0;
  float *first[5][5];
  size_t step[5][5];
  aek_wt2_products((float *)m, tiles, f, first, step);
  for (size_t n = 0; n < count; n++) {
    for (size_t ty = 0; ty < th; ty++) {
      for (size_t tx = 0; tx < tw; tx++, tile++) {
        float *products[5][5];
        aek_products_of_tile(&first[0][0], &step[0][0], 25, tile, &products[0][0]);
        float *out[4][4];  // written through: the helper hands out const pointers into y and the sink
        aek_prefetch_ahead(y + n * oh * ow * f, oh, ow, f, 4 * (long)ty, 4 * (long)tx, 4, 4, 1);
        aek_tile_cells(y + n * oh * ow * f, oh, ow, f, 4 * (long)ty, 4 * (long)tx, 4, sink, (const float **)&out[0][0]);
#pragma clang loop vectorize(assume_safety)
        for (size_t ch = 0; ch < f; ch++) {
          float z[5][4];  // z[pa][s]: the columns combined (output s sums P0 + P1, P2, P1 + P3, P4)
          #pragma unroll
          for (int pa = 0; pa < 5; pa++) {
            const float p0 = products[pa][0][ch], p1 = products[pa][1][ch];
            z[pa][0] = p0 + p1, z[pa][1] = products[pa][2][ch], z[pa][2] = p1 + products[pa][3][ch], z[pa][3] = products[pa][4][ch];
          }
          float b = bias ? bias[ch] : 0;
          #pragma unroll
          for (int s = 0; s < 4; s++) {
            float o[4] = {z[0][s] + z[1][s], z[2][s], z[1][s] + z[3][s], z[4][s]};
            #pragma unroll
            for (int r = 0; r < 4; r++) {
              float value = o[r] + b;
              if (relu) value = value > 0 ? value : 0;
              out[r][s][ch] = value;
            }
          }
        }
      }
    }
  }
}

static void K(wt2_output)(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *m,
                          const float *bias, int relu, float *sink, float *y) {
  // Each case of bias and relu compiled on its own, as wt5_output's.
  AEK_FOR_BIAS_AND_RELU(K(wt2_output_cells), count, oh, ow, f, th, tw, m, sink, y);
}

/// The products' gradients `dm` (laid out as `wt2_output` reads `m`) from the output gradient
/// `dy` of `count` images `oh`×`ow`×`f`: each product's is the sum of the outputs it reached.
/// `zeros`: `f` zeros, read for outputs past the image. (A fused relu's mask is applied to dy
/// before, image by image in one streaming pass: masking here, tile by tile, read dy and the mask
/// 4 rows at a time and took the conv VAE's epoch 4% longer.)
static void K(wt2_output_backward)(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *dy,
                                   const float *zeros, float *dm) {
  size_t tiles = count * th * tw, tile = 0;
  float *first[5][5];
  size_t step[5][5];
  aek_wt2_products(dm, tiles, f, first, step);
  for (size_t n = 0; n < count; n++) {
    for (size_t ty = 0; ty < th; ty++) {
      for (size_t tx = 0; tx < tw; tx++, tile++) {
        float *products[5][5];
        aek_products_of_tile(&first[0][0], &step[0][0], 25, tile, &products[0][0]);
        const float *g[4][4];
        aek_tile_cells(dy + n * oh * ow * f, oh, ow, f, 4 * (long)ty, 4 * (long)tx, 4, zeros, &g[0][0]);
        for (int pa = 0; pa < 5; pa++) {
          for (int qb = 0; qb < 5; qb++) {
            float *restrict out = products[pa][qb];
            const int *rows = aek_wt2_reach[pa], *cols = aek_wt2_reach[qb];
            const float *restrict t0 = g[rows[0]][cols[0]];
            if (rows[1] < 0 && cols[1] < 0) {
#pragma clang loop vectorize(assume_safety)
              for (size_t ch = 0; ch < f; ch++) out[ch] = t0[ch];
            } else if (rows[1] < 0 || cols[1] < 0) {
              const float *restrict t1 = rows[1] < 0 ? g[rows[0]][cols[1]] : g[rows[1]][cols[0]];
#pragma clang loop vectorize(assume_safety)
              for (size_t ch = 0; ch < f; ch++) out[ch] = t0[ch] + t1[ch];
            } else {
              const float *restrict t1 = g[rows[0]][cols[1]], *restrict t2 = g[rows[1]][cols[0]], *restrict t3 = g[rows[1]][cols[1]];
#pragma clang loop vectorize(assume_safety)
              for (size_t ch = 0; ch < f; ch++) out[ch] = (t0[ch] + t1[ch]) + (t2[ch] + t3[ch]);
            }
          }
        }
      }
    }
  }
}

// Stride-1 3×3 convolutions by Winograd's F(2×2, 3×3). Along one axis a tile is two outputs,
// o[2j] and o[2j+1], reading d0..d3 = x[2j − pad .. 2j − pad + 3] (zero outside the image);
//   t0 = d0 − d2,  t1 = d1 + d2,  t2 = d2 − d1,  t3 = d1 − d3          (Bᵀd)
//   U0 = w0, U1 = (w0 + w1 + w2)/2, U2 = (w0 − w1 + w2)/2, U3 = w2      (Gw, in Swift)
//   o[2j] = m0 + m1 + m2,  o[2j+1] = m1 − m2 − m3,  m_p = t_p·U_p       (Aᵀm)
// Two axes: 16 transformed inputs and 16 products for 2×2 outputs, where direct convolution makes
// 36 multiplications. The 16 transformed inputs are 16 matrices [tiles × channels] and the
// products 16 matrices [tiles × filters], one BLAS product each (group g = 4p + q).

/// The 16 transformed inputs of every tile (`th`×`tw` per image, 2×2 outputs each) of `count`
/// images `h`×`w`×`c` padded by `pad` before: 16 matrices of `count·th·tw` rows × `c`.
static void K(wf23_input)(size_t count, size_t h, size_t w, size_t c, size_t pad, size_t th, size_t tw, const float *x,
                          const float *zeros, float *v) {
  size_t tiles = count * th * tw, group = aek_winograd_stride(tiles * c), tile = 0;
  for (size_t n = 0; n < count; n++) {
    const float *image = x + n * h * w * c;
    for (size_t ty = 0; ty < th; ty++) {
      for (size_t tx = 0; tx < tw; tx++, tile++) {
        const float *d[4][4];
        aek_tile_cells(image, h, w, c, 2 * (long)ty - (long)pad, 2 * (long)tx - (long)pad, 4, zeros, &d[0][0]);
        float *out = v + tile * c;
#pragma clang loop vectorize(assume_safety)
        for (size_t ch = 0; ch < c; ch++) {
          float t[4][4];
          for (int b = 0; b < 4; b++) {
            float d0 = d[0][b][ch], d1 = d[1][b][ch], d2 = d[2][b][ch], d3 = d[3][b][ch];
            t[0][b] = d0 - d2, t[1][b] = d1 + d2, t[2][b] = d2 - d1, t[3][b] = d1 - d3;
          }
          for (int p = 0; p < 4; p++) {
            out[(size_t)(4 * p + 0) * group + ch] = t[p][0] - t[p][2];
            out[(size_t)(4 * p + 1) * group + ch] = t[p][1] + t[p][2];
            out[(size_t)(4 * p + 2) * group + ch] = t[p][2] - t[p][1];
            out[(size_t)(4 * p + 3) * group + ch] = t[p][1] - t[p][3];
          }
        }
      }
    }
  }
}

/// One channel of a tile's 16 transformed-input gradients back through Bᵀ's adjoint (rows, then columns).
static inline void K(wf23_back)(const float *in, size_t group, size_t ch, float g[4][4]) {
  float e[4][4];
  for (int q = 0; q < 4; q++) {
    float t0 = in[(size_t)q * group + ch], t1 = in[(size_t)(4 + q) * group + ch];
    float t2 = in[(size_t)(8 + q) * group + ch], t3 = in[(size_t)(12 + q) * group + ch];
    e[0][q] = t0, e[1][q] = t1 - t2 + t3, e[2][q] = t1 + t2 - t0, e[3][q] = -t3;
  }
  for (int a = 0; a < 4; a++) {
    g[a][0] = e[a][0], g[a][1] = e[a][1] - e[a][2] + e[a][3], g[a][2] = e[a][1] + e[a][2] - e[a][0], g[a][3] = -e[a][3];
  }
}

/// The input gradient from the transformed inputs' gradients `dv` (laid out as `wf23_input`'s
/// output): each tile's 16 values back through Bᵀ's adjoint to its 4×4 inputs, added into `dx`
/// (tiles overlap by two cells along each axis). A gather per cell read up to 16 values for each
/// and ran the denoiser's 14×14 input gradient at half the speed of its forward pass. Cells past
/// the image are added into `sink` (c floats, left undefined), so every tile runs the same vector
/// loop: a branch per cell (12 of the 16 tiles of a 7×7 image have cells outside) took the codec's
/// 3×3 layers' input gradients about twice their forward passes' time.
static void K(wf23_input_backward)(size_t count, size_t h, size_t w, size_t c, size_t pad, size_t th, size_t tw,
                                   const float *dv, float *sink, float *dx) {
  size_t tiles = count * th * tw, group = aek_winograd_stride(tiles * c), tile = 0;
  memset(dx, 0, count * h * w * c * sizeof(float));
  for (size_t n = 0; n < count; n++) {
    float *image = dx + n * h * w * c;
    for (size_t ty = 0; ty < th; ty++) {
      for (size_t tx = 0; tx < tw; tx++, tile++) {
        float *d[4][4];  // written through, as wt2_output's cells
        aek_tile_cells(image, h, w, c, 2 * (long)ty - (long)pad, 2 * (long)tx - (long)pad, 4, sink, (const float **)&d[0][0]);
        const float *in = dv + tile * c;
#pragma clang loop vectorize(assume_safety)
        for (size_t ch = 0; ch < c; ch++) {
          float g[4][4];
          K(wf23_back)(in, group, ch, g);
          for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 4; b++) d[a][b][ch] += g[a][b];
          }
        }
      }
    }
  }
}

/// Each tile's 2×2 outputs from its 16 products `m` (16 matrices [count·th·tw × f]), plus `bias`
/// (or nil), through relu when `relu`; outputs past `oh`×`ow` are not written.
static inline __attribute__((always_inline)) void K(wf23_output_cells)(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw,
                                                                       const float *m, float *y, const float *bias, int relu) {
  size_t tiles = count * th * tw, group = aek_winograd_stride(tiles * f), tile = 0;
  for (size_t n = 0; n < count; n++) {
    for (size_t ty = 0; ty < th; ty++) {
      for (size_t tx = 0; tx < tw; tx++, tile++) {
        const float *in = m + tile * f;
        size_t row = 2 * ty, col = 2 * tx;
        int down = row + 1 < oh, across = col + 1 < ow;
        float *y00 = y + ((n * oh + row) * ow + col) * f;
        float *y01 = y00 + f, *y10 = y00 + ow * f, *y11 = y10 + f;
#pragma clang loop vectorize(assume_safety)
        for (size_t ch = 0; ch < f; ch++) {
          float a[2][4];
          for (int q = 0; q < 4; q++) {
            float m0 = in[(size_t)q * group + ch], m1 = in[(size_t)(4 + q) * group + ch];
            float m2 = in[(size_t)(8 + q) * group + ch], m3 = in[(size_t)(12 + q) * group + ch];
            a[0][q] = m0 + m1 + m2, a[1][q] = m1 - m2 - m3;
          }
          float b = bias ? bias[ch] : 0;
          float o00 = a[0][0] + a[0][1] + a[0][2] + b, o01 = a[0][1] - a[0][2] - a[0][3] + b;
          float o10 = a[1][0] + a[1][1] + a[1][2] + b, o11 = a[1][1] - a[1][2] - a[1][3] + b;
          if (relu) {
            o00 = o00 > 0 ? o00 : 0, o01 = o01 > 0 ? o01 : 0, o10 = o10 > 0 ? o10 : 0, o11 = o11 > 0 ? o11 : 0;
          }
          y00[ch] = o00;
          if (across) y01[ch] = o01;
          if (down) y10[ch] = o10;
          if (down && across) y11[ch] = o11;
        }
      }
    }
  }
}

static void K(wf23_output)(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *m,
                           const float *bias, int relu, float *y) {
  // Each case of bias and relu compiled on its own, as wt5_output's.
  AEK_FOR_BIAS_AND_RELU(K(wf23_output_cells), count, oh, ow, f, th, tw, m, y);
}

/// The products' gradients `dm` (laid out as `wf23_output` reads `m`) from the output gradient
/// `dy` (`zeros`: f zeros, read for outputs past the image).
static void K(wf23_output_backward)(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *dy,
                                    const float *zeros, float *dm) {
  size_t tiles = count * th * tw, group = aek_winograd_stride(tiles * f), tile = 0;
  for (size_t n = 0; n < count; n++) {
    for (size_t ty = 0; ty < th; ty++) {
      for (size_t tx = 0; tx < tw; tx++, tile++) {
        const float *g[2][2];
        aek_tile_cells(dy + n * oh * ow * f, oh, ow, f, 2 * (long)ty, 2 * (long)tx, 2, zeros, &g[0][0]);
        float *out = dm + tile * f;
#pragma clang loop vectorize(assume_safety)
        for (size_t ch = 0; ch < f; ch++) {
          float hq[2][4];
          for (int r = 0; r < 2; r++) {
            float g0 = g[r][0][ch], g1 = g[r][1][ch];
            hq[r][0] = g0, hq[r][1] = g0 + g1, hq[r][2] = g0 - g1, hq[r][3] = -g1;
          }
          for (int q = 0; q < 4; q++) {
            out[(size_t)q * group + ch] = hq[0][q];
            out[(size_t)(4 + q) * group + ch] = hq[0][q] + hq[1][q];
            out[(size_t)(8 + q) * group + ch] = hq[0][q] - hq[1][q];
            out[(size_t)(12 + q) * group + ch] = -hq[1][q];
          }
        }
      }
    }
  }
}

// Transposed 5×5 stride-2 convolutions with one cell padded before (Keras's `same`), by a
// polyphase transform like the 3×3 one's. Along one axis, y[r] gathers x[i]·w[k] for r = 2i + k − 1,
// so a tile of outputs 4j..4j+3 reads d0..d3 = x[2j−1..2j+2]:
//   y[4j]   = w3·d0 + w1·d1,            y[4j+2] = w3·d1 + w1·d2          (2 taps: F(2,2))
//   y[4j+1] = w4·d0 + w2·d1 + w0·d2,    y[4j+3] = w4·d1 + w2·d2 + w0·d3  (3 taps: F(2,3))
// Six transformed inputs (e2 = d2 − d1 serves both halves), seven products:
//   e0 = d0 − d1, e1 = d1, e2 = d2 − d1, e3 = d0 − d2, e4 = d1 + d2, e5 = d1 − d3
//   P0 = e0·w3, P1 = e1·(w1 + w3), P2 = e2·w1, P3 = e2·(w0 − w2 + w4)/2, P4 = e3·w4,
//   P5 = e4·(w0 + w2 + w4)/2, P6 = e5·w0
//   y0 = P0 + P1, y1 = P4 + P5 + P3, y2 = P1 + P2, y3 = P5 − P3 − P6
// Two axes: 36 transformed inputs and 49 products per 4×4 outputs, where im2col makes 100 (25 per
// input cell). The products of input group (p, q) are kp·kq wide (e2 enters two).

#ifndef AEK_WT5_DEFINED
#define AEK_WT5_DEFINED
static const float aek_wt5_e[6][4] = {{1, -1, 0, 0}, {0, 1, 0, 0}, {0, -1, 1, 0}, {1, 0, -1, 0}, {0, 1, 1, 0}, {0, 1, 0, -1}};
static const int aek_wt5_p[7] = {0, 1, 2, 2, 3, 4, 5};  // each product's transformed input
static const int aek_wt5_a[7] = {0, 0, 0, 1, 0, 0, 0};  // its place among that input's products
static const float aek_wt5_o[4][7] = {{1, 1, 0, 0, 0, 0, 0}, {0, 0, 0, 1, 1, 1, 0}, {0, 1, 1, 0, 0, 0, 0}, {0, 0, 0, -1, 0, 1, -1}};

/// Tile 0's 49 products, or their gradients, and their steps: [pa][qb] rows of `filters`.
static inline void aek_wt5_products(float *m, size_t tiles, size_t filters, float *first[7][7], size_t step[7][7]) {
  aek_polyphase_products(m, tiles, filters, 6, 7, aek_wt5_p, aek_wt5_a, 2, &first[0][0], &step[0][0]);
}
#endif

// One axis's transforms, written out so the vectorizer sees straight-line code.
#define AEK_WT5_E(d0, d1, d2, d3, e)                                                        \
  (e)[0] = (d0) - (d1), (e)[1] = (d1), (e)[2] = (d2) - (d1), (e)[3] = (d0) - (d2), \
  (e)[4] = (d1) + (d2), (e)[5] = (d1) - (d3)
#define AEK_WT5_E_ADJOINT(e, d)                                                                          \
  (d)[0] = (e)[0] + (e)[3], (d)[1] = (e)[1] - (e)[0] - (e)[2] + (e)[4] + (e)[5], \
  (d)[2] = (e)[2] - (e)[3] + (e)[4], (d)[3] = -(e)[5]
#define AEK_WT5_O(p, y) \
  (y)[0] = (p)[0] + (p)[1], (y)[1] = (p)[3] + (p)[4] + (p)[5], (y)[2] = (p)[1] + (p)[2], (y)[3] = (p)[5] - (p)[3] - (p)[6]
#define AEK_WT5_O_ADJOINT(g, p)                                                                     \
  (p)[0] = (g)[0], (p)[1] = (g)[0] + (g)[2], (p)[2] = (g)[2], (p)[3] = (g)[1] - (g)[3], (p)[4] = (g)[1], \
  (p)[5] = (g)[1] + (g)[3], (p)[6] = -(g)[3]

/// The 36 transformed inputs of every tile: 36 matrices of `count·th·tw` rows × `c`.
static void K(wt5_input)(size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw, const float *x,
                         const float *zeros, float *v) {
  size_t tiles = count * th * tw, group = aek_winograd_stride(tiles * c), tile = 0;
  for (size_t n = 0; n < count; n++) {
    const float *image = x + n * h * w * c;
    for (size_t ty = 0; ty < th; ty++) {
      for (size_t tx = 0; tx < tw; tx++, tile++) {
        const float *d[4][4];
        aek_tile_cells(image, h, w, c, 2 * (long)ty - 1, 2 * (long)tx - 1, 4, zeros, &d[0][0]);
        float *out = v + tile * c;
#pragma clang loop vectorize(assume_safety)
        for (size_t ch = 0; ch < c; ch++) {
          float t[4][6], e[6];  // t[b][p]: column b's rows transformed
          #pragma unroll
          for (int b = 0; b < 4; b++) AEK_WT5_E(d[0][b][ch], d[1][b][ch], d[2][b][ch], d[3][b][ch], t[b]);
          #pragma unroll
          for (int p = 0; p < 6; p++) {
            AEK_WT5_E(t[0][p], t[1][p], t[2][p], t[3][p], e);
            #pragma unroll
            for (int q = 0; q < 6; q++) out[(size_t)(6 * p + q) * group + ch] = e[q];
          }
        }
      }
    }
  }
}

/// The input gradient from the transformed inputs' gradients `dv`: each tile's 36 values back to
/// its 4×4 cells, added into `dx` (tiles overlap by two cells along each axis). Cells past the
/// image are added into `sink` (c floats, left undefined), so every tile runs the same straight
/// loop (a branch per cell ran the codec's input gradient 3× slower than im2col's).
static void K(wt5_input_backward)(size_t count, size_t h, size_t w, size_t c, size_t th, size_t tw, const float *dv,
                                  float *sink, float *dx) {
  size_t tiles = count * th * tw, group = aek_winograd_stride(tiles * c), tile = 0;
  memset(dx, 0, count * h * w * c * sizeof(float));
  for (size_t n = 0; n < count; n++) {
    float *image = dx + n * h * w * c;
    for (size_t ty = 0; ty < th; ty++) {
      for (size_t tx = 0; tx < tw; tx++, tile++) {
        float *cells[4][4];  // written through, as wt2_output's cells
        aek_tile_cells(image, h, w, c, 2 * (long)ty - 1, 2 * (long)tx - 1, 4, sink, (const float **)&cells[0][0]);
        const float *in = dv + tile * c;
#pragma clang loop vectorize(assume_safety)
        for (size_t ch = 0; ch < c; ch++) {
          float rows[6][4], e[6], g[4];  // rows[p][b]: values back through the columns' adjoint
          #pragma unroll
          for (int p = 0; p < 6; p++) {
            #pragma unroll
            for (int q = 0; q < 6; q++) e[q] = in[(size_t)(6 * p + q) * group + ch];
            AEK_WT5_E_ADJOINT(e, rows[p]);
          }
          #pragma unroll
          for (int b = 0; b < 4; b++) {
            #pragma unroll
            for (int p = 0; p < 6; p++) e[p] = rows[p][b];
            AEK_WT5_E_ADJOINT(e, g);
            #pragma unroll
            for (int a = 0; a < 4; a++) {
              cells[a][b][ch] += g[a];
            }
          }
        }
      }
    }
  }
}

/// Each tile's 4×4 outputs from its 49 products, plus `bias` (or nil), relu'd when `relu`;
/// outputs past the image are written to `sink` (f floats, left undefined).
static inline __attribute__((always_inline)) void K(wt5_output_cells)(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw,
                                                                      const float *m, float *sink, float *y, const float *bias, int relu) {
  size_t tiles = count * th * tw, tile = 0;
  float *first[7][7];
  size_t step[7][7];
  aek_wt5_products((float *)m, tiles, f, first, step);
  for (size_t n = 0; n < count; n++) {
    for (size_t ty = 0; ty < th; ty++) {
      for (size_t tx = 0; tx < tw; tx++, tile++) {
        float *products[7][7];
        aek_products_of_tile(&first[0][0], &step[0][0], 49, tile, &products[0][0]);
        float *out[4][4];  // written through: the helper hands out const pointers into y and the sink
        aek_tile_cells(y + n * oh * ow * f, oh, ow, f, 4 * (long)ty, 4 * (long)tx, 4, sink, (const float **)&out[0][0]);
#pragma clang loop vectorize(assume_safety)
        for (size_t ch = 0; ch < f; ch++) {
          float z[7][4], p[7], column[7], o[4];  // z[pa][s]: the columns combined
          #pragma unroll
          for (int pa = 0; pa < 7; pa++) {
            #pragma unroll
            for (int qb = 0; qb < 7; qb++) p[qb] = products[pa][qb][ch];
            AEK_WT5_O(p, z[pa]);
          }
          float b = bias ? bias[ch] : 0;
          #pragma unroll
          for (int s = 0; s < 4; s++) {
            #pragma unroll
            for (int pa = 0; pa < 7; pa++) column[pa] = z[pa][s];
            AEK_WT5_O(column, o);
            #pragma unroll
            for (int r = 0; r < 4; r++) {
              float value = o[r] + b;
              if (relu) value = value > 0 ? value : 0;
              out[r][s][ch] = value;
            }
          }
        }
      }
    }
  }
}

static void K(wt5_output)(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *m,
                          const float *bias, int relu, float *sink, float *y) {
  // Each case of bias and relu compiled on its own: with `bias ? bias[ch] : 0` inside the channel
  // loop, a null bias (the codec's 5×5 input gradient) took 862 µs a pass where the same transform
  // with a bias took 663 (best of 4 rounds of `benchmark --kernels`; 663 once specialized).
  AEK_FOR_BIAS_AND_RELU(K(wt5_output_cells), count, oh, ow, f, th, tw, m, sink, y);
}

/// The products' gradients `dm` from the output gradient `dy` (`zeros`: f zeros for outputs past the image).
static void K(wt5_output_backward)(size_t count, size_t oh, size_t ow, size_t f, size_t th, size_t tw, const float *dy,
                                   const float *zeros, float *dm) {
  size_t tiles = count * th * tw, tile = 0;
  float *first[7][7];
  size_t step[7][7];
  aek_wt5_products(dm, tiles, f, first, step);
  for (size_t n = 0; n < count; n++) {
    for (size_t ty = 0; ty < th; ty++) {
      for (size_t tx = 0; tx < tw; tx++, tile++) {
        float *products[7][7];
        aek_products_of_tile(&first[0][0], &step[0][0], 49, tile, &products[0][0]);
        const float *g[4][4];
        aek_tile_cells(dy + n * oh * ow * f, oh, ow, f, 4 * (long)ty, 4 * (long)tx, 4, zeros, &g[0][0]);
#pragma clang loop vectorize(assume_safety)
        for (size_t ch = 0; ch < f; ch++) {
          float hq[4][7], q[4], column[4], p[7];  // hq[r][qb]: each row's outputs back through the columns' adjoint
          #pragma unroll
          for (int r = 0; r < 4; r++) {
            #pragma unroll
            for (int s = 0; s < 4; s++) q[s] = g[r][s][ch];
            AEK_WT5_O_ADJOINT(q, hq[r]);
          }
          #pragma unroll
          for (int qb = 0; qb < 7; qb++) {
            #pragma unroll
            for (int r = 0; r < 4; r++) column[r] = hq[r][qb];
            AEK_WT5_O_ADJOINT(column, p);
            #pragma unroll
            for (int pa = 0; pa < 7; pa++) products[pa][qb][ch] = p[pa];
          }
        }
      }
    }
  }
}
