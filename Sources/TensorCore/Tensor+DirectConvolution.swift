import CKernels
import Foundation

// Which kernel computes each pass of a convolution, and the direct kernels' passes. The direct
// kernels (direct_convolution_body.h) read each image from a zero-padded copy and accumulate
// register tiles of outputs × filters, with no unfolding and no BLAS: for layers of few channels,
// where im2col + sgemm spends more moving windows than multiplying. Every pass of a convolution
// maps onto the two C kernels, a forward convolution and a weight gradient:
//
//   convolution           forward         direct forward over the geometry
//                         input gradient  direct forward of ∂y with the kernel flipped and
//                                         transposed, padded by kernel − 1 − padding (stride 1)
//                         weight gradient direct weight gradient of (x, ∂y)
//   transposed            forward         as the convolution's input gradient (stride 1)
//                         input gradient  direct forward of ∂y over the geometry
//                         weight gradient direct weight gradient of (∂y, x)
//
// A stride-2 convolution's input gradient and a stride-2 transposed convolution's forward pass
// scatter windows onto a finer grid; they stay matrix products with col2im. Layers of more
// channels take Winograd transforms in every pass instead: 3×3 stride-1 convolutions
// (Tensor+WinogradConvolution.swift), 3×3 and 5×5 stride-2 transposed convolutions and their
// adjoints, stride-2 convolutions (Tensor+PolyphaseWinogradConvolution.swift).

/// How a convolution pass is computed; `Tensor.convolutionKernels` says which one each pass of a
/// layer uses (`autoencoder benchmark --kernels` prints it per layer).
public enum ConvolutionKernel: String, Codable, Sendable, CaseIterable {
  /// Register tiles straight from a zero-padded copy of each image (no BLAS).
  case direct
  /// Windows unfolded into rows (im2col), one BLAS product, folded back (col2im) where needed.
  case unfolded = "im2col + sgemm"
  /// Each input cell times every kernel offset by BLAS, then gathered under the windows.
  case cellFirst = "cell-first sgemm"
  /// A 1×1 convolution: one BLAS product on the images as they are.
  case product = "sgemm"
  /// A 3×3 stride-1 convolution's 2×2 output tiles by Winograd's F(2×2, 3×3) (16 products where
  /// there were 36): sixteen BLAS products between two transforms (Tensor+WinogradConvolution.swift).
  case winograd = "winograd F(2,3) + sgemm"
  /// A stride-2 transposed convolution's tiles transformed (3×3: 25 products where there were
  /// 36; 5×5: 49 where there were 100), a BLAS product per group, transformed back; and a stride-2
  /// convolution as its adjoint (Tensor+PolyphaseWinogradConvolution.swift).
  case polyphaseWinograd = "polyphase winograd + sgemm"
}

/// Which kernels convolutions may use: chosen by shape (the default), direct wherever it applies,
/// or matrix products only. `AUTOENCODERKIT_CONVOLUTIONS=direct|products` sets it for a process
/// (to compare the two on a model); `Tensor.withConvolutionKernels` for a scope of a thread.
public enum ConvolutionPreference: String, Sendable, CaseIterable {
  case byShape = "auto", direct, products
}

extension Tensor {
  /// The preference convolutions on this thread follow.
  public static var convolutionPreference: ConvolutionPreference { scopedConvolutionPreference ?? processConvolutionPreference }

  /// Runs `body` with convolutions on this thread following `preference`.
  public static func withConvolutionKernels<Result>(_ preference: ConvolutionPreference, _ body: () throws -> Result) rethrows -> Result {
    try $scopedConvolutionPreference.withValue(preference, operation: body)
  }

  @TaskLocal private static var scopedConvolutionPreference: ConvolutionPreference?
  private static let processConvolutionPreference: ConvolutionPreference =
    ProcessInfo.processInfo.environment["AUTOENCODERKIT_CONVOLUTIONS"].flatMap { ConvolutionPreference(rawValue: $0.lowercased()) } ?? .byShape

