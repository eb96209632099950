@testable import TensorCore
import CKernels
import TestSupport
import Testing

/// Records an issue unless a Winograd path's gradients have the shapes of the im2col path's and
/// agree with them within `tolerance` (ten times that, absolute, for the weight's: its sums run
/// over every tile of the batch).
func expectSameGradients(_ got: (input: Tensor?, weight: Tensor?, bias: Tensor?), _ expected: (input: Tensor?, weight: Tensor?, bias: Tensor?),
                         tolerance: Float, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(got.input?.shape == expected.input?.shape && got.weight?.shape == expected.weight?.shape && got.bias?.shape == expected.bias?.shape,
          "\(what)", sourceLocation: sourceLocation)
  if let a = got.input, let e = expected.input { expectClose(a, e, rtol: tolerance, atol: tolerance, "\(what) input", sourceLocation: sourceLocation) }
  if let a = got.weight, let e = expected.weight {
    expectClose(a, e, rtol: tolerance, atol: 10 * tolerance, "\(what) weight", sourceLocation: sourceLocation)
  }
  if let a = got.bias, let e = expected.bias { expectClose(a, e, rtol: tolerance, atol: tolerance, "\(what) bias", sourceLocation: sourceLocation) }
}

/// `path`'s gradients against `reference`'s (run with matrix products only) for each mask in
/// `masks` and each subset of gradients asked for: all three, and each alone.
func expectSameGradientsForEverySubset(masks: [Tensor?], tolerance: Float, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                                       path: (_ forInput: Bool, _ forWeight: Bool, _ forBias: Bool, _ mask: Tensor?)
                                         -> (input: Tensor?, weight: Tensor?, bias: Tensor?),
                                       reference: (_ forInput: Bool, _ forWeight: Bool, _ forBias: Bool, _ mask: Tensor?)
                                         -> (input: Tensor?, weight: Tensor?, bias: Tensor?)) {
  for mask in masks {
    for (forInput, forWeight, forBias) in [(true, true, true), (true, false, false), (false, true, false), (false, false, true)] {
      let got = path(forInput, forWeight, forBias, mask)
      let expected = Tensor.withConvolutionKernels(.products) { reference(forInput, forWeight, forBias, mask) }
      #expect(got.input != nil || !forInput, "\(what)", sourceLocation: sourceLocation)
      expectSameGradients(got, expected, tolerance: tolerance, "\(what) relu \(mask != nil) \(forInput) \(forWeight) \(forBias)",
                          sourceLocation: sourceLocation)
    }
  }
}

@Suite struct TensorWinogradTilesTests {
  /// The two tilings' sizes: F(2×2, 3×3) over a 7×5 image (4×3 tiles of 2×2 outputs, 16 products
  /// each) and the polyphase transposed convolution from 7×7 to 14×14 (4×4 tiles, 25 products).
  @Test func tilingsCountTheirTilesAndProducts() throws {
    let g = try WindowGeometry(height: 7, width: 5, channels: 3, kernel: (3, 3), stride: (1, 1), padding: .same)
    let f23 = g.winogradTiling(filters: 4)
    #expect(f23.tileRows == 4 && f23.tileColumns == 3 && f23.products == 16 && f23.kernelSize == 16 * 3 * 4)
    #expect(f23.floatsPerImage == 12 * (16 * 3 + 16 * 4))
    let t = try WindowGeometry.transposed(height: 7, width: 7, channels: 8, kernel: (3, 3), stride: (2, 2), padding: .same)
    let polyphase = t.polyphaseWinogradTiling(inputChannels: 6)
    #expect(polyphase.height == 7 && polyphase.outputHeight == 14 && polyphase.channels == 6 && polyphase.filters == 8)
    #expect(polyphase.tiles == 16 && polyphase.products == 25 && polyphase.widths.filter { $0 == 4 }.count == 1)
  }

