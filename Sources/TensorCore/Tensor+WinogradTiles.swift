import CKernels

// What the Winograd convolutions share (Tensor+WinogradConvolution.swift for stride-1 3×3
// convolutions, Tensor+PolyphaseWinogradConvolution.swift for 3×3 and 5×5 stride-2 transposed ones
// and their adjoints): each image is cut into tiles, each tile's inputs are transformed into 16 or
// 36 values per channel (as many matrices [tiles × channels]), each meets its group of the
// transformed kernel in one BLAS product (matrices [tiles × products·filters]), and the products
// are transformed into the tile's outputs. The gradients are the exact adjoints of the same linear maps,
//
//   forward          v = B(x), m = v · U, y = A(m)
//   input gradient   ∂m = Aᵀ(∂y), ∂v = ∂m · Uᵀ, ∂x = Bᵀ(∂v)
//   weight gradient  ∂Uᵀ = Σ ∂mᵀ · v   (then the kernel's own transform's adjoint)
//
// so every pass saves the same share of multiplications. Sums differ from im2col's in order, not
// in value: results agree within float rounding, and the same seed and threads give the same bits.

/// A Winograd tiling of a layer: the images it reads and writes, its tiles, its groups of
/// products, and its four transforms (the C kernels of winograd_body.h).
struct WinogradTiling {
  enum Transform { case f23(pad: Int), polyphaseStride2, polyphase5x5Stride2 }
  let transform: Transform
  /// The input and output images (`channels` in, `filters` out).
  let height, width, channels, outputHeight, outputWidth, filters: Int
  /// Tiles down and across one image.
  let tileRows, tileColumns: Int
  /// Products per group (16 or 36 groups, one per transformed input), a multiple of `filters`:
  /// group g's product matrix is [tiles × widths[g]·filters].
  let widths: [Int]

  var tiles: Int { tileRows * tileColumns }
  /// Transformed inputs per tile and channel: one per group.
  var groups: Int { widths.count }
  /// Products per tile, per channel and filter.
  var products: Int { widths.reduce(0, +) }
  /// Floats of a transformed kernel: each group's `[channels, width·filters]`.
  var kernelSize: Int { products * channels * filters }
  /// Floats per image of a block: its transformed inputs and its products.
  var floatsPerImage: Int { tiles * (groups * channels + products * filters) }
  /// Floats a block's groups may take beyond `floatsPerImage` per image: each group's matrix
  /// starts `aek_winograd_stride` floats after the last one's, up to 31 more.
  var groupPadding: Int { 2 * groups * 31 }

  /// Floats of a block's buffer for `perImage` floats an image: `Tensor.winogradBlockFloats`, or
  /// enough images for 32 tiles, each product's rows, where that holds more (the codec's 5×5
  /// layers over 7×7 codes, 16 tiles an image, ran each pass 3–9% faster with 2 images than 1).
  func blockFloats(perImage: Int) -> Int { max(Tensor.winogradBlockFloats, perImage * ((32 + tiles - 1) / tiles)) }

  /// Floats of the transformed inputs of a block of `rows` tiles (the products start there).
  func inputFloats(rows: Int) -> Int { groups * aek_winograd_stride(rows * channels) }
  /// Floats of the products of a block of `rows` tiles.
  func productFloats(rows: Int) -> Int { widths.reduce(0) { $0 + aek_winograd_stride(rows * $1 * filters) } }

  /// Calls `body(width, v, u, m)` for the groups: the width of the group's products in floats
  /// and the offsets of its transformed inputs (`rows × channels`), its transformed kernel
  /// (`channels × width`) and its products (`rows × width`), for blocks of `rows` tiles.
  func forEachGroup(rows: Int, _ body: (_ width: Int, _ v: Int, _ u: Int, _ m: Int) -> Void) {
    var (u, m) = (0, 0)
    for group in widths.indices {
      let width = widths[group] * filters
      body(width, group * aek_winograd_stride(rows * channels), u, m)
      u += channels * width
      m += aek_winograd_stride(rows * width)
    }
  }

  func transformInputs(_ count: Int, _ x: UnsafePointer<Float>, zeros: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>) {
    switch transform {
    case .f23(let pad): aek_wf23_input(count, height, width, channels, pad, tileRows, tileColumns, x, zeros, v)
    case .polyphaseStride2: aek_wt2_input(count, height, width, channels, tileRows, tileColumns, x, zeros, v)
    case .polyphase5x5Stride2: aek_wt5_input(count, height, width, channels, tileRows, tileColumns, x, zeros, v)
    }
  }

