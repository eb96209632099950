import CKernels

// Convolutions over NHWC batches as matrix products: each block of examples is unfolded
// (im2col) into one row per window position, multiplied by the kernel through BLAS, and folded
// back (col2im) where a gradient or a transposed convolution needs it. Examples are split across
// threads, each with its own unfolding buffer (pooled, so the same memory serves every batch),
// and each thread walks its examples in blocks small enough for the buffer to stay in cache.
// A layer with fewer filters than channels goes cell first instead (see below), and a relu after
// a convolution can be fused into it (`rectified`). Layers of few channels take the direct kernels
// instead (Tensor+DirectConvolution.swift); `convolutionKernels` chooses per pass.

extension Tensor {
  /// The 2-D convolution (cross-correlation, as in every deep-learning framework) of the batch
  /// `self` with `weight`, plus `bias`.
  ///
  /// - Parameters:
  ///   - weight: `[kernelHeight, kernelWidth, inputChannels, outputChannels]`, Keras's layout.
  ///   - bias: `[outputChannels]`, or nil.
  ///   - geometry: The windows over one input image (`self` is `[n, height, width, channels]`).
  ///   - rectified: Applies relu to each block of the output while it is in cache (the fused
  ///     `conv + relu` of a relu layer; its gradient takes the output as `rectifiedOutput`).
  /// - Returns: `[n, outputHeight, outputWidth, outputChannels]`.
  public func convolved2D(with weight: Tensor, bias: Tensor?, geometry g: WindowGeometry, rectified: Bool = false) -> Tensor {
    let n = checkBatch(of: g, "convolution")
    precondition(weight.rank == 4 && Array(weight.shape[0..<3]) == [g.kernelHeight, g.kernelWidth, g.channels],
                 "convolution weight \(weight.shape) for a \(g.kernelHeight)×\(g.kernelWidth) window over \(g.channels) channels")
    let filters = weight.shape[3]
    precondition(bias == nil || bias!.shape == [filters], "convolution bias \(bias!.shape) for \(filters) filters")
    switch Tensor.convolutionKernels(geometry: g, filters: filters).forward {
    case .direct: return directConvolved2D(with: weight, bias: bias, geometry: g, rectified: rectified)
    case .winograd: return winogradConvolved2D(with: weight, bias: bias, geometry: g, rectified: rectified)
    case .polyphaseWinograd: return polyphaseWinogradConvolved2D(with: weight, bias: bias, geometry: g, rectified: rectified)
    default: break
    }
    if g.cellFirstIsCheaper(filters: filters) { return cellFirstConvolved2D(with: weight, bias: bias, geometry: g, rectified: rectified) }
    var output = Tensor(shape: [n, g.outputHeight, g.outputWidth, filters]) { _ in }
    let unfold = !g.unfoldsToItself
    withUnsafeBufferPointer { x in
      weight.withUnsafeBufferPointer { w in
        output.withUnsafeMutableBufferPointer { y in
          Tensor.forEachBlock(of: n, work: n * g.positions * g.windowSize * filters, bufferPerExample: unfold ? g.positions * g.windowSize : 0) { _, block, buffer in
            let rows = block.count * g.positions
            let input = x.baseAddress! + block.lowerBound * g.imageSize
            if unfold { withUnsafePointer(to: g.c) { aek_im2col($0, block.count, input, buffer) } }
            let out = y.baseAddress! + block.lowerBound * g.positions * filters
            let beta = Tensor.fillRows(out, rows: rows, with: bias)
            aek_sgemm(0, 0, Int32(rows), Int32(filters), Int32(g.windowSize), 1, unfold ? UnsafePointer(buffer) : input, Int32(g.windowSize),
                      w.baseAddress, Int32(filters), beta, out, Int32(filters))
            if rectified { aek_relu(rows * filters, out, out) }
          }
        }
      }
    }
    return output
  }