  /// `forEachGroup` lays the 16 groups one after another: kernels `channels × width` end to end,
  /// transformed inputs `rows × channels` and products `rows × width` each an odd number of
  /// 64-byte lines after the last one's start (`aek_winograd_stride`).
  @Test func groupsLieAnOddNumberOfCacheLinesApart() throws {
    #expect([1, 15, 16, 17, 20, 40, 512, 528, 1024].map { aek_winograd_stride($0) } == [16, 16, 16, 48, 48, 48, 528, 528, 1040])
    let t = try WindowGeometry.transposed(height: 4, width: 4, channels: 2, kernel: (3, 3), stride: (2, 2), padding: .same)
      .polyphaseWinogradTiling(inputChannels: 3)
    var expected = (u: 0, m: 0), visited = 0
    t.forEachGroup(rows: 5) { width, v, u, m in
      // 15 floats of inputs take one line; products of width 2, 4 and 8 take 10, 20 and 40 floats: 1, 3 and 3 lines.
      #expect(v == visited * 16 && u == expected.u && m == expected.m && width == t.widths[visited] * 2)
      expected = (expected.u + 3 * width, expected.m + [2: 16, 4: 48, 8: 48][width]!)
      visited += 1
    }
    #expect(visited == 16 && expected.u == t.kernelSize && t.inputFloats(rows: 5) == 16 * 16 && t.productFloats(rows: 5) == expected.m)
    #expect(t.inputFloats(rows: 5) + t.productFloats(rows: 5) <= 5 * t.floatsPerImage / t.tiles + t.groupPadding)
  }

  /// Transposing a transformed kernel's groups twice gives it back.
  @Test func groupTranspositionsUndoEachOther() throws {
    let t = try WindowGeometry.transposed(height: 4, width: 4, channels: 2, kernel: (3, 3), stride: (2, 2), padding: .same)
      .polyphaseWinogradTiling(inputChannels: 3)
    let u = randomTensor([t.kernelSize], seed: 97)
    let there = Tensor.winogradTransposedGroups(u, tiling: t, rowsAreChannels: true)
    #expect(there.scalars != u.scalars)
    #expect(Tensor.winogradTransposedGroups(there, tiling: t, rowsAreChannels: false).scalars == u.scalars)
  }

  /// A kernel transform and its gradient sum over the matrix's nonzero entries alone: the same as
  /// the whole matrix's products, written out in doubles, with rows and columns of zeros (no
  /// terms: zeros out) and slices of 1, 8, 21 and 512 floats (vector remainders), at every SIMD level.
  @Test func kernelTransformsSumTheirNonzeroEntries() {
    let (rows, taps) = (6, 5)
    // Rows 1 and 4 and column 3 all zero; the rest one to four terms a row.
    let matrix: [Float] = [1, 0, 0, 0, 0,
                           0, 0, 0, 0, 0,
                           0.5, 0.5, 0.5, 0, 0,
                           0.5, -0.5, 0.5, 0, 2,
                           0, 0, 0, 0, 0,
                           0, 0, 0, 0, -1]
    let transform = WinogradKernelTransform(rows: rows, taps: taps, matrix: matrix)
    for slice in [1, 8, 21, 512] {
      let w = randomTensor([taps, slice], seed: UInt64(slice)), u = randomTensor([rows * slice], seed: UInt64(slice + 1))
      var forward = [Float](repeating: 0, count: rows * slice), backward = [Float](repeating: 0, count: taps * slice)
      for r in 0..<rows {
        for i in 0..<slice {
          forward[r * slice + i] = Float((0..<taps).reduce(0.0) { $0 + Double(matrix[r * taps + $1]) * Double(w.scalars[$1 * slice + i]) })
        }
      }
      for k in 0..<taps {
        for i in 0..<slice {
          backward[k * slice + i] = Float((0..<rows).reduce(0.0) { $0 + Double(matrix[$1 * taps + k]) * Double(u.scalars[$1 * slice + i]) })
        }
      }
      for level in SIMDLevel.allCases where level.rawValue <= SIMDLevel.supported.rawValue {
        let (there, back) = SIMDLevel.withKernels(at: level) { (transform.transformed(w), transform.gradient(u, like: w)) }
        expectClose(there, Tensor(shape: [rows * slice], scalars: forward), rtol: 1e-6, atol: 1e-6, "\(level.name) slice \(slice)")
        expectClose(back, Tensor(shape: [taps, slice], scalars: backward), rtol: 1e-6, atol: 1e-6, "\(level.name) slice \(slice) gradient")
        #expect(there.scalars[slice..<(2 * slice)].allSatisfy { $0 == 0 } && back.scalars[(3 * slice)..<(4 * slice)].allSatisfy { $0 == 0 })
      }
    }
  }
}
