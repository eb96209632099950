import CKernels

// A stride-1 convolution of an image upsampled by whole factors (nearest neighbour), computed on
// the stored image by output phases. Output rows whose windows start at the same place within
// an upsampled cell read the same stored rows, so the kernel rows landing on one stored row can
// be added first: a 3×3 kernel after a 2×2 upsampling is, for each of the four output phases
// (even or odd row, even or odd column), a 2×2 convolution of the stored image. That is 4
// products per output, channel and filter instead of 9. PyTorch and Keras upsample, then convolve.
//
// Along one axis, with factor u, kernel k, padding p: output o reads upsampled cells o − p + j
// (j < k), which are stored cells ⌊(o − p + j) / u⌋. Outputs with (o − p) mod u = ρ form phase ρ:
// output o = first + u·m reads stored cells m − pad + t for taps t = ⌊(ρ + j) / u⌋, t ≤ ⌊(ρ + k − 1) / u⌋,
// where pad = −⌊(first − p) / u⌋. Cells outside the stored image are the upsampled image's padding:
// zero either way.

/// One axis of one phase: its outputs `first`, `first + factor`, … (`count` of them), the
/// convolution over the stored axis that gives them (`taps` wide, `padBefore` padding), and the
/// tap each of the kernel's offsets adds into.
struct UpsamplingPhaseAxis: Equatable {
  let first, count, padBefore, taps: Int
  let tapOfOffset: [Int]

  /// The phases along an axis upsampled by `factor`, under a `kernel`-wide window padded by `pad`
  /// before, with `outputs` positions (windows past the stored cells read the zeros of the stored
  /// image's padding, as past the upsampled ones); nil where a phase would need as much padding as
  /// its taps (beyond what a window geometry holds).
  static func phases(factor: Int, kernel: Int, pad: Int, outputs: Int) -> [UpsamplingPhaseAxis]? {
    var phases: [UpsamplingPhaseAxis] = []
    for phase in 0..<factor {
      let first = (phase + pad) % factor
      guard first < outputs else { continue }
      let start = first - pad  // ≥ −pad > −kernel, and ≡ phase mod factor
      let padBefore = -(start >= 0 ? start / factor : -((-start + factor - 1) / factor))
      let taps = (phase + kernel - 1) / factor + 1
      guard padBefore >= 0, padBefore < taps else { return nil }
      phases.append(UpsamplingPhaseAxis(first: first, count: (outputs - first + factor - 1) / factor, padBefore: padBefore, taps: taps,
                                        tapOfOffset: (0..<kernel).map { (phase + $0) / factor }))
    }
    return phases
  }
}

/// The output phases of a stride-1 convolution over an image upsampled by `factor`: for each, the
/// convolution over the stored image that computes it.
struct UpsamplingPhases {
  struct Phase {
    let rows, columns: UpsamplingPhaseAxis
    /// The convolution over the stored image giving this phase's outputs.
    let geometry: WindowGeometry
  }

  /// The fewest output positions per phase (on average) for which splitting pays.
  static let minimumPositionsPerPhase = 32

  let phases: [Phase]
  let geometry: WindowGeometry
  let factor: Resampling

  /// The phases of `geometry` (the convolution's, over the upsampled image) for an input upsampled
  /// by `factor`; nil where splitting does not apply (a stride, sizes not multiples of the factor,
  /// padding as wide as a phase's taps) or does not pay (no axis both upsampled and spanned by the
  /// kernel, so no products saved, or too few outputs per phase).
  init?(geometry g: WindowGeometry, factor: Resampling) {
    guard g.strideHeight == 1, g.strideWidth == 1, factor.height >= 1, factor.width >= 1,
          (factor.height > 1 && g.kernelHeight > 1) || (factor.width > 1 && g.kernelWidth > 1),
          g.height % factor.height == 0, g.width % factor.width == 0,
          let rows = UpsamplingPhaseAxis.phases(factor: factor.height, kernel: g.kernelHeight,
                                                 pad: g.padTop, outputs: g.outputHeight),
          let columns = UpsamplingPhaseAxis.phases(factor: factor.width, kernel: g.kernelWidth,
                                                    pad: g.padLeft, outputs: g.outputWidth)
    else { return nil }
    // Fewer products, and phases big enough to pay for their own passes: each phase pads the
    // stored image again and walks its own tiles, which cost more than they save on the Keras
    // blog's 4×4 → 8×8 layer (measured: benchmark --kernels --model conv); its 8×8 → 14×14 and
    // 14×14 → 28×28 layers gain.
    let phaseTaps = rows.reduce(0) { $0 + $1.taps * $1.count } * columns.reduce(0) { $0 + $1.taps * $1.count }
    guard phaseTaps < g.kernelHeight * g.kernelWidth * g.positions, g.positions >= Self.minimumPositionsPerPhase * rows.count * columns.count
    else { return nil }
    phases = rows.flatMap { r in
      columns.map { c in
        Phase(rows: r, columns: c,
              geometry: WindowGeometry(height: g.height / factor.height, width: g.width / factor.width, channels: g.channels,
                                       kernelHeight: r.taps, kernelWidth: c.taps, strideHeight: 1, strideWidth: 1,
                                       padTop: r.padBefore, padLeft: c.padBefore, outputHeight: r.count, outputWidth: c.count))
      }
    }
    geometry = g
    self.factor = factor
  }

