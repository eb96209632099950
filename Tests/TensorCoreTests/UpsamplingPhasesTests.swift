@testable import TensorCore
import TestSupport
import Testing

@Suite struct UpsamplingPhasesTests {
  /// The Keras blog's last decoder pair along one axis: 14 cells upsampled by 2 under a 3-wide
  /// `same` window (padding 1), 28 outputs. Even outputs o = 2m read upsampled cells 2m − 1, 2m,
  /// 2m + 1: stored m − 1, m, m, so offset 0 is tap 0 and offsets 1, 2 add into tap 1 (padding 1);
  /// odd outputs 2m + 1 read 2m, 2m + 1, 2m + 2: stored m, m, m + 1 (padding 0).
  @Test func aSameAxisByHand() throws {
    let phases = try #require(UpsamplingPhaseAxis.phases(factor: 2, kernel: 3, pad: 1, outputs: 28))
    #expect(phases == [
      UpsamplingPhaseAxis(first: 1, count: 14, padBefore: 0, taps: 2, tapOfOffset: [0, 0, 1]),
      UpsamplingPhaseAxis(first: 0, count: 14, padBefore: 1, taps: 2, tapOfOffset: [0, 1, 1]),
    ])
  }

  /// A `valid` window over 8 cells upsampled by 3 (24 cells, 22 outputs): output 3m reads stored
  /// m, m, m (one tap); 3m + 1 reads m, m, m + 1; 3m + 2 reads m, m + 1, m + 1.
  @Test func aValidAxisWithFactorThreeByHand() throws {
    let phases = try #require(UpsamplingPhaseAxis.phases(factor: 3, kernel: 3, pad: 0, outputs: 22))
    #expect(phases == [
      UpsamplingPhaseAxis(first: 0, count: 8, padBefore: 0, taps: 1, tapOfOffset: [0, 0, 0]),
      UpsamplingPhaseAxis(first: 1, count: 7, padBefore: 0, taps: 2, tapOfOffset: [0, 0, 1]),
      UpsamplingPhaseAxis(first: 2, count: 7, padBefore: 0, taps: 2, tapOfOffset: [0, 1, 1]),
    ])
  }

  /// Not split: a stride, a 1×1 kernel (no products saved), and outputs too few per phase.
  @Test func splitsOnlyWhereItPays() throws {
    let strided = WindowGeometry(height: 28, width: 28, channels: 8, kernelHeight: 3, kernelWidth: 3, strideHeight: 2, strideWidth: 2,
                                 padTop: 0, padLeft: 0, outputHeight: 14, outputWidth: 14)
    #expect(UpsamplingPhases(geometry: strided, factor: Resampling(height: 2, width: 2)) == nil)
    let pointwise = try WindowGeometry(height: 28, width: 28, channels: 8, kernel: (1, 1), stride: (1, 1), padding: .same)
    #expect(UpsamplingPhases(geometry: pointwise, factor: Resampling(height: 2, width: 2)) == nil)
    let small = try WindowGeometry(height: 8, width: 8, channels: 8, kernel: (3, 3), stride: (1, 1), padding: .same)
    #expect(UpsamplingPhases(geometry: small, factor: Resampling(height: 2, width: 2)) == nil)
    let large = try WindowGeometry(height: 28, width: 28, channels: 16, kernel: (3, 3), stride: (1, 1), padding: .same)
    let split = try #require(UpsamplingPhases(geometry: large, factor: Resampling(height: 2, width: 2)))
    #expect(split.phases.map(\.geometry.description) == [
      "2×2 stride 1×1 over 14×14×16, pad 0,0 → 14×14", "2×2 stride 1×1 over 14×14×16, pad 0,1 → 14×14",
      "2×2 stride 1×1 over 14×14×16, pad 1,0 → 14×14", "2×2 stride 1×1 over 14×14×16, pad 1,1 → 14×14",
    ])
  }

  /// A phase's kernel adds the offsets that land on one stored cell, and its gradient goes back to
  /// each of them: with one channel and filter, the even-row, odd-column phase (tap rows [0, 1, 1],
  /// tap columns [0, 0, 1]) of the kernel 1…9.
  @Test func foldsTheKernelAndSpreadsItsGradientByHand() throws {
    let g = try WindowGeometry(height: 16, width: 16, channels: 1, kernel: (3, 3), stride: (1, 1), padding: .same)
    let split = try #require(UpsamplingPhases(geometry: g, factor: Resampling(height: 2, width: 2)))
    let phase = try #require(split.phases.first { $0.rows.first == 0 && $0.columns.first == 1 })
    let kernel = Tensor(shape: [3, 3, 1, 1], scalars: (1...9).map(Float.init))
    // Rows: {0} → tap 0, {1, 2} → tap 1; columns: {0, 1} → tap 0, {2} → tap 1.
    let folded: [Float] = [1 + 2, 3, 4 + 5 + 7 + 8, 6 + 9]
    #expect(split.weight(kernel, for: phase).scalars == folded)
    var total = Tensor.zeros(shape: [3, 3, 1, 1])
    split.addWeightGradient(Tensor(shape: [2, 2, 1, 1], scalars: [10, 20, 30, 40]), of: phase, into: &total)
    let spread: [Float] = [10, 10, 20, 30, 30, 40, 30, 30, 40]
    #expect(total.scalars == spread)
  }

  /// Gathering a phase's cells and scattering them back is the identity on those cells, for cells
  /// of one value, of whole vectors and of neither.
  @Test(arguments: [1, 3, 8]) func gathersAndScattersEveryCellOnce(depth: Int) throws {
    let g = try WindowGeometry(height: 16, width: 12, channels: 8, kernel: (3, 3), stride: (1, 1), padding: .same)
    let split = try #require(UpsamplingPhases(geometry: g, factor: Resampling(height: 2, width: 2)))
    let full = Tensor(shape: [2, 16, 12, depth], scalars: (0..<(2 * 16 * 12 * depth)).map(Float.init))
    let rebuilt = Tensor(shape: full.shape) { out in
      out.initialize(repeating: -1)
      for phase in split.phases { split.scatter(split.gather(full, phase), of: phase, into: out) }
    }
    #expect(rebuilt.scalars == full.scalars)
    // Phase 0 holds rows 1, 3, … and columns 1, 3, …: its first two cells are (1, 1) and (1, 3).
    let gathered = split.gather(full, split.phases[0])
    #expect(gathered.shape == [2, 8, 6, depth])
    let expected = [13, 15].flatMap { cell in (0..<depth).map { Float(cell * depth + $0) } }
    #expect(Array(gathered.scalars.prefix(2 * depth)) == expected)
  }

  /// Gathered through a relu's output, a cell is kept where the output is above zero and zero
  /// elsewhere: the gradient of the relu, then the gather.
  @Test(arguments: [1, 3, 8]) func gathersThroughAMask(depth: Int) throws {
    let g = try WindowGeometry(height: 16, width: 12, channels: 8, kernel: (3, 3), stride: (1, 1), padding: .same)
    let split = try #require(UpsamplingPhases(geometry: g, factor: Resampling(height: 2, width: 2)))
    let count = 2 * 16 * 12 * depth
    let full = Tensor(shape: [2, 16, 12, depth], scalars: (0..<count).map { Float($0 + 1) })
    let mask = Tensor(shape: full.shape, scalars: (0..<count).map { Float($0 % 3) - 1 })  // -1, 0, 1, ...
    for phase in split.phases {
      let masked = split.gather(full, phase, maskedBy: mask)
      let expected = zip(split.gather(full, phase).scalars, split.gather(mask, phase).scalars).map { $1 > 0 ? $0 : 0 }
      #expect(masked.scalars == expected)
      #expect(masked.scalars.contains { $0 > 0 } && masked.scalars.contains(0))
    }
  }
}

