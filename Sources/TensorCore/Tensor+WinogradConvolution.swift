import CKernels

// Transposed 3×3 stride-2 convolutions (Keras's `Conv2DTranspose(f, 3, strides=2)`, `same` or
// `valid`) by a polyphase Winograd transform: 25 multiplications per 2×2 input cells, channel and
// filter, where im2col + sgemm (or any direct method) makes 36. winograd_body.h derives it and holds
// the transforms; here are the kernel's transform, the sixteen BLAS products per block of images,
// and the two gradients, which are the exact adjoints of the same linear maps:
//
//   forward          v = B(x) per tile, m = v · U (16 products), y = A(m)
//   input gradient   ∂m = Aᵀ(∂y), ∂v = ∂m · Uᵀ, ∂x = Bᵀ(∂v)
//   weight gradient  ∂U = Σ vᵀ · ∂m, ∂w = Gᵀ(∂U)
//
// so every pass saves the same share. The sums differ from im2col's in order, not in value: the
// results agree within float rounding, and the same seed and threads still give the same bits.

extension WindowGeometry {
  /// Whether the transposed convolution over this geometry has the polyphase Winograd form: a
  /// 3×3 kernel, stride 2, nothing padded before (Keras's `same` and `valid`).
  var polyphaseWinogradApplies: Bool {
    kernelHeight == 3 && kernelWidth == 3 && strideHeight == 2 && strideWidth == 2 && padTop == 0 && padLeft == 0
  }

  /// Tiles down and across a transposed convolution's output: 4×4 output cells (2×2 inputs) each.
  var winogradTiles: (rows: Int, columns: Int) { ((height + 3) / 4, (width + 3) / 4) }

  /// Whether the tiles' 25 products are fewer than the 9 per input cell that im2col computes. An
  /// input of odd size pays for a half-empty last row and column of tiles: the conv VAE's 7×7
  /// inputs take 16 tiles where 12.25 would do, 400 products against 441, and still ran faster
  /// forward (1.3–1.7 ms against 1.7–2.2 per batch of 128) and about even backward.
  var polyphaseWinogradIsCheaper: Bool {
    let tiles = winogradTiles
    return 25 * tiles.rows * tiles.columns <= 9 * positions
  }
}

extension Tensor {
  /// Along one axis, product pa's transformed input (0..3), its place among that input's
  /// products, and the kernel taps it sums: P0 = t0·w2, P1 = t1·(w0 + w2), P2 = t1·w1, P3 = t2·w0, P4 = t3·w1.
  static let winogradInput = [0, 1, 1, 2, 3], winogradSlot = [0, 0, 1, 0, 0]
  static let winogradTaps: [[Int]] = [[2], [0, 2], [1], [0], [1]]

  /// Products in group g = 4p + q per channel and filter: t1 enters two products, the others one.
  static func winogradGroupWidth(_ group: Int) -> Int { (group / 4 == 1 ? 2 : 1) * (group % 4 == 1 ? 2 : 1) }

  /// Calls `body(group, pa, qb, column)` for the 25 products: `column` is the product's place (in
  /// filters) within its group's rows.
  static func forEachWinogradProduct(_ body: (_ group: Int, _ pa: Int, _ qb: Int, _ column: Int) -> Void) {
    for group in 0..<16 {
      let (p, q) = (group / 4, group % 4), kq = q == 1 ? 2 : 1
      for pa in 0..<5 where winogradInput[pa] == p {
        for qb in 0..<5 where winogradInput[qb] == q { body(group, pa, qb, winogradSlot[pa] * kq + winogradSlot[qb]) }
      }
    }
  }

  /// Where each group's block of a transformed kernel starts: `channels·width·filters` floats per group.
  static func winogradGroupOffsets(channels: Int, filters: Int) -> [Int] {
    var offsets = [Int](repeating: 0, count: 17)
    for group in 0..<16 { offsets[group + 1] = offsets[group] + channels * winogradGroupWidth(group) * filters }
    return offsets
  }

  /// A transposed kernel `[3, 3, filters, channels]` (Keras's layout) transformed into the 16
  /// groups' `[width·filters, channels]` matrices, one after another (25·channels·filters floats):
  /// each product's `[filters, channels]` block is the sum of the kernel's taps it takes, whole
  /// `[filters, channels]` slices of the kernel as it is stored.
  static func winogradKernelTransposed(_ weight: Tensor) -> Tensor {
    let slice = weight.shape[2] * weight.shape[3], offsets = winogradGroupOffsets(channels: weight.shape[3], filters: weight.shape[2])
    return Tensor(shape: [25 * slice]) { ut in
      weight.withUnsafeBufferPointer { w in
        forEachWinogradProduct { group, pa, qb, column in
          let out = ut.baseAddress! + offsets[group] + column * slice
          out.initialize(repeating: 0, count: slice)
          for kh in winogradTaps[pa] {
            for kw in winogradTaps[qb] {
              let tap = w.baseAddress! + (kh * 3 + kw) * slice
              for i in 0..<slice { out[i] += tap[i] }
            }
          }
        }
      }
    }
  }