  /// `weight` (`[kh, kw, channels, filters]`) with the offsets that land on one stored cell in
  /// `phase` added up (rows, then columns, in offset order): `[taps down, taps across, channels, filters]`.
  func weight(_ weight: Tensor, for phase: Phase) -> Tensor {
    let block = geometry.channels * weight.shape[3]
    return Tensor(shape: [phase.rows.taps, phase.columns.taps, geometry.channels, weight.shape[3]]) { out in
      out.initialize(repeating: 0)
      weight.withUnsafeBufferPointer { w in
        forEachOffset(of: phase) { offset, tap in for i in 0..<block { out[tap * block + i] += w[offset * block + i] } }
      }
    }
  }

  /// Adds a phase's weight gradient into the kernel's (`[kh, kw, channels, filters]`): each offset
  /// receives its tap's.
  func addWeightGradient(_ gradient: Tensor, of phase: Phase, into total: inout Tensor) {
    let block = geometry.channels * total.shape[3]
    gradient.withUnsafeBufferPointer { d in
      total.withUnsafeMutableBufferPointer { out in
        forEachOffset(of: phase) { offset, tap in for i in 0..<block { out[offset * block + i] += d[tap * block + i] } }
      }
    }
  }

  /// Each kernel offset (`ky·kw + kx`, in order) with the phase's tap (`th·taps across + tw`) it lands on.
  private func forEachOffset(of phase: Phase, _ body: (_ offset: Int, _ tap: Int) -> Void) {
    for ky in 0..<geometry.kernelHeight {
      for kx in 0..<geometry.kernelWidth {
        body(ky * geometry.kernelWidth + kx, phase.rows.tapOfOffset[ky] * phase.columns.taps + phase.columns.tapOfOffset[kx])
      }
    }
  }

  /// The phase's cells of `full` (`[n, outputHeight, outputWidth, depth]`): `[n, rows, columns, depth]`;
  /// with `mask` (a relu's output, shaped as `full`), zero where the mask is not above zero.
  func gather(_ full: Tensor, _ phase: Phase, maskedBy mask: Tensor? = nil) -> Tensor {
    let (n, depth) = (full.shape[0], full.shape[3])
    precondition(mask == nil || mask!.shape == full.shape, "a mask \(mask!.shape) for \(full.shape)")
    return Tensor(shape: [n, phase.rows.count, phase.columns.count, depth]) { out in
      full.withUnsafeBufferPointer { src in
        withOptionalPointer(mask) { m in
          let strides = fullStrides(depth: depth), first = start(of: phase, depth: depth)
          aek_copy_cells(n, phase.rows.count, phase.columns.count, depth, src.baseAddress! + first, m.map { $0 + first }, strides.image,
                         strides.row, strides.cell, out.baseAddress!, phase.rows.count * phase.columns.count * depth,
                         phase.columns.count * depth, depth)
        }
      }
    }
  }

  /// Writes `part` (`[n, rows, columns, depth]`) into the phase's cells of `full`.
  func scatter(_ part: Tensor, of phase: Phase, into full: UnsafeMutableBufferPointer<Float>) {
    let (n, depth) = (part.shape[0], part.shape[3])
    part.withUnsafeBufferPointer { src in
      let strides = fullStrides(depth: depth)
      aek_copy_cells(n, phase.rows.count, phase.columns.count, depth, src.baseAddress!, nil, phase.rows.count * phase.columns.count * depth,
                     phase.columns.count * depth, depth, full.baseAddress! + start(of: phase, depth: depth), strides.image,
                     strides.row, strides.cell)
    }
  }

  /// Floats between images, between a phase's rows and between its cells in the full output.
  private func fullStrides(depth: Int) -> (image: Int, row: Int, cell: Int) {
    (geometry.positions * depth, factor.height * geometry.outputWidth * depth, factor.width * depth)
  }

  /// Where the phase's first cell lies in the full output's first image (floats).
  private func start(of phase: Phase, depth: Int) -> Int { (phase.rows.first * geometry.outputWidth + phase.columns.first) * depth }
}
