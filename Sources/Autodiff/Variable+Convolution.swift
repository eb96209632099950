import TensorCore

// Convolution, transposed convolution, max pooling and upsampling over NHWC batches, each with
// its pullback (the tensor kernels are in TensorCore's Tensor+Convolution.swift).

extension Variable {
  /// The 2-D convolution of the batch `self` (`[n, h, w, c]`) with `weight`
  /// (`[kh, kw, c, filters]`), plus `bias`: `∂/∂input = fold(g·weightᵀ)`,
  /// `∂/∂weight = Σ unfold(input)ᵀ·g`, `∂/∂bias = Σ g`.
  ///
  /// With `rectified`, the output is `relu(conv + bias)` in one operation (relu applied while each
  /// block of the output is in cache, and its mask applied to the gradient block by block).
  public func convolved2D(with weight: Variable, bias: Variable?, geometry: WindowGeometry, rectified: Bool = false) -> Variable {
    let output = value.convolved2D(with: weight.value, bias: bias?.value, geometry: geometry, rectified: rectified)
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    return Variable.record(output, operation: rectified ? "conv2DRelu" : "conv2D", inputs: inputs) { g in
      let gradients = Tensor.convolution2DGradients(
        input: self.value, weight: weight.value, outputGradient: g, geometry: geometry, forInput: self.requiresGradient,
        forWeight: weight.requiresGradient, forBias: bias?.requiresGradient == true, rectifiedOutput: rectified ? output : nil)
      return [gradients.input, gradients.weight, gradients.bias]
    }
  }

  /// `upsampled2D(by: factor).convolved2D(with: weight, bias:, geometry:, rectified:)` in one
  /// operation (the upsampled batch is never written out), `geometry` being the convolution's:
  /// the values and gradients are those of the two apart (up to float rounding where split into
  /// output phases), the input's gradient summed over each cell's block.
  public func upsampledConvolved2D(by factor: (height: Int, width: Int), with weight: Variable, bias: Variable?, geometry: WindowGeometry,
                                   rectified: Bool = false) -> Variable {
    let output = value.upsampledConvolved2D(by: factor, with: weight.value, bias: bias?.value, geometry: geometry, rectified: rectified)
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    return Variable.record(output, operation: rectified ? "upSampling2DConv2DRelu" : "upSampling2DConv2D", inputs: inputs) { g in
      let gradients = Tensor.upsampledConvolution2DGradients(
        input: self.value, factor: factor, weight: weight.value, outputGradient: g, geometry: geometry, forInput: self.requiresGradient,
        forWeight: weight.requiresGradient, forBias: bias?.requiresGradient == true, rectifiedOutput: rectified ? output : nil)
      return [gradients.input, gradients.weight, gradients.bias]
    }
  }

  /// The transposed convolution of the batch `self` with `weight` (`[kh, kw, filters, c]`), plus
  /// `bias`, over `geometry` from `WindowGeometry.transposed`: `∂/∂input = unfold(g)·weight`,
  /// `∂/∂weight = Σ unfold(g)ᵀ·input`, `∂/∂bias = Σ g`.
  /// `rectified` fuses a relu, as for `convolved2D`.
  public func transposedConvolved2D(with weight: Variable, bias: Variable?, geometry: WindowGeometry, rectified: Bool = false) -> Variable {
    let output = value.transposedConvolved2D(with: weight.value, bias: bias?.value, geometry: geometry, rectified: rectified)
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    return Variable.record(output, operation: rectified ? "conv2DTransposeRelu" : "conv2DTranspose", inputs: inputs) { g in
      let gradients = Tensor.transposedConvolution2DGradients(
        input: self.value, weight: weight.value, outputGradient: g, geometry: geometry, forInput: self.requiresGradient,
        forWeight: weight.requiresGradient, forBias: bias?.requiresGradient == true, rectifiedOutput: rectified ? output : nil)
      return [gradients.input, gradients.weight, gradients.bias]
    }
  }

  /// The maximum over each of `geometry`'s windows: `∂/∂input` is `g` at each window's winning
  /// cell (the first of equal maxima), zero elsewhere.
  public func maxPooled2D(geometry: WindowGeometry) -> Variable {
    let (output, winners) = value.maxPooled2D(geometry: geometry)
    return Variable.record(output, operation: "maxPool2D", inputs: [self]) { g in
      [Tensor.maxPool2DGradient(g, winners: winners, geometry: geometry)]
    }
  }

  /// Nearest-neighbour upsampling by `factor`: `∂/∂input` sums `g` over each cell's block.
  public func upsampled2D(by factor: (height: Int, width: Int)) -> Variable {
    Variable.record(value.upsampled2D(by: factor), operation: "upSampling2D", inputs: [self]) { g in
      [Tensor.upsampling2DGradient(g, factor: factor)]
    }
  }
}
