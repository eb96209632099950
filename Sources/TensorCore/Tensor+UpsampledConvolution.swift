import CKernels

// An UpSampling2D layer and the stride-1 convolution after it as one operation (the Keras blog's
// decoder is three such pairs). Unfused, the upsampled batch is written out (factor² times the
// input), read back to pad each image, its gradient written out full size and summed down again.
//
// Where the outputs are many enough, the pair is split into output phases (UpsamplingPhases.swift):
// convolutions of the stored image with the kernel offsets that land on one stored cell added
// first, 4 products per output where there were 9 for a 3×3 kernel after a 2×2 upsampling. The
// values are the two layers' up to float rounding (the offsets' weights are summed first).
// Otherwise, the direct kernels read the small input upsampled while copying each image into its
// padded plane, and write the input gradient's block sums while each image is in cache: the
// arithmetic, its order and so the bits are those of the two layers apart. Where the direct
// kernels do not run a pass, it falls back to the two operations.

extension Tensor {
  /// `upsampled2D(by: factor).convolved2D(with: weight, bias:, geometry:, rectified:)`, where
  /// `geometry` is the convolution's, over the upsampled images.
  public func upsampledConvolved2D(by factor: (height: Int, width: Int), with weight: Tensor, bias: Tensor?, geometry g: WindowGeometry,
                                   rectified: Bool = false) -> Tensor {
    let upsampling = Resampling(height: factor.height, width: factor.width)
    let n = checkUpsampled(by: upsampling, to: g, "upsampled convolution")
    precondition(weight.rank == 4 && Array(weight.shape[0..<3]) == [g.kernelHeight, g.kernelWidth, g.channels],
                 "convolution weight \(weight.shape) for a \(g.kernelHeight)×\(g.kernelWidth) window over \(g.channels) channels")
    if let phases = UpsamplingPhases(geometry: g, factor: upsampling) {
      let parts = phases.phases.map { convolved2D(with: phases.weight(weight, for: $0), bias: bias, geometry: $0.geometry, rectified: rectified) }
      return Tensor(shape: [n, g.outputHeight, g.outputWidth, weight.shape[3]]) { out in
        for (phase, part) in zip(phases.phases, parts) { phases.scatter(part, of: phase, into: out) }
      }
    }
    guard Tensor.convolutionKernels(geometry: g, filters: weight.shape[3]).forward == .direct else {
      return upsampled2D(by: factor).convolved2D(with: weight, bias: bias, geometry: g, rectified: rectified)
    }
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
    if let phases = UpsamplingPhases(geometry: g, factor: upsampling) {
      // Each phase's gradients, from its cells of the output gradient (masked by the relu'd
      // output's as they are gathered); the input's summed in one pass at the end.
      var (inputParts, weightGradient, biasGradient): ([Tensor], Tensor?, Tensor?) = ([], forWeight ? Tensor.zeros(shape: weight.shape) : nil, nil)
      for phase in phases.phases {
        let part = convolution2DGradients(input: input, weight: phases.weight(weight, for: phase),
                                          outputGradient: phases.gather(outputGradient, phase, maskedBy: rectifiedOutput), geometry: phase.geometry,
                                          forInput: forInput, forWeight: forWeight, forBias: forBias)
        if let gradient = part.input { inputParts.append(gradient) }
        if let gradient = part.weight { phases.addWeightGradient(gradient, of: phase, into: &weightGradient!) }
        if let gradient = part.bias { if biasGradient == nil { biasGradient = gradient } else { biasGradient!.add(gradient) } }
      }
      return (inputParts.isEmpty ? nil : Tensor.sum(of: inputParts), weightGradient, biasGradient)
    }
    let kernels = Tensor.convolutionKernels(geometry: g, filters: filters)
    if kernels.weightGradient == .direct, forWeight, forInput, kernels.inputGradient == .direct {
      // As convolution2DGradients's one pass over the adjoint geometry, reading the input upsampled
      // and writing its gradient's block sums.
      let both = directConvolutionWeightGradient(input: outputGradient, inputMask: rectifiedOutput, outputGradient: input,
                                                 geometry: g.adjoint(filters: filters), summingChannels: forBias,
                                                 forwardWeight: Tensor.flippedTransposedWeight(weight),
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

  /// How an upsampling by `factor` and the convolution over `geometry` after it run: split into
  /// `phases` convolutions of the stored image (0 where not split: fused into the direct kernels'
  /// padding, or apart), and the kernels those convolutions, or the one, run.
  public static func upsampledConvolutionPlan(geometry g: WindowGeometry, factor: (height: Int, width: Int), filters: Int)
    -> (phases: Int, kernels: (forward: ConvolutionKernel, inputGradient: ConvolutionKernel, weightGradient: ConvolutionKernel))
  {
    guard let split = UpsamplingPhases(geometry: g, factor: Resampling(height: factor.height, width: factor.width)) else {
      return (0, convolutionKernels(geometry: g, filters: filters))
    }
    return (split.phases.count, convolutionKernels(geometry: split.phases[0].geometry, filters: filters))
  }

  /// Checks that `self` upsampled by `upsampling` is a batch of the geometry's images; returns the batch size.
  private func checkUpsampled(by upsampling: Resampling, to g: WindowGeometry, _ operation: String) -> Int {
    precondition(upsampling.height > 0 && upsampling.width > 0 && rank == 4
                   && [shape[1] * upsampling.height, shape[2] * upsampling.width, shape[3]] == [g.height, g.width, g.channels],
                 "\(operation) input \(shape) upsampled \(upsampling.height)×\(upsampling.width), expected [n, \(g.height), \(g.width), \(g.channels)]")
    return shape[0]
  }
}
