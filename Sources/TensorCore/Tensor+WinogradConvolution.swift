import CKernels

// Stride-1 3×3 convolutions by Winograd's F(2×2, 3×3): 16 multiplications per 2×2 outputs,
// channel and filter, where im2col or a direct convolution makes 36. winograd_body.h holds the
// input and output transforms (additions and subtractions only); here are the kernel's transform,
// U = G·w·Gᵀ with G's halves (exact in floats), and the layer's tiling, which
// Tensor+WinogradTiles.swift runs (forward, and both gradients as exact adjoints).

extension WindowGeometry {
  /// Whether a convolution over this geometry has Winograd's F(2×2, 3×3) form: a 3×3 kernel,
  /// stride 1, the same padding before rows and columns (`same` or `valid`).
  var winogradApplies: Bool { kernelHeight == 3 && kernelWidth == 3 && isStrideOne && padTop == padLeft }

  /// The tiling of the convolution to `filters` filters over this geometry: 2×2 outputs per tile.
  func winogradTiling(filters: Int) -> WinogradTiling {
    WinogradTiling(transform: .f23(pad: padTop), height: height, width: width, channels: channels, outputHeight: outputHeight,
                   outputWidth: outputWidth, filters: filters, tileRows: (outputHeight + 1) / 2, tileColumns: (outputWidth + 1) / 2,
                   widths: Array(repeating: 1, count: 16))
  }
}

extension Tensor {
  /// G: the kernel transform along one axis, rows p = 0..3 over taps 0..2.
  static let winogradF23Taps: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

  /// The kernel transform: group 4p + q is Σ G[p][kh]·G[q][kw]·w[kh, kw].
  static let winogradF23Transform: WinogradKernelTransform = {
    var matrix = [Float](repeating: 0, count: 16 * 9)
    for group in 0..<16 {
      for tap in 0..<9 { matrix[group * 9 + tap] = winogradF23Taps[group / 4][tap / 3] * winogradF23Taps[group % 4][tap % 3] }
    }
    return WinogradKernelTransform(rows: 16, taps: 9, matrix: matrix)
  }()

  /// A kernel `[3, 3, channels, filters]` transformed into the 16 groups' `[channels, filters]`
  /// matrices, one after another: group 4p + q is Σ G[p][kh]·G[q][kw]·w[kh, kw], whole slices of the
  /// kernel as it is stored.
  static func winogradF23Kernel(_ weight: Tensor) -> Tensor { DerivedKernels.of(weight, .winogradF23) { winogradF23Transform.transformed($0) } }

  /// The adjoint of `winogradF23Kernel`: a transformed kernel's gradient (same layout) back to
  /// `like`'s `[3, 3, channels, filters]`.
  static func winogradF23KernelGradient(_ transformed: Tensor, like weight: Tensor) -> Tensor {
    winogradF23Transform.gradient(transformed, like: weight)
  }

  /// `convolved2D` by Winograd's F(2×2, 3×3) (`g.winogradApplies`).
  func winogradConvolved2D(with weight: Tensor, bias: Tensor?, geometry g: WindowGeometry, rectified: Bool) -> Tensor {
    winogradConvolved(tiling: g.winogradTiling(filters: weight.shape[3]), kernel: Tensor.winogradF23Kernel(weight), bias: bias, rectified: rectified)
  }

  /// `convolution2DGradients` by Winograd's F(2×2, 3×3): both gradients from one pass over each block.
  static func winogradConvolution2DGradients(input: Tensor, weight: Tensor, outputGradient: Tensor, geometry g: WindowGeometry,
                                             forInput: Bool, forWeight: Bool, forBias: Bool, rectifiedOutput: Tensor?)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?)
  {
    let tiling = g.winogradTiling(filters: weight.shape[3])
    let transposed = forInput
      ? DerivedKernels.of(weight, .winogradF23Transposed) { winogradTransposedGroups(winogradF23Kernel($0), tiling: tiling, rowsAreChannels: true) }
      : nil
    let gradients = winogradGradients(tiling: tiling, input: forWeight ? input : nil, transposedKernel: transposed, outputGradient: outputGradient,
                                      rectifiedOutput: rectifiedOutput, forWeight: forWeight, forBias: forBias)
    let kernel = gradients.transposedKernel.map {
      winogradF23KernelGradient(winogradTransposedGroups($0, tiling: tiling, rowsAreChannels: false), like: weight)
    }
    return (gradients.input, kernel, gradients.bias)
  }
}
