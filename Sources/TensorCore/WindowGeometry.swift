import FileIO
import CKernels

/// How windows meet an image's edges, as Keras's `padding`.
public enum Padding: String, Codable, Sendable, CaseIterable {
  /// Zero padding so that `output = ceil(input / stride)`: for stride 1, the output has the
  /// input's size. As in TensorFlow, an odd padding total puts the extra cell at the bottom and
  /// right.
  case same
  /// No padding: every window lies inside the image, `output = floor((input - kernel) / stride) + 1`.
  case valid
}

/// Where a kernel's windows fall on an image stored NHWC (examples, rows, columns, channels):
/// the image size, the window and its stride, the padding before the first row and column, and
/// the number of window positions. Convolutions, their transposes and pooling share it.
public struct WindowGeometry: Equatable, Sendable, CustomStringConvertible {
  /// The image the windows move over.
  public let height, width, channels: Int
  /// The window's size and step.
  public let kernelHeight, kernelWidth, strideHeight, strideWidth: Int
  /// Padding cells before the first row and column (the bottom and right get the rest).
  public let padTop, padLeft: Int
  /// Window positions down and across.
  public let outputHeight, outputWidth: Int

  /// Windows of `kernel` moved by `stride` over a `height`×`width`×`channels` image, padded as
  /// `padding` says (TensorFlow's rule for `same`).
  ///
  /// - Throws: `GeometryError` when a size is not positive or a `valid` window is larger than the image.
  public init(height: Int, width: Int, channels: Int, kernel: (height: Int, width: Int), stride: (height: Int, width: Int),
              padding: Padding) throws {
    guard height > 0, width > 0, channels > 0 else { throw GeometryError("image \(height)×\(width)×\(channels) must have positive sizes") }
    guard kernel.height > 0, kernel.width > 0 else { throw GeometryError("kernel \(kernel.height)×\(kernel.width) must be positive") }
    guard stride.height > 0, stride.width > 0 else { throw GeometryError("stride \(stride.height)×\(stride.width) must be positive") }
    try Self.checkLimits(("image", [height, width, channels]), ("kernel", [kernel.height, kernel.width]), ("stride", [stride.height, stride.width]))
    func axis(_ size: Int, _ kernel: Int, _ stride: Int) throws -> (padBefore: Int, output: Int) {
      switch padding {
      case .same:
        let output = (size + stride - 1) / stride
        let total = max((output - 1) * stride + kernel - size, 0)
        return (total / 2, output)
      case .valid:
        guard kernel <= size else { throw GeometryError("a \(kernel)-cell window does not fit in \(size) cells without padding") }
        return (0, (size - kernel) / stride + 1)
      }
    }
    let rows = try axis(height, kernel.height, stride.height), columns = try axis(width, kernel.width, stride.width)
    self.init(height: height, width: width, channels: channels, kernelHeight: kernel.height, kernelWidth: kernel.width,
              strideHeight: stride.height, strideWidth: stride.width, padTop: rows.padBefore, padLeft: columns.padBefore,
              outputHeight: rows.output, outputWidth: columns.output)
  }

  /// The geometry of a transposed convolution from a `height`×`width` input to `channels`
  /// output channels, as Keras's `Conv2DTranspose` sizes it: `input·stride` for `same`, and
  /// `input·stride + max(kernel - stride, 0)` for `valid`.
  ///
  /// The transposed convolution is the adjoint of the convolution with this geometry, whose
  /// image is the transposed convolution's output and whose window positions are its input cells.
  public static func transposed(height: Int, width: Int, channels: Int, kernel: (height: Int, width: Int),
                                stride: (height: Int, width: Int), padding: Padding) throws -> WindowGeometry {
    guard height > 0, width > 0, channels > 0 else { throw GeometryError("input \(height)×\(width) to \(channels) channels must have positive sizes") }
    guard kernel.height > 0, kernel.width > 0 else { throw GeometryError("kernel \(kernel.height)×\(kernel.width) must be positive") }
    guard stride.height > 0, stride.width > 0 else { throw GeometryError("stride \(stride.height)×\(stride.width) must be positive") }
    try checkLimits(("input", [height, width, channels]), ("kernel", [kernel.height, kernel.width]), ("stride", [stride.height, stride.width]))
    func axis(_ size: Int, _ kernel: Int, _ stride: Int) -> (output: Int, padBefore: Int) {
      switch padding {
      case .same: (size * stride, max(kernel - stride, 0) / 2)  // sizes are at most 2^24: no overflow
      case .valid: (size * stride + max(kernel - stride, 0), 0)
      }
    }
    let rows = axis(height, kernel.height, stride.height), columns = axis(width, kernel.width, stride.width)
    try checkLimits(("output", [rows.output, columns.output]))
    return WindowGeometry(height: rows.output, width: columns.output, channels: channels, kernelHeight: kernel.height,
                          kernelWidth: kernel.width, strideHeight: stride.height, strideWidth: stride.width,
                          padTop: rows.padBefore, padLeft: columns.padBefore, outputHeight: height, outputWidth: width)
  }

