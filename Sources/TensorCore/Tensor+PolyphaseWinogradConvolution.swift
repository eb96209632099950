import CKernels

// Transposed stride-2 convolutions by a polyphase Winograd transform: with a 3×3 kernel and
// nothing padded before (Keras's `Conv2DTranspose(f, 3, strides=2)`, `same` or `valid`), 25
// multiplications per 2×2 input cells, channel and filter, where im2col + sgemm (or any direct
// method) makes 36; with a 5×5 kernel and one cell padded before (Keras's `same`), 49 where it
// makes 100. winograd_body.h derives both and holds the transforms; here are the kernel's
// transform and the layer's tiling, which Tensor+WinogradTiles.swift runs (forward, and both
// gradients as exact adjoints).

/// One axis of a polyphase transform: the transformed input each product takes, its place among
/// that input's products, and the kernel taps it combines (a coefficient per tap).
struct PolyphaseAxis {
  let kernel: Int
  let productInput: [Int], productSlot: [Int]
  let taps: [[Float]]
  /// Each transformed input's products, and each group's width (`width(ofGroup:)`), worked out
  /// once: worked out at each call, the widths were 0.3% of a codec epoch's profile.
  private let productsOfInput: [Int]
  let widths: [Int]

  init(kernel: Int, productInput: [Int], productSlot: [Int], taps: [[Float]]) {
    (self.kernel, self.productInput, self.productSlot, self.taps) = (kernel, productInput, productSlot, taps)
    let inputs = productInput.max()! + 1
    productsOfInput = (0..<inputs).map { input in productInput.filter { $0 == input }.count }
    widths = (0..<(inputs * inputs)).map { [productsOfInput] group in productsOfInput[group / inputs] * productsOfInput[group % inputs] }
  }

  /// 3×3, nothing padded before: P0 = t0·w2, P1 = t1·(w0 + w2), P2 = t1·w1, P3 = t2·w0, P4 = t3·w1.
  static let threeTaps = PolyphaseAxis(kernel: 3, productInput: [0, 1, 1, 2, 3], productSlot: [0, 0, 1, 0, 0],
                                       taps: [[0, 0, 1], [1, 0, 1], [0, 1, 0], [1, 0, 0], [0, 1, 0]])
  /// 5×5, one cell padded before: P0 = e0·w3, P1 = e1·(w1 + w3), P2 = e2·w1, P3 = e2·(w0 − w2 + w4)/2,
  /// P4 = e3·w4, P5 = e4·(w0 + w2 + w4)/2, P6 = e5·w0.
  static let fiveTaps = PolyphaseAxis(kernel: 5, productInput: [0, 1, 2, 2, 3, 4, 5], productSlot: [0, 0, 0, 1, 0, 0, 0],
                                      taps: [[0, 0, 0, 1, 0], [0, 1, 0, 1, 0], [0, 1, 0, 0, 0], [0.5, 0, -0.5, 0, 0.5], [0, 0, 0, 0, 1],
                                             [0.5, 0, 0.5, 0, 0.5], [1, 0, 0, 0, 0]])

  /// The axis of a transposed convolution's kernel size and padding before, if it has one.
  static func of(kernel: Int, padBefore: Int) -> PolyphaseAxis? {
    switch (kernel, padBefore) {
    case (3, 0): threeTaps
    case (5, 1): fiveTaps
    default: nil
    }
  }

  /// The axis of a transposed kernel of `kernelSize` taps (3 or 5).
  static func of(kernelSize: Int) -> PolyphaseAxis {
    precondition(kernelSize == 3 || kernelSize == 5, "no polyphase transform for a \(kernelSize)-tap kernel")
    return kernelSize == 3 ? threeTaps : fiveTaps
  }

  var inputs: Int { productInput.max()! + 1 }
  var products: Int { productInput.count }
  /// Products in group g = inputs·p + q, per channel and filter.
  func width(ofGroup group: Int) -> Int { widths[group] }

  /// Calls `body(group, pa, qb, column)` for the products of the two axes: `column` is the
  /// product's place (in filters) within its group's rows.
  func forEachProduct(_ body: (_ group: Int, _ pa: Int, _ qb: Int, _ column: Int) -> Void) {
    for group in 0..<(inputs * inputs) {
      let (p, q) = (group / inputs, group % inputs), kq = productsOfInput[q]
      for pa in 0..<products where productInput[pa] == p {
        for qb in 0..<products where productInput[qb] == q { body(group, pa, qb, productSlot[pa] * kq + productSlot[qb]) }
      }
    }
  }