  /// `sink`: max(channels, filters) floats that cells past the image may be written to.
  func transformInputGradients(_ count: Int, _ dv: UnsafePointer<Float>, sink: UnsafeMutablePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
    switch transform {
    case .f23(let pad): aek_wf23_input_backward(count, height, width, channels, pad, tileRows, tileColumns, dv, sink, dx)
    case .polyphaseStride2: aek_wt2_input_backward(count, height, width, channels, tileRows, tileColumns, dv, dx)
    case .polyphase5x5Stride2: aek_wt5_input_backward(count, height, width, channels, tileRows, tileColumns, dv, sink, dx)
    }
  }

  func transformProducts(_ count: Int, _ m: UnsafePointer<Float>, bias: UnsafePointer<Float>?, rectified: Bool, sink: UnsafeMutablePointer<Float>,
                         into y: UnsafeMutablePointer<Float>) {
    switch transform {
    case .f23: aek_wf23_output(count, outputHeight, outputWidth, filters, tileRows, tileColumns, m, bias, rectified ? 1 : 0, y)
    case .polyphaseStride2: aek_wt2_output(count, outputHeight, outputWidth, filters, tileRows, tileColumns, m, bias, rectified ? 1 : 0, sink, y)
    case .polyphase5x5Stride2:
      aek_wt5_output(count, outputHeight, outputWidth, filters, tileRows, tileColumns, m, bias, rectified ? 1 : 0, sink, y)
    }
  }

  func transformOutputGradients(_ count: Int, _ dy: UnsafePointer<Float>, zeros: UnsafePointer<Float>, into dm: UnsafeMutablePointer<Float>) {
    switch transform {
    case .f23: aek_wf23_output_backward(count, outputHeight, outputWidth, filters, tileRows, tileColumns, dy, zeros, dm)
    case .polyphaseStride2: aek_wt2_output_backward(count, outputHeight, outputWidth, filters, tileRows, tileColumns, dy, zeros, dm)
    case .polyphase5x5Stride2: aek_wt5_output_backward(count, outputHeight, outputWidth, filters, tileRows, tileColumns, dy, zeros, dm)
    }
  }
}

/// A Winograd kernel transform as one matrix: row r of `matrix` (`rows × taps`) combines the
/// kernel's taps into transformed block r, so the transform of a kernel stored as `taps` slices
/// (`[kh, kw, …]`, a slice per tap) is one BLAS product, `matrix · w`, and its adjoint (the
/// kernel's gradient from the transformed kernel's) is `matrixᵀ · ∂u`. Run in Swift tap by tap,
/// the codec's 5×5 transforms took 4% of its training step.
struct WinogradKernelTransform {
  let rows: Int, taps: Int
  /// The transform, `rows × taps`, row-major.
  let matrix: [Float]
  /// Its nonzero entries row by row (each product takes a few taps), and column by column (each
  /// tap enters a few products): a sum over those alone, where a matrix product over the whole
  /// matrix took about 18 µs per 5×5 kernel of 32 × 32 channels, five times per piece of a codec step.
  private let byRow: SparseRows, byColumn: SparseRows

  init(rows: Int, taps: Int, matrix: [Float]) {
    precondition(matrix.count == rows * taps, "a \(rows) × \(taps) transform of \(matrix.count) entries")
    (self.rows, self.taps, self.matrix) = (rows, taps, matrix)
    byRow = SparseRows(rows) { row in (0..<taps).map { (row: $0, coefficient: matrix[row * taps + $0]) } }
    byColumn = SparseRows(taps) { tap in (0..<rows).map { (row: $0, coefficient: matrix[$0 * taps + tap]) } }
  }

  /// `rows` blocks of `weight`'s slice size, one after another.
  func transformed(_ weight: Tensor) -> Tensor {
    let slice = weight.count / taps
    precondition(slice * taps == weight.count, "a kernel of \(weight.shape) for \(taps) taps")
    return Tensor(shape: [rows * slice]) { u in
      weight.withUnsafeBufferPointer { w in byRow.combine(w.baseAddress!, width: slice, into: u.baseAddress!) }
    }
  }

  /// The adjoint of `transformed`: a transformed kernel's gradient back to `like`'s shape.
  func gradient(_ transformed: Tensor, like weight: Tensor) -> Tensor {
    let slice = weight.count / taps
    precondition(transformed.count == rows * slice, "a transformed kernel of \(transformed.count) floats for \(weight.shape)")
    return Tensor(shape: weight.shape) { dw in
      transformed.withUnsafeBufferPointer { du in byColumn.combine(du.baseAddress!, width: slice, into: dw.baseAddress!) }
    }
  }
}

/// A sparse matrix's rows: each one's nonzero terms, as the rows of another matrix they take and
/// their coefficients (`aek_combine_rows`'s layout).
private struct SparseRows {
  let count: Int
  let terms: [Int], rowOf: [Int], coefficient: [Float]