  /// The kernel each pass of a convolution over `geometry` to `filters` filters runs.
  public static func convolutionKernels(geometry g: WindowGeometry, filters: Int)
    -> (forward: ConvolutionKernel, inputGradient: ConvolutionKernel, weightGradient: ConvolutionKernel)
  {
    let products: ConvolutionKernel = g.cellFirstIsCheaper(filters: filters) ? .cellFirst : g.unfoldsToItself ? .product : .unfolded
    let applies = g.directApplies(channels: g.channels, filters: filters)
    let few = applies && g.directIsFaster(channels: g.channels, filters: filters)
    if Tensor.convolutionPreference == .byShape && !few && g.channels >= 8 && filters >= 8 {
      if g.winogradApplies { return (.winograd, .winograd, .winograd) }
      // A stride-2 convolution as the adjoint of a transposed one over the same geometry.
      if g.polyphaseWinogradApplies && g.polyphaseAdjointIsCheaper { return (.polyphaseWinograd, .polyphaseWinograd, .polyphaseWinograd) }
    }
    guard applies else { return (products, products, products) }
    return (few ? .direct : products, few && g.isStrideOne ? .direct : products, .direct)
  }

  /// The kernel each pass of a transposed convolution over `geometry` (from `WindowGeometry.transposed`)
  /// from `inputChannels` channels runs.
  public static func transposedConvolutionKernels(geometry g: WindowGeometry, inputChannels: Int)
    -> (forward: ConvolutionKernel, inputGradient: ConvolutionKernel, weightGradient: ConvolutionKernel)
  {
    let applies = g.directApplies(channels: g.channels, filters: inputChannels)
    let few = applies && g.directIsFaster(channels: g.channels, filters: inputChannels)
    if Tensor.convolutionPreference == .byShape && !few && g.channels >= 8 && inputChannels >= 8 {
      if g.polyphaseWinogradApplies && g.polyphaseWinogradIsCheaper { return (.polyphaseWinograd, .polyphaseWinograd, .polyphaseWinograd) }
      // A stride-1 transposed convolution is a convolution with the flipped, transposed kernel.
      if g.isStrideOne && g.adjoint(filters: inputChannels).winogradApplies { return (.winograd, .winograd, .winograd) }
    }
    guard applies else { return (.unfolded, .unfolded, .unfolded) }
    return (few && g.isStrideOne ? .direct : .unfolded, few ? .direct : .unfolded, .direct)
  }

  // MARK: - The direct passes

  /// `convolved2D` by the direct kernel: `self` is `[n, h, w, c]` of `g`, `weight` `[kh, kw, c, filters]`.
  func directConvolved2D(with weight: Tensor, bias: Tensor?, geometry g: WindowGeometry, rectified: Bool) -> Tensor {
    directConvolved2D(with: weight, bias: bias, geometry: g, rectified: rectified, mask: nil, summingChannels: false).output
  }