  /// The kernel transform of a transposed kernel of `kernelSize` taps (3 or 5), built once.
  static func kernelTransform(kernelSize: Int) -> WinogradKernelTransform {
    precondition(kernelSize == 3 || kernelSize == 5, "no polyphase transform for a \(kernelSize)-tap kernel")
    return kernelSize == 3 ? threeTapsTransform : fiveTapsTransform
  }
  private static let threeTapsTransform = threeTaps.kernelTransform, fiveTapsTransform = fiveTaps.kernelTransform

  /// The kernel's transform: a row per product, in the groups' order (group, then place in its
  /// rows), each combining the taps the two axes' products take.
  var kernelTransform: WinogradKernelTransform {
    var matrix = [Float](repeating: 0, count: products * products * kernel * kernel)
    var first = 0, widthSoFar = 0, lastGroup = -1
    forEachProduct { group, pa, qb, column in
      if group != lastGroup { (first, lastGroup) = (widthSoFar, group); widthSoFar += width(ofGroup: group) }
      for kh in 0..<kernel { for kw in 0..<kernel { matrix[((first + column) * kernel + kh) * kernel + kw] = taps[pa][kh] * taps[qb][kw] } }
    }
    return WinogradKernelTransform(rows: products * products, taps: kernel * kernel, matrix: matrix)
  }

  /// Where each group's block of a transformed kernel starts: `channels·width·filters` floats per group.
  func groupOffsets(channels: Int, filters: Int) -> [Int] {
    var offsets = [0]
    for group in 0..<(inputs * inputs) { offsets.append(offsets[group] + channels * width(ofGroup: group) * filters) }
    return offsets
  }
}

extension WindowGeometry {
  /// The polyphase axis of the transposed convolution over this geometry: stride 2, a 3×3 kernel
  /// with nothing padded before or a 5×5 one with one cell, the same down and across.
  var polyphaseAxis: PolyphaseAxis? {
    guard strideHeight == 2 && strideWidth == 2 && kernelHeight == kernelWidth && padTop == padLeft else { return nil }
    return PolyphaseAxis.of(kernel: kernelHeight, padBefore: padTop)
  }

  /// Whether the transposed convolution over this geometry has a polyphase Winograd form.
  var polyphaseWinogradApplies: Bool { polyphaseAxis != nil }

  /// Tiles down and across a transposed convolution's output: 4×4 output cells (2×2 inputs) each.
  var winogradTiles: (rows: Int, columns: Int) { ((height + 3) / 4, (width + 3) / 4) }

  /// The tiling of the transposed convolution from `inputChannels` channels over this geometry
  /// (its input is the geometry's window positions, its output the geometry's image).
  func polyphaseWinogradTiling(inputChannels: Int) -> WinogradTiling {
    let axis = polyphaseAxis!
    return WinogradTiling(transform: axis.kernel == 3 ? .polyphaseStride2 : .polyphase5x5Stride2, height: outputHeight, width: outputWidth,
                          channels: inputChannels, outputHeight: height, outputWidth: width, filters: channels, tileRows: winogradTiles.rows,
                          tileColumns: winogradTiles.columns, widths: axis.widths)
  }

  /// The tiles' products as a share of the kernel's taps per input cell that im2col computes. An
  /// input of odd size pays for a half-empty last row and column of tiles: the conv VAE's 7×7
  /// inputs take 16 tiles where 12.25 would do, 400 products against 441 (0.91).
  var polyphaseProductShare: Double {
    guard let axis = polyphaseAxis else { return .infinity }
    let tiles = winogradTiles
    return Double(axis.products * axis.products * tiles.rows * tiles.columns) / Double(kernelHeight * kernelWidth * positions)
  }

  /// Whether a transposed convolution takes the transform: its products are fewer. At 0.91 (the
  /// conv VAE's 7×7 → 14×14) it still ran faster forward (1.3–1.7 ms against 1.7–2.2 per batch of
  /// 128) and about even backward.
  var polyphaseWinogradIsCheaper: Bool { polyphaseProductShare <= 1 }

  /// Whether a stride-2 convolution takes the transform as its adjoint: its products are at most
  /// three quarters of im2col's. Its forward pass runs the costlier gradient transforms, and at 0.91
  /// (the conv VAE's 14×14 → 7×7, 32 → 64) every pass ran 30% slower than im2col (990 against 745 µs);
  /// the codec's 5×5 layer (0.64) ran 20–30% faster.
  var polyphaseAdjointIsCheaper: Bool { polyphaseProductShare <= 0.75 }
}