  /// `count` rows, row r's entries `entries(r)`; the zeros are left out.
  init(_ count: Int, entries: (Int) -> [(row: Int, coefficient: Float)]) {
    var terms = [0], rowOf: [Int] = [], coefficient: [Float] = []
    for r in 0..<count {
      for entry in entries(r) where entry.coefficient != 0 {
        rowOf.append(entry.row)
        coefficient.append(entry.coefficient)
      }
      terms.append(rowOf.count)
    }
    (self.count, self.terms, self.rowOf, self.coefficient) = (count, terms, rowOf, coefficient)
  }

  /// `out` (count rows of `width`) = this matrix times `x` (rows of `width`).
  func combine(_ x: UnsafePointer<Float>, width: Int, into out: UnsafeMutablePointer<Float>) {
    aek_combine_rows(count, width, terms, rowOf, coefficient, x, out)
  }
}

extension Tensor {
  /// A block's buffer holds up to 256 KB, or 32 tiles (`WinogradTiling.blockFloats`): one image
  /// of the conv VAE's larger layers, whose transformed inputs and products then stay in L2 (its
  /// 14×14 layer's forward pass ran 10% slower with blocks of 2 images, 50% with 11, 2.4× with
  /// 23; measured before the groups were padded apart).
  static let winogradBlockFloats = 1 << 16

  /// The layer's output on the batch `self` (`[n, height, width, channels]` of the tiling), given
  /// its transformed kernel `u` (each group's `[channels, width·filters]`).
  func winogradConvolved(tiling t: WinogradTiling, kernel u: Tensor, bias: Tensor?, rectified: Bool) -> Tensor {
    let n = shape[0]
    precondition(Array(shape[1...]) == [t.height, t.width, t.channels] && u.count == t.kernelSize, "Winograd input \(shape) for \(t)")
    var output = Tensor(shape: [n, t.outputHeight, t.outputWidth, t.filters]) { _ in }
    withUnsafeBufferPointer { x in
      u.withUnsafeBufferPointer { u in
        withOptionalPointer(bias) { b in
          output.withUnsafeMutableBufferPointer { y in
            Tensor.forEachBlock(of: n, work: n * t.tiles * t.products * t.channels * t.filters, bufferPerExample: t.floatsPerImage,
                                fixedBuffer: max(t.channels, t.filters) + t.groupPadding, blockFloats: t.blockFloats(perImage: t.floatsPerImage)) { _, block, buffer in
              let rows = block.count * t.tiles
              let v = buffer, m = v + t.inputFloats(rows: rows), zeros = m + t.productFloats(rows: rows)
              zeros.initialize(repeating: 0, count: t.channels)
              t.transformInputs(block.count, x.baseAddress! + block.lowerBound * t.height * t.width * t.channels, zeros: zeros, into: v)
              t.forEachGroup(rows: rows) { width, vOffset, uOffset, mOffset in
                aek_sgemm(0, 0, Int32(rows), Int32(width), Int32(t.channels), 1, v + vOffset, Int32(t.channels), u.baseAddress! + uOffset,
                          Int32(width), 0, m + mOffset, Int32(width))
              }
              // The zeros, read by now, take what lands past the image (zeroed again at the next block).
              t.transformProducts(block.count, m, bias: b, rectified: rectified, sink: zeros,
                                  into: y.baseAddress! + block.lowerBound * t.outputHeight * t.outputWidth * t.filters)
            }
          }
        }
      }
    }
    return output
  }