  /// The gradients of `input.convolved2D(with: weight, bias:, geometry:)` given the gradient
  /// `outputGradient` of its output; each is computed only when asked for.
  ///
  /// `∂/∂weight = Σ unfold(input)ᵀ · g`, `∂/∂input = fold(g · weightᵀ)`, `∂/∂bias = Σ g`.
  /// With `rectifiedOutput` (the output of a `rectified` convolution), `outputGradient` is the
  /// gradient of that output and is masked where it is zero, block by block.
  public static func convolution2DGradients(input: Tensor, weight: Tensor, outputGradient: Tensor, geometry g: WindowGeometry,
                                            forInput: Bool, forWeight: Bool, forBias: Bool, rectifiedOutput: Tensor? = nil)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?)
  {
    let n = input.checkBatch(of: g, "convolution gradient")
    let filters = weight.shape[3]
    precondition(outputGradient.shape == [n, g.outputHeight, g.outputWidth, filters],
                 "convolution output gradient \(outputGradient.shape), expected \([n, g.outputHeight, g.outputWidth, filters])")
    let kernels = Tensor.convolutionKernels(geometry: g, filters: filters)
    if kernels.weightGradient == .winograd {
      return winogradConvolution2DGradients(input: input, weight: weight, outputGradient: outputGradient, geometry: g, forInput: forInput,
                                            forWeight: forWeight, forBias: forBias, rectifiedOutput: rectifiedOutput)
    }
    if kernels.weightGradient == .polyphaseWinograd {
      return polyphaseWinogradConvolution2DGradients(input: input, weight: weight, outputGradient: outputGradient, geometry: g,
                                                     forInput: forInput, forWeight: forWeight, forBias: forBias, rectifiedOutput: rectifiedOutput)
    }
    if kernels.weightGradient == .direct {
      return directConvolution2DGradients(input: input, weight: weight, outputGradient: outputGradient, geometry: g,
                                          forInput: forInput, forWeight: forWeight, forBias: forBias, rectifiedOutput: rectifiedOutput)
    }
    return productConvolution2DGradients(input: input, weight: weight, outputGradient: outputGradient, geometry: g,
                                         forInput: forInput, forWeight: forWeight, forBias: forBias, rectifiedOutput: rectifiedOutput)
  }

  /// `convolution2DGradients` by the direct kernels: the weight gradient, and the input gradient
  /// where the stride is 1 (else by matrix products).
  static func directConvolution2DGradients(input: Tensor, weight: Tensor, outputGradient: Tensor, geometry g: WindowGeometry,
                                           forInput: Bool, forWeight: Bool, forBias: Bool, rectifiedOutput: Tensor?)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?)
  {
    // The relu's mask and the bias gradient are taken inside the kernels, while each image is in cache.
    let direct = forInput && Tensor.convolutionKernels(geometry: g, filters: weight.shape[3]).inputGradient == .direct
    if direct && forWeight {
      // Both from one copy of each (masked) output gradient, over the adjoint geometry: the input
      // gradient is its convolution with the flipped kernel, and the weight gradient over it, with
      // the input as the other side, is the kernel's gradient flipped and transposed.
      let both = directConvolutionWeightGradient(input: outputGradient, inputMask: rectifiedOutput, outputGradient: input,
                                                 geometry: g.adjoint(filters: weight.shape[3]), summingChannels: forBias,
                                                 forwardWeight: Tensor.flippedTransposedWeight(weight))
      return (both.forward, Tensor.flippedTransposedKernel(both.weight!), both.channelSums)
    }
    let adjoint = direct ? outputGradient.directAdjointConvolved2D(with: weight, geometry: g, mask: rectifiedOutput, summingChannels: forBias) : nil
    let rest = forWeight || (forBias && adjoint == nil)
      ? directConvolutionWeightGradient(input: input, outputGradient: outputGradient, outputMask: rectifiedOutput, geometry: g,
                                        forWeight: forWeight, summingFilters: forBias && adjoint == nil)
      : nil
    let inputGradient = forInput && !direct
      ? productConvolution2DGradients(input: input, weight: weight, outputGradient: outputGradient, geometry: g, forInput: true,
                                      forWeight: false, forBias: false, rectifiedOutput: rectifiedOutput).input
      : adjoint?.output
    return (inputGradient, rest?.weight, adjoint?.channelSums ?? rest?.filterSums)
  }

  /// `convolution2DGradients` by matrix products: unfolded or cell first.
  static func productConvolution2DGradients(input: Tensor, weight: Tensor, outputGradient: Tensor, geometry g: WindowGeometry,
                                            forInput: Bool, forWeight: Bool, forBias: Bool, rectifiedOutput: Tensor?)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?)
  {
    let n = input.shape[0], filters = weight.shape[3]
    if g.cellFirstIsCheaper(filters: filters) {
      return cellFirstConvolution2DGradients(input: input, weight: weight, outputGradient: outputGradient, geometry: g,
                                             forInput: forInput, forWeight: forWeight, forBias: forBias, rectifiedOutput: rectifiedOutput)
    }
    let unfold = !g.unfoldsToItself
    let windowSize = g.windowSize
    var inputGradient: Tensor? = forInput ? Tensor(shape: input.shape) { _ in } : nil
    let work = n * g.positions * windowSize * filters
    let parts = Tensor.parts(of: n, work: work)
    var weightPartials: Tensor? = forWeight ? Tensor(shape: [parts, windowSize * filters]) { _ in } : nil
    var biasPartials: Tensor? = forBias ? Tensor.zeros(shape: [parts, filters]) : nil
    // Per example: the input's unfolding (for the weight), the output gradient's product with the
    // kernel (for the input), and the masked output gradient of a rectified convolution.
    let unfoldings = (forWeight && unfold ? 1 : 0) + (forInput && unfold ? 1 : 0)
    let masked = rectifiedOutput != nil ? g.positions * filters : 0
    input.withUnsafeBufferPointer { x in
      weight.withUnsafeBufferPointer { w in
        outputGradient.withUnsafeBufferPointer { dyAll in
          withOptionalPointer(rectifiedOutput) { yAll in
            withOptionalMutablePointer(&inputGradient) { dx in
              withOptionalMutablePointer(&weightPartials) { dw in
                withOptionalMutablePointer(&biasPartials) { db in
                  Tensor.forEachBlock(of: n, work: work, bufferPerExample: unfoldings * g.positions * windowSize + masked) {
                    part, block, buffer in
                    let rows = block.count * g.positions
                    let xBlock = x.baseAddress! + block.lowerBound * g.imageSize
                    let offset = block.lowerBound * g.positions * filters
                    let dyBlock = Tensor.outputGradientBlock(dyAll.baseAddress! + offset, rectifiedOutput: yAll.map { $0 + offset },
                                                             rows: rows, channels: filters, scratch: buffer + unfoldings * rows * windowSize,
                                                             biasPartial: db.map { $0 + part * filters })
                    if let dw {
                      let columns = unfold ? buffer : UnsafeMutablePointer(mutating: xBlock)
                      if unfold { withUnsafePointer(to: g.c) { aek_im2col($0, block.count, xBlock, columns) } }
                      aek_sgemm(1, 0, Int32(windowSize), Int32(filters), Int32(rows), 1, columns, Int32(windowSize), dyBlock, Int32(filters),
                                Tensor.accumulating(block, part: part, parts: parts, count: n),
                                dw + part * windowSize * filters, Int32(filters))
                    }
                    if let dx {
                      let dxBlock = dx + block.lowerBound * g.imageSize
                      if unfold {
                        let columnGradient = buffer + (dw != nil ? rows * windowSize : 0)
                        aek_sgemm(0, 1, Int32(rows), Int32(windowSize), Int32(filters), 1, dyBlock, Int32(filters), w.baseAddress,
                                  Int32(filters), 0, columnGradient, Int32(windowSize))
                        dxBlock.initialize(repeating: 0, count: block.count * g.imageSize)
                        withUnsafePointer(to: g.c) { aek_col2im($0, block.count, columnGradient, dxBlock) }
                      } else {
                        aek_sgemm(0, 1, Int32(rows), Int32(windowSize), Int32(filters), 1, dyBlock, Int32(filters), w.baseAddress,
                                  Int32(filters), 0, dxBlock, Int32(windowSize))
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
    let weightGradient = weightPartials.map { $0.sum(alongAxis: 0).reshaped(to: weight.shape) }
    let biasGradient = biasPartials.map { $0.sum(alongAxis: 0).reshaped(to: [filters]) }
    return (inputGradient, weightGradient, biasGradient)
  }

  // MARK: - Cell first

  /// The convolution computed cell first: each input cell times every window offset's kernel
  /// slice (one product with the kernel rearranged to `[channels, kh·kw·filters]`), then each
  /// output gathers the products under its window. Cheaper than unfolding when a layer has fewer
  /// filters than channels: the products per cell are `kh·kw·filters` instead of `kh·kw·channels`
  /// per window position (a 16-channel layer to one filter, the usual last layer, writes 16 times less).
  func cellFirstConvolved2D(with weight: Tensor, bias: Tensor?, geometry g: WindowGeometry, rectified: Bool) -> Tensor {
    let n = shape[0], filters = weight.shape[3], pixels = g.height * g.width, perCell = g.kernelHeight * g.kernelWidth * filters
    let rearranged = Tensor.cellFirstKernel(weight)
    var output = Tensor(shape: [n, g.outputHeight, g.outputWidth, filters]) { _ in }
    withUnsafeBufferPointer { x in
      rearranged.withUnsafeBufferPointer { w in
        output.withUnsafeMutableBufferPointer { y in
          Tensor.forEachBlock(of: n, work: n * pixels * perCell * g.channels, bufferPerExample: pixels * perCell) { _, block, products in
            aek_sgemm(0, 0, Int32(block.count * pixels), Int32(perCell), Int32(g.channels), 1, x.baseAddress! + block.lowerBound * g.imageSize,
                      Int32(g.channels), w.baseAddress, Int32(perCell), 0, products, Int32(perCell))
            let out = y.baseAddress! + block.lowerBound * g.positions * filters
            if Tensor.fillRows(out, rows: block.count * g.positions, with: bias) == 0 {
              out.initialize(repeating: 0, count: block.count * g.positions * filters)
            }
            withUnsafePointer(to: g.c) { aek_window_gather($0, block.count, filters, products, out) }
            if rectified { aek_relu(block.count * g.positions * filters, out, out) }
          }
        }
      }
    }
    return output
  }

  /// The gradients of `cellFirstConvolved2D`: the output gradient scattered to the (cell, offset)
  /// products it came from, `∂z`; then `∂/∂input = ∂z · kernelᵀ` and `∂/∂kernel = Σ inputᵀ · ∂z`.
  static func cellFirstConvolution2DGradients(input: Tensor, weight: Tensor, outputGradient: Tensor, geometry g: WindowGeometry,
                                              forInput: Bool, forWeight: Bool, forBias: Bool, rectifiedOutput: Tensor?)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?)
  {
    let n = input.shape[0], filters = weight.shape[3], pixels = g.height * g.width, perCell = g.kernelHeight * g.kernelWidth * filters
    let rearranged = Tensor.cellFirstKernel(weight)
    var inputGradient: Tensor? = forInput ? Tensor(shape: input.shape) { _ in } : nil
    let work = n * pixels * perCell * g.channels
    let parts = Tensor.parts(of: n, work: work)
    var weightPartials: Tensor? = forWeight ? Tensor(shape: [parts, g.channels * perCell]) { _ in } : nil
    var biasPartials: Tensor? = forBias ? Tensor.zeros(shape: [parts, filters]) : nil
    let masked = rectifiedOutput != nil ? g.positions * filters : 0
    input.withUnsafeBufferPointer { x in
      rearranged.withUnsafeBufferPointer { w in
        outputGradient.withUnsafeBufferPointer { dyAll in
          withOptionalPointer(rectifiedOutput) { yAll in
            withOptionalMutablePointer(&inputGradient) { dx in
              withOptionalMutablePointer(&weightPartials) { dw in
                withOptionalMutablePointer(&biasPartials) { db in
                  Tensor.forEachBlock(of: n, work: work, bufferPerExample: pixels * perCell + masked) { part, block, buffer in
                    let rows = block.count * pixels
                    let productGradient = buffer, offset = block.lowerBound * g.positions * filters
                    let dyBlock = Tensor.outputGradientBlock(dyAll.baseAddress! + offset, rectifiedOutput: yAll.map { $0 + offset },
                                                             rows: block.count * g.positions, channels: filters, scratch: buffer + rows * perCell,
                                                             biasPartial: db.map { $0 + part * filters })
                    guard dx != nil || dw != nil else { return }
                    withUnsafePointer(to: g.c) { aek_window_scatter($0, block.count, filters, dyBlock, productGradient) }
                    let xBlock = x.baseAddress! + block.lowerBound * g.imageSize
                    if let dx {
                      aek_sgemm(0, 1, Int32(rows), Int32(g.channels), Int32(perCell), 1, productGradient, Int32(perCell), w.baseAddress,
                                Int32(perCell), 0, dx + block.lowerBound * g.imageSize, Int32(g.channels))
                    }
                    if let dw {
                      aek_sgemm(1, 0, Int32(g.channels), Int32(perCell), Int32(rows), 1, xBlock, Int32(g.channels), productGradient, Int32(perCell),
                                Tensor.accumulating(block, part: part, parts: parts, count: n),
                                dw + part * g.channels * perCell, Int32(perCell))
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    let weightGradient = weightPartials.map { Tensor.windowFirstKernel($0.sum(alongAxis: 0), like: weight) }
    let biasGradient = biasPartials.map { $0.sum(alongAxis: 0).reshaped(to: [filters]) }
    return (inputGradient, weightGradient, biasGradient)
  }

  /// `[kh, kw, c, f]` rearranged to `[c, kh·kw·f]`: row c holds every offset's filters for channel c.
  static func cellFirstKernel(_ weight: Tensor) -> Tensor {
    let (offsets, c, f) = (weight.shape[0] * weight.shape[1], weight.shape[2], weight.shape[3])
    return Tensor(shape: [c, offsets * f]) { out in
      weight.withUnsafeBufferPointer { w in
        for k in 0..<offsets {
          for channel in 0..<c {
            (out.baseAddress! + channel * offsets * f + k * f).initialize(from: w.baseAddress! + (k * c + channel) * f, count: f)
          }
        }
      }
    }
  }

  /// The inverse of `cellFirstKernel`: `[c, kh·kw·f]` (any shape of that size) back to `like`'s `[kh, kw, c, f]`.
  static func windowFirstKernel(_ rearranged: Tensor, like weight: Tensor) -> Tensor {
    let (offsets, c, f) = (weight.shape[0] * weight.shape[1], weight.shape[2], weight.shape[3])
    return Tensor(shape: weight.shape) { out in
      rearranged.withUnsafeBufferPointer { r in
        for k in 0..<offsets {
          for channel in 0..<c {
            (out.baseAddress! + (k * c + channel) * f).initialize(from: r.baseAddress! + channel * offsets * f + k * f, count: f)
          }
        }
      }
    }
  }

  /// The transposed convolution of the batch `self` (Keras's `Conv2DTranspose`): the adjoint of
  /// the convolution with `geometry`, whose image is this operation's output and whose window
  /// positions are this operation's input cells. Each input cell spreads `weight`'s window,
  /// scaled by its channels, onto the output, and overlapping windows add.
  ///
  /// - Parameters:
  ///   - weight: `[kernelHeight, kernelWidth, outputChannels, inputChannels]`, Keras's layout.
  ///   - bias: `[outputChannels]`, or nil.
  ///   - geometry: From `WindowGeometry.transposed`; `self` is `[n, outputHeight, outputWidth, inputChannels]`
  ///     of the geometry.
  /// - Returns: `[n, height, width, channels]` of the geometry.
  public func transposedConvolved2D(with weight: Tensor, bias: Tensor?, geometry g: WindowGeometry, rectified: Bool = false) -> Tensor {
    precondition(rank == 4 && Array(shape[1..<3]) == [g.outputHeight, g.outputWidth],
                 "transposed convolution input \(shape) for geometry \(g)")
    let n = shape[0], inputChannels = shape[3]
    precondition(weight.shape == [g.kernelHeight, g.kernelWidth, g.channels, inputChannels],
                 "transposed convolution weight \(weight.shape), expected \([g.kernelHeight, g.kernelWidth, g.channels, inputChannels])")
    precondition(bias == nil || bias!.shape == [g.channels], "transposed convolution bias \(bias!.shape) for \(g.channels) filters")
    switch Tensor.transposedConvolutionKernels(geometry: g, inputChannels: inputChannels).forward {
    case .direct: return directAdjointConvolved2D(with: weight, bias: bias, geometry: g, rectified: rectified).output
    case .polyphaseWinograd: return polyphaseWinogradTransposedConvolved2D(with: weight, bias: bias, geometry: g, rectified: rectified)
    case .winograd:
      return winogradConvolved2D(with: Tensor.flippedTransposedWeight(weight), bias: bias, geometry: g.adjoint(filters: inputChannels),
                                 rectified: rectified)
    default: break
    }
    var output = Tensor(shape: [n, g.height, g.width, g.channels]) { _ in }
    withUnsafeBufferPointer { x in
      weight.withUnsafeBufferPointer { w in
        output.withUnsafeMutableBufferPointer { y in
          Tensor.forEachBlock(of: n, work: n * g.positions * g.windowSize * inputChannels, bufferPerExample: g.positions * g.windowSize) {
            _, block, columns in
            let rows = block.count * g.positions
            let xBlock = x.baseAddress! + block.lowerBound * g.positions * inputChannels
            aek_sgemm(0, 1, Int32(rows), Int32(g.windowSize), Int32(inputChannels), 1, xBlock, Int32(inputChannels), w.baseAddress,
                      Int32(inputChannels), 0, columns, Int32(g.windowSize))
            let out = y.baseAddress! + block.lowerBound * g.imageSize
            if Tensor.fillRows(out, rows: block.count * g.height * g.width, with: bias) == 0 {
              out.initialize(repeating: 0, count: block.count * g.imageSize)
            }
            withUnsafePointer(to: g.c) { aek_col2im($0, block.count, columns, out) }
            if rectified { aek_relu(block.count * g.imageSize, out, out) }
          }
        }
      }
    }
    return output
  }

  /// The gradients of `input.transposedConvolved2D(with: weight, bias:, geometry:)` given the
  /// gradient of its output; each computed only when asked for.
  ///
  /// `∂/∂input = unfold(g) · weight`, `∂/∂weight = Σ unfold(g)ᵀ · input`, `∂/∂bias = Σ g`.
  public static func transposedConvolution2DGradients(input: Tensor, weight: Tensor, outputGradient: Tensor,
                                                      geometry g: WindowGeometry, forInput: Bool, forWeight: Bool, forBias: Bool,
                                                      rectifiedOutput: Tensor? = nil)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?)
  {
    let n = input.shape[0], inputChannels = input.shape[3]
    precondition(outputGradient.shape == [n, g.height, g.width, g.channels],
                 "transposed convolution output gradient \(outputGradient.shape), expected \([n, g.height, g.width, g.channels])")
    let kernels = Tensor.transposedConvolutionKernels(geometry: g, inputChannels: inputChannels)
    if kernels.weightGradient == .polyphaseWinograd {
      return polyphaseWinogradTransposedConvolution2DGradients(input: input, weight: weight, outputGradient: outputGradient, geometry: g,
                                                               forInput: forInput, forWeight: forWeight, forBias: forBias,
                                                               rectifiedOutput: rectifiedOutput)
    }
    if kernels.weightGradient == .winograd {  // the convolution's with the flipped, transposed kernel (flipping it back is the same map)
      let gradients = winogradConvolution2DGradients(input: input, weight: flippedTransposedWeight(weight), outputGradient: outputGradient,
                                                     geometry: g.adjoint(filters: inputChannels), forInput: forInput, forWeight: forWeight,
                                                     forBias: forBias, rectifiedOutput: rectifiedOutput)
      return (gradients.input, gradients.weight.map(flippedTransposedKernel), gradients.bias)
    }
    if kernels.weightGradient == .direct {
      // The input gradient is the convolution of ∂y over the geometry; the weight gradient that
      // convolution's weight gradient with the roles of image and output gradient exchanged. The
      // relu's mask and the bias gradient (sums of ∂y) are taken inside the kernels.
      let direct = forInput && kernels.inputGradient == .direct
      if direct && forWeight {  // both from one copy of each (masked) output gradient
        let both = directConvolutionWeightGradient(input: outputGradient, inputMask: rectifiedOutput, outputGradient: input, geometry: g,
                                                   summingChannels: forBias, forwardWeight: weight)
        return (both.forward, both.weight, both.channelSums)
      }
      let inputGradient = direct
        ? outputGradient.directConvolved2D(with: weight, bias: nil, geometry: g, rectified: false, mask: rectifiedOutput, summingChannels: forBias)
        : nil
      let rest = forWeight || (forBias && inputGradient == nil)
        ? directConvolutionWeightGradient(input: outputGradient, inputMask: rectifiedOutput, outputGradient: input, geometry: g,
                                          forWeight: true, summingChannels: forBias && inputGradient == nil)
        : nil
      let productInput = forInput && !direct
        ? productTransposedConvolution2DGradients(input: input, weight: weight, outputGradient: outputGradient, geometry: g, forInput: true,
                                                  forWeight: false, forBias: false, rectifiedOutput: rectifiedOutput).input
        : inputGradient?.output
      return (productInput, forWeight ? rest?.weight : nil, inputGradient?.channelSums ?? rest?.channelSums)
    }
    return productTransposedConvolution2DGradients(input: input, weight: weight, outputGradient: outputGradient, geometry: g,
                                                   forInput: forInput, forWeight: forWeight, forBias: forBias, rectifiedOutput: rectifiedOutput)
  }

  /// `transposedConvolution2DGradients` by matrix products.
  static func productTransposedConvolution2DGradients(input: Tensor, weight: Tensor, outputGradient: Tensor, geometry g: WindowGeometry,
                                                      forInput: Bool, forWeight: Bool, forBias: Bool, rectifiedOutput: Tensor?)
    -> (input: Tensor?, weight: Tensor?, bias: Tensor?)
  {
    let n = input.shape[0], inputChannels = input.shape[3]
    let windowSize = g.windowSize
    var inputGradient: Tensor? = forInput ? Tensor(shape: input.shape) { _ in } : nil
    let work = n * g.positions * windowSize * inputChannels
    let parts = Tensor.parts(of: n, work: work)
    var weightPartials: Tensor? = forWeight ? Tensor(shape: [parts, windowSize * inputChannels]) { _ in } : nil
    var biasPartials: Tensor? = forBias ? Tensor.zeros(shape: [parts, g.channels]) : nil
    let masked = rectifiedOutput != nil ? g.imageSize : 0
    input.withUnsafeBufferPointer { x in
      weight.withUnsafeBufferPointer { w in
        outputGradient.withUnsafeBufferPointer { dyAll in
          withOptionalPointer(rectifiedOutput) { yAll in
            withOptionalMutablePointer(&inputGradient) { dx in
              withOptionalMutablePointer(&weightPartials) { dw in
                withOptionalMutablePointer(&biasPartials) { db in
                  Tensor.forEachBlock(of: n, work: work, bufferPerExample: g.positions * windowSize + masked) { part, block, buffer in
                    let rows = block.count * g.positions
                    let columns = buffer, offset = block.lowerBound * g.imageSize
                    let dyBlock = Tensor.outputGradientBlock(dyAll.baseAddress! + offset, rectifiedOutput: yAll.map { $0 + offset },
                                                             rows: block.count * g.height * g.width, channels: g.channels,
                                                             scratch: buffer + rows * windowSize, biasPartial: db.map { $0 + part * g.channels })
                    guard dx != nil || dw != nil else { return }
                    withUnsafePointer(to: g.c) { aek_im2col($0, block.count, dyBlock, columns) }
                    let xBlock = x.baseAddress! + block.lowerBound * g.positions * inputChannels
                    if let dx {
                      aek_sgemm(0, 0, Int32(rows), Int32(inputChannels), Int32(windowSize), 1, columns, Int32(windowSize), w.baseAddress,
                                Int32(inputChannels), 0, dx + block.lowerBound * g.positions * inputChannels, Int32(inputChannels))
                    }
                    if let dw {
                      aek_sgemm(1, 0, Int32(windowSize), Int32(inputChannels), Int32(rows), 1, columns, Int32(windowSize), xBlock,
                                Int32(inputChannels),
                                Tensor.accumulating(block, part: part, parts: parts, count: n),
                                dw + part * windowSize * inputChannels, Int32(inputChannels))
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    let weightGradient = weightPartials.map { $0.sum(alongAxis: 0).reshaped(to: weight.shape) }
    let biasGradient = biasPartials.map { $0.sum(alongAxis: 0).reshaped(to: [g.channels]) }
    return (inputGradient, weightGradient, biasGradient)
  }

  /// Max pooling of the batch `self` over `geometry`'s windows (padding never wins).
  ///
  /// - Returns: The `[n, outputHeight, outputWidth, channels]` maxima, and for each the index of
  ///   the winning cell within its image (the first of equal maxima), for the gradient.
  public func maxPooled2D(geometry g: WindowGeometry) -> (output: Tensor, winners: [Int32]) {
    let n = checkBatch(of: g, "max pooling")
    precondition(g.imageSize <= Int(Int32.max), "image of \(g.imageSize) cells is too large to pool")
    let outputSize = g.positions * g.channels
    var winners = [Int32](repeating: 0, count: n * outputSize)
    let output = Tensor(shape: [n, g.outputHeight, g.outputWidth, g.channels]) { y in
      withUnsafeBufferPointer { x in
        winners.withUnsafeMutableBufferPointer { winners in
          Tensor.forEachBlock(of: n, work: n * g.imageSize, bufferPerExample: 0) { _, block, _ in
            withUnsafePointer(to: g.c) {
              aek_max_pool($0, block.count, x.baseAddress! + block.lowerBound * g.imageSize, y.baseAddress! + block.lowerBound * outputSize,
                           winners.baseAddress! + block.lowerBound * outputSize)
            }
          }
        }
      }
    }
    return (output, winners)
  }

  /// The gradient of max pooling: each output's gradient goes to its window's winning cell.
  public static func maxPool2DGradient(_ outputGradient: Tensor, winners: [Int32], geometry g: WindowGeometry) -> Tensor {
    let n = outputGradient.shape[0], outputSize = g.positions * g.channels
    precondition(outputGradient.shape == [n, g.outputHeight, g.outputWidth, g.channels] && winners.count == n * outputSize,
                 "max pooling gradient \(outputGradient.shape) for geometry \(g)")
    return Tensor(shape: [n, g.height, g.width, g.channels]) { dx in
      outputGradient.withUnsafeBufferPointer { dy in
        winners.withUnsafeBufferPointer { winners in
          Tensor.forEachBlock(of: n, work: n * g.imageSize, bufferPerExample: 0) { _, block, _ in
            withUnsafePointer(to: g.c) {
              aek_max_pool_backward($0, block.count, dy.baseAddress! + block.lowerBound * outputSize,
                                    winners.baseAddress! + block.lowerBound * outputSize, dx.baseAddress! + block.lowerBound * g.imageSize)
            }
          }
        }
      }
    }
  }

  /// Nearest-neighbour upsampling of the batch `self` (`[n, h, w, c]`): each cell repeated
  /// `factor.height`×`factor.width` times, giving `[n, h·fh, w·fw, c]`.
  public func upsampled2D(by factor: (height: Int, width: Int)) -> Tensor {
    precondition(rank == 4 && factor.height > 0 && factor.width > 0, "upsampling of \(shape) by \(factor)")
    let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
    return Tensor(shape: [n, h * factor.height, w * factor.width, c]) { y in
      withUnsafeBufferPointer { x in
        Tensor.forEachBlock(of: n, work: count * factor.height * factor.width, bufferPerExample: 0) { _, block, _ in
          aek_upsample_nearest(block.count, h, w, c, factor.height, factor.width, x.baseAddress! + block.lowerBound * h * w * c,
                               y.baseAddress! + block.lowerBound * h * w * c * factor.height * factor.width)
        }
      }
    }
  }

  /// The gradient of `upsampled2D(by:)`: each cell's gradient is the sum over its block.
  public static func upsampling2DGradient(_ outputGradient: Tensor, factor: (height: Int, width: Int)) -> Tensor {
    let s = outputGradient.shape
    precondition(s.count == 4 && s[1] % factor.height == 0 && s[2] % factor.width == 0, "upsampling gradient \(s) for factor \(factor)")
    let (n, h, w, c) = (s[0], s[1] / factor.height, s[2] / factor.width, s[3])
    return Tensor(shape: [n, h, w, c]) { dx in
      outputGradient.withUnsafeBufferPointer { dy in
        Tensor.forEachBlock(of: n, work: outputGradient.count, bufferPerExample: 0) { _, block, _ in
          aek_upsample_nearest_backward(block.count, h, w, c, factor.height, factor.width,
                                        dy.baseAddress! + block.lowerBound * h * w * c * factor.height * factor.width,
                                        dx.baseAddress! + block.lowerBound * h * w * c)
        }
      }
    }
  }

  // MARK: - Blocks of examples

  /// Checks that `self` is a batch of the geometry's images; returns the batch size.
  private func checkBatch(of g: WindowGeometry, _ operation: String) -> Int {
    precondition(rank == 4 && Array(shape[1...]) == [g.height, g.width, g.channels],
                 "\(operation) input \(shape), expected [n, \(g.height), \(g.width), \(g.channels)]")
    return shape[0]
  }

  /// Unfolding buffers are sized so a block's stays in the L2 cache with its inputs and outputs: 256 KB.
  static let blockBufferFloats = 1 << 16

  /// The number of threads `count` examples with `work` multiply-adds are split across.
  static func parts(of count: Int, work: Int) -> Int {
    max(1, min(Parallel.threads, count, work / 1_000_000 + 1))
  }

  /// The first example of part `part`.
  static func firstExample(ofPart part: Int, parts: Int, count: Int) -> Int {
    part * count / parts
  }

  /// Calls `body(part, examples, buffer)` for blocks of `0..<count` examples: the examples are
  /// split into `parts(of:work:)` contiguous parts run concurrently, each walked in blocks, with a
  /// buffer of `bufferPerExample` floats per example of a block plus `fixedBuffer` floats, reused
  /// across its blocks; a block has as many examples as fit `blockFloats` (at least one).
  static func forEachBlock(of count: Int, work: Int, bufferPerExample: Int, fixedBuffer: Int = 0, blockFloats: Int = blockBufferFloats,
                           _ body: (_ part: Int, _ examples: Range<Int>, _ buffer: UnsafeMutablePointer<Float>) -> Void) {
    guard count > 0 else { return }
    BLAS.ensureLoaded()
    let parts = parts(of: count, work: work)
    let blockSize = max(1, blockFloats / max(bufferPerExample, 1))
    Parallel.forEachPart(parts) { part in
      let examples = firstExample(ofPart: part, parts: parts, count: count)..<firstExample(ofPart: part + 1, parts: parts, count: count)
      let perBlock = min(blockSize, examples.count)
      var buffer = Tensor(shape: [max(perBlock * bufferPerExample + fixedBuffer, 1)]) { _ in }
      buffer.withUnsafeMutableBufferPointer { buffer in
        for start in stride(from: examples.lowerBound, to: examples.upperBound, by: perBlock) {
          body(part, start..<min(start + perBlock, examples.upperBound), buffer.baseAddress!)
        }
      }
    }
  }

  /// A block of an output gradient (`rows` rows of `channels`) as the products take it: masked
  /// into `scratch` where the `rectifiedOutput` of a fused relu is zero, and its column sums added
  /// to this thread's `biasPartial`.
  static func outputGradientBlock(_ gradient: UnsafePointer<Float>, rectifiedOutput: UnsafePointer<Float>?, rows: Int, channels: Int,
                                  scratch: UnsafeMutablePointer<Float>, biasPartial: UnsafeMutablePointer<Float>?) -> UnsafePointer<Float> {
    var block = gradient
    if let rectifiedOutput {
      aek_relu_backward(rows * channels, gradient, rectifiedOutput, scratch)
      block = UnsafePointer(scratch)
    }
    if let biasPartial { aek_add_column_sums(rows, channels, block, biasPartial) }
    return block
  }

  /// The BLAS beta for a thread's weight-gradient partial: 0 (overwrite) for its first block of
  /// examples, 1 (add) for the rest.
  static func accumulating(_ block: Range<Int>, part: Int, parts: Int, count: Int) -> Float {
    block.lowerBound == firstExample(ofPart: part, parts: parts, count: count) ? 0 : 1
  }

  /// Writes `bias` into each of `rows` rows at `out` and returns 1 (the BLAS beta that adds the
  /// product to it), or returns 0 without writing when there is no bias.
  static func fillRows(_ out: UnsafeMutablePointer<Float>, rows: Int, with bias: Tensor?) -> Float {
    guard let bias else { return 0 }
    bias.withUnsafeBufferPointer { aek_fill_rows(rows, $0.count, $0.baseAddress, out) }
    return 1
  }
}