  /// `winogradKernelTransposed` with each group's matrix transposed to `[channels, width·filters]`,
  /// the right-hand side of the forward products.
  static func winogradKernel(_ weight: Tensor) -> Tensor {
    let (f, c) = (weight.shape[2], weight.shape[3]), offsets = winogradGroupOffsets(channels: c, filters: f)
    let ut = winogradKernelTransposed(weight)
    return Tensor(shape: ut.shape) { u in
      ut.withUnsafeBufferPointer { ut in
        for group in 0..<16 { aek_transpose(winogradGroupWidth(group) * f, c, ut.baseAddress! + offsets[group], u.baseAddress! + offsets[group]) }
      }
    }
  }

  /// The adjoint of `winogradKernelTransposed`: the gradient of a transformed kernel (in its
  /// transposed layout) back to `like`'s `[3, 3, filters, channels]`.
  static func winogradKernelGradient(_ transformed: Tensor, like weight: Tensor) -> Tensor {
    let slice = weight.shape[2] * weight.shape[3], offsets = winogradGroupOffsets(channels: weight.shape[3], filters: weight.shape[2])
    return Tensor(shape: weight.shape) { dw in
      dw.initialize(repeating: 0)
      transformed.withUnsafeBufferPointer { dut in
        forEachWinogradProduct { group, pa, qb, column in
          let block = dut.baseAddress! + offsets[group] + column * slice
          for kh in winogradTaps[pa] {
            for kw in winogradTaps[qb] {
              let tap = dw.baseAddress! + (kh * 3 + kw) * slice
              for i in 0..<slice { tap[i] += block[i] }
            }
          }
        }
      }
    }
  }

  /// A block's buffer holds up to 256 KB: one image of the conv VAE's layers, whose transformed
  /// inputs and products then stay in L2 (its 14×14 layer's forward pass ran 10% slower with
  /// blocks of 2 images, 50% with 11, 2.4× with 23).
  static let winogradBlockFloats = 1 << 16

  /// `transposedConvolved2D` by the polyphase Winograd transform (`g.polyphaseWinogradApplies`).
  func polyphaseWinogradTransposedConvolved2D(with weight: Tensor, bias: Tensor?, geometry g: WindowGeometry, rectified: Bool) -> Tensor {
    let (n, channels, filters) = (shape[0], shape[3], g.channels)
    let (th, tw) = g.winogradTiles, tiles = th * tw
    let u = Tensor.winogradKernel(weight)
    var output = Tensor(shape: [n, g.height, g.width, filters]) { _ in }
    withUnsafeBufferPointer { x in
      u.withUnsafeBufferPointer { u in
        withOptionalPointer(bias) { b in
          output.withUnsafeMutableBufferPointer { y in
            Tensor.forEachBlock(of: n, work: n * tiles * 25 * channels * filters, bufferPerExample: tiles * (16 * channels + 25 * filters),
                                fixedBuffer: channels, blockFloats: Tensor.winogradBlockFloats) { _, block, buffer in
              let rows = block.count * tiles
              let v = buffer, m = v + rows * 16 * channels, zeros = m + rows * 25 * filters
              zeros.initialize(repeating: 0, count: channels)
              aek_wt2_input(block.count, g.outputHeight, g.outputWidth, channels, th, tw, x.baseAddress! + block.lowerBound * g.positions * channels,
                            zeros, v)
              Tensor.forEachWinogradGroup(rows: rows, channels: channels, filters: filters) { group, width, vOffset, uOffset, mOffset in
                aek_sgemm(0, 0, Int32(rows), Int32(width), Int32(channels), 1, v + vOffset, Int32(channels), u.baseAddress! + uOffset, Int32(width),
                          0, m + mOffset, Int32(width))
              }
              aek_wt2_output(block.count, g.height, g.width, filters, th, tw, m, b, rectified ? 1 : 0, y.baseAddress! + block.lowerBound * g.imageSize)
            }
          }
        }
      }
    }
    return output
  }