  /// The gradients of `winogradConvolved` from one pass over each block: the input's (given the
  /// transformed kernel transposed, `ut`: each group's `[width·filters, channels]`), the
  /// transformed kernel's transposed (`∂uᵀ`, in `ut`'s layout; `input` is read for it alone) and
  /// the bias's; each only when asked for. With `rectifiedOutput` (a fused relu's output),
  /// `outputGradient` is masked where it is zero.
  static func winogradGradients(tiling t: WinogradTiling, input: Tensor?, transposedKernel ut: Tensor?, outputGradient: Tensor,
                                rectifiedOutput: Tensor?, forWeight: Bool, forBias: Bool)
    -> (input: Tensor?, transposedKernel: Tensor?, bias: Tensor?)
  {
    let n = outputGradient.shape[0], imageSize = t.outputHeight * t.outputWidth * t.filters
    precondition(outputGradient.shape == [n, t.outputHeight, t.outputWidth, t.filters], "Winograd output gradient \(outputGradient.shape) for \(t)")
    precondition(!forWeight || input?.shape == [n, t.height, t.width, t.channels], "Winograd input \(input?.shape ?? []) for \(t)")
    var inputGradient: Tensor? = ut != nil ? Tensor(shape: [n, t.height, t.width, t.channels]) { _ in } : nil
    let work = n * t.tiles * t.products * t.channels * t.filters
    let parts = Tensor.parts(of: n, work: work)
    var kernelPartials: Tensor? = forWeight ? Tensor(shape: [parts, t.kernelSize]) { _ in } : nil
    var biasPartials: Tensor? = forBias ? Tensor.zeros(shape: [parts, t.filters]) : nil
    let masked = rectifiedOutput != nil ? imageSize : 0
    withOptionalPointer(input) { x in
      withOptionalPointer(ut) { ut in
        outputGradient.withUnsafeBufferPointer { dyAll in
          withOptionalPointer(rectifiedOutput) { yAll in
            withOptionalMutablePointer(&inputGradient) { dx in
              withOptionalMutablePointer(&kernelPartials) { du in
                withOptionalMutablePointer(&biasPartials) { db in
                  Tensor.forEachBlock(of: n, work: work, bufferPerExample: t.floatsPerImage + masked,
                                      fixedBuffer: max(t.channels, t.filters) + t.groupPadding,
                                      blockFloats: t.blockFloats(perImage: t.floatsPerImage + masked)) { part, block, buffer in
                    let rows = block.count * t.tiles
                    let v = buffer, dm = v + t.inputFloats(rows: rows), scratch = dm + t.productFloats(rows: rows)
                    let zeros = scratch + block.count * masked, offset = block.lowerBound * imageSize
                    // The relu's mask and the bias sums in one streaming pass over the block (masking
                    // tile by tile read ∂y and the mask a few rows at a time and took the conv VAE's epoch 4% longer).
                    let dyBlock = Tensor.outputGradientBlock(dyAll.baseAddress! + offset, rectifiedOutput: yAll.map { $0 + offset },
                                                             rows: block.count * t.outputHeight * t.outputWidth, channels: t.filters,
                                                             scratch: scratch, biasPartial: db.map { $0 + part * t.filters })
                    guard dx != nil || du != nil else { return }
                    zeros.initialize(repeating: 0, count: max(t.channels, t.filters))
                    t.transformOutputGradients(block.count, dyBlock, zeros: zeros, into: dm)
                    if du != nil { t.transformInputs(block.count, x! + block.lowerBound * t.height * t.width * t.channels, zeros: zeros, into: v) }
                    let beta = Tensor.accumulating(block, part: part, parts: parts, count: n)
                    t.forEachGroup(rows: rows) { width, vOffset, uOffset, mOffset in
                      if let du {  // ∂uᵀ = ∂mᵀ · v
                        aek_sgemm(1, 0, Int32(width), Int32(t.channels), Int32(rows), 1, dm + mOffset, Int32(width), v + vOffset,
                                  Int32(t.channels), beta, du + part * t.kernelSize + uOffset, Int32(t.channels))
                      }
                      if let ut {  // ∂v = ∂m · uᵀ, over the group's transformed inputs, used by now
                        aek_sgemm(0, 0, Int32(rows), Int32(t.channels), Int32(width), 1, dm + mOffset, Int32(width), ut + uOffset,
                                  Int32(t.channels), 0, v + vOffset, Int32(t.channels))
                      }
                    }
                    if let dx {  // the zeros, read by now, take what lands past the image (zeroed again at the next block)
                      t.transformInputGradients(block.count, v, sink: zeros, into: dx + block.lowerBound * t.height * t.width * t.channels)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (inputGradient, kernelPartials.map { $0.sum(alongAxis: 0) }, biasPartials.map { $0.sum(alongAxis: 0).reshaped(to: [t.filters]) })
  }

  /// Each group's `[rows, width·filters]` block of a transformed kernel transposed (either way between `u` and `uᵀ`).
  static func winogradTransposedGroups(_ kernel: Tensor, tiling t: WinogradTiling, rowsAreChannels: Bool) -> Tensor {
    Tensor(shape: kernel.shape) { out in
      kernel.withUnsafeBufferPointer { k in
        var offset = 0
        for group in t.widths.indices {
          let width = t.widths[group] * t.filters
          let (rows, columns) = rowsAreChannels ? (t.channels, width) : (width, t.channels)
          aek_transpose(rows, columns, k.baseAddress! + offset, out.baseAddress! + offset)
          offset += t.channels * width
        }
      }
    }
  }
}

extension WinogradTiling: CustomStringConvertible {
  var description: String {
    "\(transform) tiling of \(height)×\(width)×\(channels) → \(outputHeight)×\(outputWidth)×\(filters) in \(tileRows)×\(tileColumns) tiles"
  }
}