  /// Throws when a size exceeds `Limits.maximumDimension`, before any arithmetic on it.
  static func checkLimits(_ groups: (String, [Int])...) throws {
    for (name, sizes) in groups where sizes.contains(where: { $0 > Limits.maximumDimension }) {
      throw GeometryError("\(name) \(sizes.map(String.init).joined(separator: "×")) exceeds the limit of \(groupedDigits(Limits.maximumDimension)) per side")
    }
  }

  /// Every field given: for tests and for geometries computed elsewhere.
  public init(height: Int, width: Int, channels: Int, kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int,
              padTop: Int, padLeft: Int, outputHeight: Int, outputWidth: Int) {
    precondition([height, width, channels, kernelHeight, kernelWidth, strideHeight, strideWidth, outputHeight, outputWidth]
      .allSatisfy { $0 > 0 } && padTop >= 0 && padLeft >= 0 && padTop < kernelHeight && padLeft < kernelWidth,
      "window geometry with a non-positive size, or padding not smaller than the kernel")
    (self.height, self.width, self.channels) = (height, width, channels)
    (self.kernelHeight, self.kernelWidth, self.strideHeight, self.strideWidth) = (kernelHeight, kernelWidth, strideHeight, strideWidth)
    (self.padTop, self.padLeft, self.outputHeight, self.outputWidth) = (padTop, padLeft, outputHeight, outputWidth)
  }

  /// Cells in one image.
  public var imageSize: Int { height * width * channels }
  /// Window positions in one image.
  public var positions: Int { outputHeight * outputWidth }
  /// Cells in one window: the length of an unfolded row.
  public var windowSize: Int { kernelHeight * kernelWidth * channels }
  /// True when every window is one cell in place (1×1, stride 1, no padding): the image is its
  /// own unfolding, and no copy is needed.
  var unfoldsToItself: Bool {
    kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1 && outputHeight == height && outputWidth == width
  }

  /// Whether a convolution to `filters` filters is cheaper computed cell first (each input cell
  /// times every kernel offset, then gathered) than by unfolding windows: true when the cells'
  /// products, `cells·kh·kw·filters`, are fewer than the unfolded values, `positions·kh·kw·channels`.
  func cellFirstIsCheaper(filters: Int) -> Bool {
    !unfoldsToItself && height * width * filters < positions * channels
  }

  var c: aek_conv_geometry {
    aek_conv_geometry(height: height, width: width, channels: channels, kernel_h: kernelHeight, kernel_w: kernelWidth,
                      stride_h: strideHeight, stride_w: strideWidth, pad_top: padTop, pad_left: padLeft,
                      out_h: outputHeight, out_w: outputWidth)
  }

  /// `3×3 stride 2 over 28×28×1, pad 0,0 → 14×14`.
  public var description: String {
    "\(kernelHeight)×\(kernelWidth) stride \(strideHeight)×\(strideWidth) over \(height)×\(width)×\(channels), pad \(padTop),\(padLeft) → \(outputHeight)×\(outputWidth)"
  }
}

/// Sizes that make no window geometry.
public struct GeometryError: Error, CustomStringConvertible {
  public let description: String
  init(_ description: String) { self.description = description }
}