  /// `transposedConvolution2DGradients` by the polyphase Winograd transform: both gradients from
  /// one pass over each block (the products' gradients are taken once for the two).
  static func polyphaseWinogradTransposedConvolution2DGradients(input: Tensor, weight: Tensor, outputGradient: Tensor, geometry g: WindowGeometry,
                                                                forInput: Bool, forWeight: Bool, forBias: Bool, rectifiedOutput: Tensor?)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?)
  {
    let (n, channels, filters) = (input.shape[0], input.shape[3], g.channels)
    let (th, tw) = g.winogradTiles, tiles = th * tw
    // The transformed kernel's groups transposed, `[width, channels]` each: ∂v = ∂m · uᵀ as a plain product.
    let ut = forInput ? winogradKernelTransposed(weight) : Tensor(shape: [1]) { $0[0] = 0 }
    var inputGradient: Tensor? = forInput ? Tensor(shape: input.shape) { _ in } : nil
    let work = n * tiles * 25 * channels * filters
    let parts = Tensor.parts(of: n, work: work)
    var kernelPartials: Tensor? = forWeight ? Tensor(shape: [parts, 25 * channels * filters]) { _ in } : nil
    var biasPartials: Tensor? = forBias ? Tensor.zeros(shape: [parts, filters]) : nil
    let masked = rectifiedOutput != nil ? g.imageSize : 0
    input.withUnsafeBufferPointer { x in
      ut.withUnsafeBufferPointer { ut in
        outputGradient.withUnsafeBufferPointer { dyAll in
          withOptionalPointer(rectifiedOutput) { yAll in
            withOptionalMutablePointer(&inputGradient) { dx in
              withOptionalMutablePointer(&kernelPartials) { du in
                withOptionalMutablePointer(&biasPartials) { db in
                  Tensor.forEachBlock(of: n, work: work, bufferPerExample: tiles * (16 * channels + 25 * filters) + masked,
                                      fixedBuffer: max(channels, filters), blockFloats: winogradBlockFloats) { part, block, buffer in
                    let rows = block.count * tiles
                    let v = buffer, dm = v + rows * 16 * channels, scratch = dm + rows * 25 * filters
                    let zeros = scratch + block.count * masked, offset = block.lowerBound * g.imageSize
                    // The relu's mask and the bias sums in one streaming pass over the block.
                    let dyBlock = Tensor.outputGradientBlock(dyAll.baseAddress! + offset, rectifiedOutput: yAll.map { $0 + offset },
                                                             rows: block.count * g.height * g.width, channels: filters, scratch: scratch,
                                                             biasPartial: db.map { $0 + part * filters })
                    guard dx != nil || du != nil else { return }
                    zeros.initialize(repeating: 0, count: max(channels, filters))
                    aek_wt2_output_backward(block.count, g.height, g.width, filters, th, tw, dyBlock, zeros, dm)
                    let xBlock = x.baseAddress! + block.lowerBound * g.positions * channels
                    if du != nil {
                      aek_wt2_input(block.count, g.outputHeight, g.outputWidth, channels, th, tw, xBlock, zeros, v)
                    }
                    let beta = Tensor.accumulating(block, part: part, parts: parts, count: n)
                    Tensor.forEachWinogradGroup(rows: rows, channels: channels, filters: filters) { group, width, vOffset, uOffset, mOffset in
                      if let du {  // ∂uᵀ = ∂mᵀ · v
                        aek_sgemm(1, 0, Int32(width), Int32(channels), Int32(rows), 1, dm + mOffset, Int32(width), v + vOffset, Int32(channels),
                                  beta, du + part * 25 * channels * filters + uOffset, Int32(channels))
                      }
                      if dx != nil {  // ∂v = ∂m · uᵀ, over the group's transformed inputs, used by now
                        aek_sgemm(0, 0, Int32(rows), Int32(channels), Int32(width), 1, dm + mOffset, Int32(width), ut.baseAddress! + uOffset,
                                  Int32(channels), 0, v + vOffset, Int32(channels))
                      }
                    }
                    if let dx {
                      aek_wt2_input_backward(block.count, g.outputHeight, g.outputWidth, channels, th, tw, v,
                                             dx + block.lowerBound * g.positions * channels)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    let weightGradient = kernelPartials.map { winogradKernelGradient($0.sum(alongAxis: 0), like: weight) }
    let biasGradient = biasPartials.map { $0.sum(alongAxis: 0).reshaped(to: [filters]) }
    return (inputGradient, weightGradient, biasGradient)
  }

  /// Calls `body(group, width, v, u, m)` for the 16 groups with the width of the group's products
  /// (in floats: products × filters) and the offsets of its transformed inputs (`rows × channels`),
  /// its transformed kernel (`channels × width`) and its products (`rows × width`).
  static func forEachWinogradGroup(rows: Int, channels: Int, filters: Int,
                                   _ body: (_ group: Int, _ width: Int, _ v: Int, _ u: Int, _ m: Int) -> Void) {
    var (u, m) = (0, 0)
    for group in 0..<16 {
      let width = winogradGroupWidth(group) * filters
      body(group, width, group * rows * channels, u, m)
      u += channels * width
      m += rows * width
    }
  }
}