  /// The direct convolution of `self` read through `mask` (zero where the mask is not above zero:
  /// `self` is then the gradient of a fused relu's output `mask`), and with `summingChannels` the
  /// sums of each channel of (masked) `self`, added up per thread in a fixed order.
  ///
  /// With `upsampling` (no mask, no sums), `self` is the geometry's input stored that many times
  /// smaller and read upsampled (nearest neighbour); with `blockSums`, each output image is
  /// written as the sums of its blocks of that size (the output is that many times smaller).
  func directConvolved2D(with weight: Tensor, bias: Tensor?, geometry g: WindowGeometry, rectified: Bool, mask: Tensor?,
                         summingChannels: Bool, upsampling: Resampling = .none, blockSums: Resampling = .none)
    -> (output: Tensor, channelSums: Tensor?)
  {
    let n = shape[0], filters = weight.shape[3]
    precondition(upsampling == .none || (mask == nil && !summingChannels), "an upsampled input is neither masked nor summed")
    let parts = Tensor.directParts(of: n, geometry: g, filters: filters)
    let (imageSize, outputSize) = (g.imageSize / upsampling.cells, g.positions * filters / blockSums.cells)
    var output = Tensor(shape: [n, g.outputHeight / blockSums.height, g.outputWidth / blockSums.width, filters]) { _ in }
    var sums: Tensor? = summingChannels ? Tensor.zeros(shape: [parts, g.channels]) : nil
    withUnsafeBufferPointer { x in
      weight.withUnsafeBufferPointer { w in
        withOptionalPointer(bias) { b in
          withOptionalPointer(mask) { m in
            withOptionalMutablePointer(&sums) { sums in
              output.withUnsafeMutableBufferPointer { y in
                Resampling.withPointer(x: upsampling, y: blockSums) { r in
                  Tensor.forEachDirectBlock(of: n, geometry: g, filters: filters) { part, block, scratch in
                    withUnsafePointer(to: g.c) {
                      aek_conv_direct($0, block.count, filters, x.baseAddress! + block.lowerBound * imageSize,
                                      m.map { $0 + block.lowerBound * imageSize }, sums.map { $0 + part * g.channels }, w.baseAddress, b,
                                      rectified ? 1 : 0, r, y.baseAddress! + block.lowerBound * outputSize, scratch)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (output, sums.map { $0.sum(alongAxis: 0).reshaped(to: [g.channels]) })
  }

  /// The adjoint of a stride-1 convolution over `g` applied to `self` (`[n, outputHeight,
  /// outputWidth, filters]`), by the direct kernel: a convolution of `self` with the kernel flipped
  /// and transposed, padded by `kernel − 1 − padding`. `weight` is `[kh, kw, channels, filters]`;
  /// gives `[n, height, width, channels]`: the convolution's input gradient (from `self` masked by
  /// `mask`, with each filter's sum of it where asked), or a stride-1 transposed convolution (plus
  /// `bias`, relu'd where `rectified`).
  func directAdjointConvolved2D(with weight: Tensor, bias: Tensor? = nil, geometry g: WindowGeometry, rectified: Bool = false,
                                mask: Tensor? = nil, summingChannels: Bool = false) -> (output: Tensor, channelSums: Tensor?) {
    directConvolved2D(with: Tensor.flippedTransposedWeight(weight), bias: bias, geometry: g.adjoint(filters: weight.shape[3]),
                      rectified: rectified, mask: mask, summingChannels: summingChannels)
  }

  /// The weight gradient of a convolution over `g` from `input` (`[n, h, w, c]`) and the output
  /// gradient (`[n, oh, ow, filters]`), each read through its mask where given (see
  /// `directConvolved2D`), by the direct kernel: `[kh, kw, c, filters]`, and where asked each
  /// filter's sum of the output gradient and each channel's of the input (the bias gradient of a
  /// convolution and of a transposed one). Summed in per-thread partials in a fixed order.
  ///
  /// With `forwardWeight`, also the direct convolution of (masked) `input` with it from the same
  /// copy of each image (`forward`): a transposed convolution's two gradients in one pass.
  ///
  /// `inputUpsampling` and `outputGradientUpsampling` read those stored smaller and upsampled (not
  /// masked, not summed); `forwardBlockSums` writes `forward` as the sums of its blocks.
  static func directConvolutionWeightGradient(input: Tensor, inputMask: Tensor? = nil, outputGradient: Tensor, outputMask: Tensor? = nil,
                                              geometry g: WindowGeometry, forWeight: Bool = true, summingFilters: Bool = false,
                                              summingChannels: Bool = false, forwardWeight: Tensor? = nil,
                                              inputUpsampling: Resampling = .none, outputGradientUpsampling: Resampling = .none,
                                              forwardBlockSums: Resampling = .none)
    -> (weight: Tensor?, filterSums: Tensor?, channelSums: Tensor?, forward: Tensor?)
  {
    let n = input.shape[0], filters = outputGradient.shape[3]
    precondition(inputUpsampling == .none || (inputMask == nil && !summingChannels), "an upsampled input is neither masked nor summed")
    precondition(outputGradientUpsampling == .none || outputMask == nil, "an upsampled output gradient is not masked")
    let size = g.windowSize * filters
    let parts = Tensor.directParts(of: n, geometry: g, filters: filters)
    let imageSize = g.imageSize / inputUpsampling.cells
    let (gradientSize, forwardSize) = (g.positions * filters / outputGradientUpsampling.cells, g.positions * filters / forwardBlockSums.cells)
    var partials: Tensor? = forWeight ? Tensor(shape: [parts, size]) { _ in } : nil
    var forward: Tensor? = forwardWeight != nil
      ? Tensor(shape: [n, g.outputHeight / forwardBlockSums.height, g.outputWidth / forwardBlockSums.width, filters]) { _ in } : nil
    var filterSums: Tensor? = summingFilters ? Tensor.zeros(shape: [parts, filters]) : nil
    var channelSums: Tensor? = summingChannels ? Tensor.zeros(shape: [parts, g.channels]) : nil
    input.withUnsafeBufferPointer { x in
      outputGradient.withUnsafeBufferPointer { dy in
        withOptionalPointer(inputMask) { xMask in
          withOptionalPointer(outputMask) { dyMask in
            withOptionalMutablePointer(&partials) { dw in
              withOptionalMutablePointer(&filterSums) { filterSums in
                withOptionalMutablePointer(&channelSums) { channelSums in
                  withOptionalPointer(forwardWeight) { forwardWeight in
                  withOptionalMutablePointer(&forward) { forward in
                  Resampling.withPointer(x: inputUpsampling, dy: outputGradientUpsampling, y: forwardBlockSums) { r in
                  Tensor.forEachDirectBlock(of: n, geometry: g, filters: filters) { part, block, scratch in
                    let inputs = block.lowerBound * imageSize
                    let (gradients, outputs) = (block.lowerBound * gradientSize, block.lowerBound * forwardSize)
                    withUnsafePointer(to: g.c) {
                      aek_conv_direct_weight_gradient($0, block.count, filters, x.baseAddress! + inputs, xMask.map { $0 + inputs },
                                                      channelSums.map { $0 + part * g.channels }, dy.baseAddress! + gradients,
                                                      dyMask.map { $0 + gradients },
                                                      Tensor.accumulating(block, part: part, parts: parts, count: n) == 0 ? 0 : 1,
                                                      dw.map { $0 + part * size }, filterSums.map { $0 + part * filters }, forwardWeight,
                                                      forward.map { $0 + outputs }, r, scratch)
                    }
                  }
                  }
                  }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (partials.map { $0.sum(alongAxis: 0).reshaped(to: [g.kernelHeight, g.kernelWidth, g.channels, filters]) },
            filterSums.map { $0.sum(alongAxis: 0).reshaped(to: [filters]) }, channelSums.map { $0.sum(alongAxis: 0).reshaped(to: [g.channels]) },
            forward)
  }

  /// `flippedTransposedKernel(weight)` of a layer's weight, remembered while
  /// `rememberingDerivedKernels` runs (not for gradients: each is new).
  static func flippedTransposedWeight(_ weight: Tensor) -> Tensor { DerivedKernels.of(weight, .flippedTransposed, derive: flippedTransposedKernel) }

  /// `[kh, kw, c, f]` to `[kh, kw, f, c]` with the window reversed: entry (ky, kx, f, c) is
  /// (kh − 1 − ky, kw − 1 − kx, c, f).
  static func flippedTransposedKernel(_ weight: Tensor) -> Tensor {
    let (kh, kw, c, f) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
    return Tensor(shape: [kh, kw, f, c]) { out in
      weight.withUnsafeBufferPointer { w in
        for ky in 0..<kh {
          for kx in 0..<kw {
            let source = w.baseAddress! + ((kh - 1 - ky) * kw + kw - 1 - kx) * c * f, target = out.baseAddress! + (ky * kw + kx) * f * c
            for channel in 0..<c {
              for filter in 0..<f { target[filter * c + channel] = source[channel * f + filter] }
            }
          }
        }
      }
    }
  }

  /// `forEachBlock` with the direct kernels' scratch (a padded image and a repacked kernel) per thread.
  static func forEachDirectBlock(of count: Int, geometry g: WindowGeometry, filters: Int,
                                 _ body: (_ part: Int, _ examples: Range<Int>, _ scratch: UnsafeMutablePointer<Float>) -> Void) {
    let scratch = withUnsafePointer(to: g.c) { aek_conv_direct_scratch($0, filters) }
    forEachBlock(of: count, work: count * g.positions * g.windowSize * filters, bufferPerExample: 0, fixedBuffer: scratch) {
      body($0, $1, $2)
    }
  }

  /// The parts `forEachDirectBlock` splits `count` examples into.
  static func directParts(of count: Int, geometry g: WindowGeometry, filters: Int) -> Int {
    parts(of: count, work: count * g.positions * g.windowSize * filters)
  }
}

extension WindowGeometry {
  var isStrideOne: Bool { strideHeight == 1 && strideWidth == 1 }

  /// The geometry of a stride-1 convolution's adjoint: windows over the outputs (`filters`
  /// channels) padded by `kernel − 1 − padding`, one per input cell.
  func adjoint(filters: Int) -> WindowGeometry {
    precondition(isStrideOne, "the direct adjoint needs stride 1, got \(self)")
    return WindowGeometry(height: outputHeight, width: outputWidth, channels: filters, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                          strideHeight: 1, strideWidth: 1, padTop: kernelHeight - 1 - padTop, padLeft: kernelWidth - 1 - padLeft,
                          outputHeight: height, outputWidth: width)
  }

  /// Whether the direct kernels compute convolutions over this geometry from `channels` to
  /// `filters` channels (their weight gradients, which are faster than BLAS's Haswell kernels at
  /// every size measured; `directIsFaster` says when the other passes are too). With an AVX-512
  /// BLAS, products of layers over 16 × 16 channels in and out are faster in every pass (the
  /// codec's and the denoiser's 32 → 32 layers: 10 to 30% on an AVX-512 EPYC), so those take
  /// BLAS there. See Docs/Layout.md.
  func directApplies(channels: Int, filters: Int) -> Bool {
    // The C kernels need whole vectors of filters or of channels, and keep per-pair tables on the stack.
    let fits = (filters % 8 == 0 || channels % 8 == 0) && kernelHeight * kernelWidth * channels <= 4096
    switch Tensor.convolutionPreference {
    case .products: return false
    case .direct: return fits
    case .byShape: return fits && !(BLAS.hasAVX512Kernels && channels * filters > 256)
    }
  }

  /// Whether a convolution's forward pass and input gradient (a transposed one's too) are faster
  /// direct: with at most 32 channels in and out (a 16-filter slice of the kernel then stays in L1
  /// beside the image). With 64 (keras-io's conv VAE) im2col + sgemm matched or beat them.
  func directIsFaster(channels: Int, filters: Int) -> Bool {
    Tensor.convolutionPreference == .direct || (channels <= 32 && filters <= 32)
  }
}

/// A nearest-neighbour resampling by whole factors down and across: an upsampling read inside a
/// direct convolution, or the block sums of its output (the upsampling's gradient).
struct Resampling: Equatable {
  var height: Int, width: Int
  static let none = Resampling(height: 1, width: 1)
  var cells: Int { height * width }

  /// Calls `body` with the C kernels' description of these resamplings, or nil where all are none.
  static func withPointer<R>(x: Resampling = .none, dy: Resampling = .none, y: Resampling = .none,
                             _ body: (UnsafePointer<aek_direct_resampling>?) -> R) -> R {
    guard x != .none || dy != .none || y != .none else { return body(nil) }
    let r = aek_direct_resampling(x_up_h: x.height, x_up_w: x.width, dy_up_h: dy.height, dy_up_w: dy.width, y_sum_h: y.height, y_sum_w: y.width)
    return withUnsafePointer(to: r) { body($0) }
  }
}

/// Calls `body` with a pointer to the optional tensor's mutable storage, or nil.
func withOptionalMutablePointer<R>(_ tensor: inout Tensor?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
  guard tensor != nil else { return body(nil) }
  return tensor!.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}

/// Calls `body` with a pointer to the optional tensor's storage, or nil.
func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
  guard let tensor else { return body(nil) }
  return tensor.withUnsafeBufferPointer { body($0.baseAddress) }
}
