import CKernels

// An UpSampling2D layer and the stride-1 convolution after it as one operation (the Keras blog's
// decoder is three such pairs). Unfused, the upsampled batch is written out (factor² times the
// input), read back to pad each image, its gradient written out full size and summed down again.
// Fused, the direct kernels read the small input upsampled while copying each image into its
// padded plane, and write the input gradient's block sums while each image is in cache. The
// arithmetic, its order and so the bits are those of the two layers apart; where the direct
// kernels do not run a pass, it falls back to the two operations.

extension Tensor {
  /// `upsampled2D(by: factor).convolved2D(with: weight, bias:, geometry:, rectified:)`, where
  /// `geometry` is the convolution's, over the upsampled images.
  public func upsampledConvolved2D(by factor: (height: Int, width: Int), with weight: Tensor, bias: Tensor?, geometry g: WindowGeometry,
                                   rectified: Bool = false) -> Tensor {
    let upsampling = Resampling(height: factor.height, width: factor.width)
    _ = checkUpsampled(by: upsampling, to: g, "upsampled convolution")
    guard Tensor.convolutionKernels(geometry: g, filters: weight.shape[3]).forward == .direct else {
      return upsampled2D(by: factor).convolved2D(with: weight, bias: bias, geometry: g, rectified: rectified)
    }
    precondition(weight.rank == 4 && Array(weight.shape[0..<3]) == [g.kernelHeight, g.kernelWidth, g.channels],
                 "convolution weight \(weight.shape) for a \(g.kernelHeight)×\(g.kernelWidth) window over \(g.channels) channels")
    precondition(bias == nil || bias!.shape == [weight.shape[3]], "convolution bias \(bias!.shape) for \(weight.shape[3]) filters")
    return directConvolved2D(with: weight, bias: bias, geometry: g, rectified: rectified, mask: nil, summingChannels: false,
                             upsampling: upsampling).output
  }

  /// The gradients of `input.upsampledConvolved2D(by: factor, with: weight, …)` given the gradient
  /// of its output, as `convolution2DGradients` gives them for the upsampled input, with the
  /// input's summed over each cell's block.
  public static func upsampledConvolution2DGradients(input: Tensor, factor: (height: Int, width: Int), weight: Tensor, outputGradient: Tensor,
                                                     geometry g: WindowGeometry, forInput: Bool, forWeight: Bool, forBias: Bool,
                                                     rectifiedOutput: Tensor? = nil) -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
    let upsampling = Resampling(height: factor.height, width: factor.width)
    let n = input.checkUpsampled(by: upsampling, to: g, "upsampled convolution gradient")
    let filters = weight.shape[3]
    precondition(outputGradient.shape == [n, g.outputHeight, g.outputWidth, filters],
                 "convolution output gradient \(outputGradient.shape), expected \([n, g.outputHeight, g.outputWidth, filters])")
    let kernels = Tensor.convolutionKernels(geometry: g, filters: filters)
    if kernels.weightGradient == .direct, forWeight, forInput, kernels.inputGradient == .direct {
      // As convolution2DGradients's one pass over the adjoint geometry, reading the input upsampled
      // and writing its gradient's block sums.
      let both = directConvolutionWeightGradient(input: outputGradient, inputMask: rectifiedOutput, outputGradient: input,
                                                 geometry: g.adjoint(filters: filters), summingChannels: forBias,
                                                 forwardWeight: Tensor.flippedTransposedKernel(weight),
                                                 outputGradientUpsampling: upsampling, forwardBlockSums: upsampling)
      return (both.forward, Tensor.flippedTransposedKernel(both.weight!), both.channelSums)
    }
    if kernels.weightGradient == .direct, !forInput {
      let rest = directConvolutionWeightGradient(input: input, outputGradient: outputGradient, outputMask: rectifiedOutput, geometry: g,
                                                 forWeight: forWeight, summingFilters: forBias, inputUpsampling: upsampling)
      return (nil, rest.weight, rest.filterSums)
    }
    let apart = convolution2DGradients(input: input.upsampled2D(by: factor), weight: weight, outputGradient: outputGradient, geometry: g,
                                       forInput: forInput, forWeight: forWeight, forBias: forBias, rectifiedOutput: rectifiedOutput)
    return (apart.input.map { upsampling2DGradient($0, factor: factor) }, apart.weight, apart.bias)
  }

  /// Checks that `self` upsampled by `upsampling` is a batch of the geometry's images; returns the batch size.
  private func checkUpsampled(by upsampling: Resampling, to g: WindowGeometry, _ operation: String) -> Int {
    precondition(upsampling.height > 0 && upsampling.width > 0 && rank == 4
                   && [shape[1] * upsampling.height, shape[2] * upsampling.width, shape[3]] == [g.height, g.width, g.channels],
                 "\(operation) input \(shape) upsampled \(upsampling.height)×\(upsampling.width), expected [n, \(g.height), \(g.width), \(g.channels)]")
    return shape[0]
  }
}
