import CKernels

// Transposed 3×3 stride-2 convolutions (Keras's `Conv2DTranspose(f, 3, strides=2)`, `same` or
// `valid`) by a polyphase Winograd transform: 25 multiplications per 2×2 input cells, channel and
// filter, where im2col + sgemm (or any direct method) makes 36. winograd_body.h derives it and holds
// the transforms; here are the kernel's transform and the layer's tiling, which
// Tensor+WinogradTiles.swift runs (forward, and both gradients as exact adjoints).

extension WindowGeometry {
  /// Whether the transposed convolution over this geometry has the polyphase Winograd form: a
  /// 3×3 kernel, stride 2, nothing padded before (Keras's `same` and `valid`).
  var polyphaseWinogradApplies: Bool {
    kernelHeight == 3 && kernelWidth == 3 && strideHeight == 2 && strideWidth == 2 && padTop == 0 && padLeft == 0
  }

  /// Tiles down and across a transposed convolution's output: 4×4 output cells (2×2 inputs) each.
  var winogradTiles: (rows: Int, columns: Int) { ((height + 3) / 4, (width + 3) / 4) }

  /// The tiling of the transposed convolution from `inputChannels` channels over this geometry
  /// (its input is the geometry's window positions, its output the geometry's image).
  func polyphaseWinogradTiling(inputChannels: Int) -> WinogradTiling {
    WinogradTiling(transform: .polyphaseStride2, height: outputHeight, width: outputWidth, channels: inputChannels, outputHeight: height,
                   outputWidth: width, filters: channels, tileRows: winogradTiles.rows, tileColumns: winogradTiles.columns,
                   widths: (0..<16).map(Tensor.winogradGroupWidth))
  }

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
    let tiling = WinogradTiling(transform: .polyphaseStride2, height: 1, width: 1, channels: weight.shape[3], outputHeight: 1, outputWidth: 1,
                                filters: weight.shape[2], tileRows: 1, tileColumns: 1, widths: (0..<16).map(winogradGroupWidth))
    return winogradTransposedGroups(winogradKernelTransposed(weight), tiling: tiling, rowsAreChannels: false)
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

  /// `transposedConvolved2D` by the polyphase Winograd transform (`g.polyphaseWinogradApplies`).
  func polyphaseWinogradTransposedConvolved2D(with weight: Tensor, bias: Tensor?, geometry g: WindowGeometry, rectified: Bool) -> Tensor {
    winogradConvolved(tiling: g.polyphaseWinogradTiling(inputChannels: shape[3]), kernel: Tensor.winogradKernel(weight), bias: bias,
                      rectified: rectified)
  }

  /// `transposedConvolution2DGradients` by the polyphase Winograd transform: both gradients from
  /// one pass over each block.
  static func polyphaseWinogradTransposedConvolution2DGradients(input: Tensor, weight: Tensor, outputGradient: Tensor, geometry g: WindowGeometry,
                                                                forInput: Bool, forWeight: Bool, forBias: Bool, rectifiedOutput: Tensor?)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?)
  {
    let gradients = winogradGradients(tiling: g.polyphaseWinogradTiling(inputChannels: input.shape[3]), input: input,
                                      transposedKernel: forInput ? winogradKernelTransposed(weight) : nil, outputGradient: outputGradient,
                                      rectifiedOutput: rectifiedOutput, forWeight: forWeight, forBias: forBias)
    return (gradients.input, gradients.transposedKernel.map { winogradKernelGradient($0, like: weight) }, gradients.bias)
  }
}