extension Tensor {
  /// A transposed kernel `[k, k, filters, channels]` (Keras's layout) transformed into the
  /// groups' `[width·filters, channels]` matrices, one after another: each product's
  /// `[filters, channels]` block combines the kernel's taps it takes, whole `[filters, channels]`
  /// slices of the kernel as it is stored.
  static func winogradKernelTransposed(_ weight: Tensor) -> Tensor {
    DerivedKernels.of(weight, .polyphaseTransposed) { PolyphaseAxis.kernelTransform(kernelSize: $0.shape[0]).transformed($0) }
  }

  /// `winogradKernelTransposed` with each group's matrix transposed to `[channels, width·filters]`,
  /// the right-hand side of the forward products.
  static func winogradKernel(_ weight: Tensor) -> Tensor {
    DerivedKernels.of(weight, .polyphase) { weight in
      let axis = PolyphaseAxis.of(kernelSize: weight.shape[0])
      let tiling = WinogradTiling(transform: .polyphaseStride2, height: 1, width: 1, channels: weight.shape[3], outputHeight: 1, outputWidth: 1,
                                  filters: weight.shape[2], tileRows: 1, tileColumns: 1, widths: axis.widths)
      return winogradTransposedGroups(winogradKernelTransposed(weight), tiling: tiling, rowsAreChannels: false)
    }
  }

  /// The adjoint of `winogradKernelTransposed`: the gradient of a transformed kernel (in its
  /// transposed layout) back to `like`'s `[k, k, filters, channels]`.
  static func winogradKernelGradient(_ transformed: Tensor, like weight: Tensor) -> Tensor {
    PolyphaseAxis.kernelTransform(kernelSize: weight.shape[0]).gradient(transformed, like: weight)
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
    let gradients = winogradGradients(tiling: g.polyphaseWinogradTiling(inputChannels: input.shape[3]), input: forWeight ? input : nil,
                                      transposedKernel: forInput ? winogradKernelTransposed(weight) : nil, outputGradient: outputGradient,
                                      rectifiedOutput: rectifiedOutput, forWeight: forWeight, forBias: forBias)
    return (gradients.input, gradients.transposedKernel.map { winogradKernelGradient($0, like: weight) }, gradients.bias)
  }

  // MARK: - Stride-2 convolutions, as the adjoints of transposed ones

  /// `convolved2D` of a stride-2 convolution by the polyphase transform of its adjoint: over the
  /// same geometry and kernel (Keras lays both out `[k, k, channels, filters]`), a convolution is
  /// the transposed convolution's input gradient, `y = Tᵀ(x)`.
  func polyphaseWinogradConvolved2D(with weight: Tensor, bias: Tensor?, geometry g: WindowGeometry, rectified: Bool) -> Tensor {
    let filters = weight.shape[3]
    let tiling = g.polyphaseWinogradTiling(inputChannels: filters)
    var output = Tensor.winogradGradients(tiling: tiling, input: nil, transposedKernel: Tensor.winogradKernelTransposed(weight),
                                          outputGradient: self, rectifiedOutput: nil, forWeight: false, forBias: false).input!
    output.withUnsafeMutableBufferPointer { y in
      if let bias { bias.withUnsafeBufferPointer { aek_binary_row(AEK_ADD, y.count / filters, filters, y.baseAddress, $0.baseAddress, y.baseAddress) } }
      if rectified { aek_relu(y.count, y.baseAddress, y.baseAddress) }
    }
    return output
  }

  /// `convolution2DGradients` of a stride-2 convolution by the polyphase transform of its adjoint:
  /// `∂x = T(∂y)`, and the kernel's gradient is T's with the roles of its input (`∂y`) and output
  /// gradient (`x`) exchanged. A fused relu's mask is applied to `∂y` first.
  static func polyphaseWinogradConvolution2DGradients(input: Tensor, weight: Tensor, outputGradient: Tensor, geometry g: WindowGeometry,
                                                      forInput: Bool, forWeight: Bool, forBias: Bool, rectifiedOutput: Tensor?)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?)
  {
    let filters = weight.shape[3]
    let tiling = g.polyphaseWinogradTiling(inputChannels: filters)
    let masked = rectifiedOutput.map { Tensor.reluBackward(outputGradient, output: $0) } ?? outputGradient
    let inputGradient = forInput ? masked.winogradConvolved(tiling: tiling, kernel: winogradKernel(weight), bias: nil, rectified: false) : nil
    let weightGradient = forWeight
      ? winogradGradients(tiling: tiling, input: masked, transposedKernel: nil, outputGradient: input, rectifiedOutput: nil, forWeight: true,
                          forBias: false).transposedKernel.map { winogradKernelGradient($0, like: weight) }
      : nil
    let biasGradient = forBias ? masked.reshaped(to: [masked.count / filters, filters]).sum(alongAxis: 0).reshaped(to: [filters]) : nil
    return (inputGradient, weightGradient, biasGradient)
  }
}
