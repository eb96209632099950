import TensorCore
import Testing

@Suite struct WindowGeometryTests {
  @Test func samePaddingFollowsTensorFlow() throws {
    // 3×3 stride 1 on 28: pad 1 each side, 28 out.
    let a = try WindowGeometry(height: 28, width: 28, channels: 1, kernel: (3, 3), stride: (1, 1), padding: .same)
    #expect((a.outputHeight, a.outputWidth, a.padTop, a.padLeft) == (28, 28, 1, 1))
    // 3×3 stride 2 on 28: 14 out, total padding 1, all of it at the bottom and right.
    let b = try WindowGeometry(height: 28, width: 28, channels: 1, kernel: (3, 3), stride: (2, 2), padding: .same)
    #expect((b.outputHeight, b.padTop) == (14, 0))
    // 2×2 pooling on 7: 4 out (Keras's 7→4 in the blog's third pooling), padding at the end.
    let c = try WindowGeometry(height: 7, width: 7, channels: 8, kernel: (2, 2), stride: (2, 2), padding: .same)
    #expect((c.outputHeight, c.outputWidth, c.padTop, c.padLeft) == (4, 4, 0, 0))
    // 4×4 stride 1 on 5: total 3, top 1.
    let d = try WindowGeometry(height: 5, width: 6, channels: 1, kernel: (4, 4), stride: (1, 1), padding: .same)
    #expect((d.outputHeight, d.outputWidth, d.padTop, d.padLeft) == (5, 6, 1, 1))
  }

  @Test func validPaddingKeepsWindowsInside() throws {
    let a = try WindowGeometry(height: 16, width: 16, channels: 8, kernel: (3, 3), stride: (1, 1), padding: .valid)
    #expect((a.outputHeight, a.padTop) == (14, 0))
    let b = try WindowGeometry(height: 28, width: 27, channels: 1, kernel: (3, 3), stride: (2, 2), padding: .valid)
    #expect((b.outputHeight, b.outputWidth) == (13, 13))
    #expect(throws: GeometryError.self) {
      try WindowGeometry(height: 2, width: 2, channels: 1, kernel: (3, 3), stride: (1, 1), padding: .valid)
    }
    #expect(throws: GeometryError.self) {
      try WindowGeometry(height: 4, width: 4, channels: 1, kernel: (3, 3), stride: (0, 1), padding: .same)
    }
  }

  @Test func transposedSizesFollowKeras() throws {
    // 3×3 stride 2 same: 7 → 14, the convolution 14 → 7 pads 1 at the end.
    let a = try WindowGeometry.transposed(height: 7, width: 7, channels: 32, kernel: (3, 3), stride: (2, 2), padding: .same)
    #expect((a.height, a.width, a.outputHeight, a.padTop) == (14, 14, 7, 0))
    // valid: input·stride + max(kernel - stride, 0).
    let b = try WindowGeometry.transposed(height: 7, width: 5, channels: 1, kernel: (3, 3), stride: (2, 2), padding: .valid)
    #expect((b.height, b.width) == (15, 11))
    let c = try WindowGeometry.transposed(height: 7, width: 7, channels: 1, kernel: (1, 1), stride: (2, 2), padding: .valid)
    #expect((c.height, c.outputHeight) == (14, 7))
    // 4×4 stride 1 same: total 3, the convolution pads 1 before.
    let d = try WindowGeometry.transposed(height: 5, width: 5, channels: 2, kernel: (4, 4), stride: (1, 1), padding: .same)
    #expect((d.height, d.padTop) == (5, 1))
    // Each is the geometry of a convolution from its output back to its input size.
    for (g, padding) in [(a, Padding.same), (b, .valid), (c, .valid), (d, .same)] {
      let forward = try WindowGeometry(height: g.height, width: g.width, channels: g.channels, kernel: (g.kernelHeight, g.kernelWidth),
                                       stride: (g.strideHeight, g.strideWidth), padding: padding)
      #expect((forward.outputHeight, forward.outputWidth, forward.padTop) == (g.outputHeight, g.outputWidth, g.padTop))
    }
  }

  @Test func sizesBeyondTheLimitAreErrorsBeforeAnyArithmetic() {
    #expect(throws: GeometryError.self) {
      try WindowGeometry(height: 28, width: 28, channels: 1, kernel: (Int.max, Int.max), stride: (1, 1), padding: .same)
    }
    #expect(throws: GeometryError.self) {
      try WindowGeometry(height: 28, width: 28, channels: 1, kernel: (3, 3), stride: (Int.max, 1), padding: .same)
    }
    #expect(throws: GeometryError.self) {
      try WindowGeometry.transposed(height: 1 << 20, width: 1, channels: 1, kernel: (3, 3), stride: (1 << 10, 1), padding: .same)
    }
    do {
      _ = try WindowGeometry(height: 1 << 25, width: 1, channels: 1, kernel: (1, 1), stride: (1, 1), padding: .valid)
      Issue.record("no error")
    } catch {
      #expect("\(error)" == "image 33554432×1×1 exceeds the limit of 16,777,216 per side")
    }
  }
}
