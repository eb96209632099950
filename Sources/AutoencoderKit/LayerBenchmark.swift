import Dispatch

/// Times each layer of a model's training step on its own: the forward pass, the input gradient
/// (but for the first layer's, which training never needs) and the weight gradient of every convolution (with the kernel that ran for each and its
/// GFLOP/s), and the forward and backward passes of the other layers; an upsampling and the
/// convolution after it as the one operation training runs (its forward pass, and both gradients
/// in one pass). The batch is split into
/// one shard per thread, each shard's pass run single-threaded on its own thread, as a training
/// step runs them. `autoencoder benchmark --kernels --model conv` prints it.
public struct LayerBenchmark {
  public var architecture: Architecture
  public var batchSize: Int
  /// The best of `rounds` timings is kept, each the mean of `repetitions` calls.
  public var repetitions = 20, rounds = 5

  public init(architecture: Architecture, batchSize: Int) {
    self.architecture = architecture
    self.batchSize = batchSize
  }

  /// One pass of one layer.
  public struct Row: Codable, Sendable {
    /// The layer's place (`encoder.0`) and description.
    public var layer: String
    /// `forward`, `input gradient`, `weight gradient` or `backward`.
    public var pass: String
    /// The kernel that ran, for a convolution (`direct`, `im2col + sgemm`, ...).
    public var kernel: String
    /// Microseconds per call for the whole batch.
    public var microseconds: Double
    /// Multiply-adds × 2 per second, for the passes that are products.
    public var gflopPerSecond: Double?

    enum CodingKeys: String, CodingKey { case layer, pass, kernel, microseconds, gflopPerSecond = "gflop_per_second" }
  }

  public func run() throws -> [Row] {
    try BLAS.load()
    var generator = SplitMix64(seed: 1)
    let model = try Autoencoder(architecture, using: &generator)
    let shards = Parallel.shards(ofRows: batchSize, minimumRows: Trainer.minimumShardRows)
    var input = Tensor.randomUniform(shape: [batchSize] + architecture.inputShape, in: 0..<1, using: &generator)
    var rows: [Row] = []
    let halves = [("encoder", model.encoder.layers), ("decoder", model.decoder.layers)]
    for (half, layers) in halves {
      // A variational model's decoder starts from the codes' means.
      if half == "decoder", let latent = model.latent { input = latent.mean.inferring(from: input) }
      var index = 0
      while index < layers.count {
        let (place, layer) = ("\(half).\(index)", layers[index])
        // An upsampling and the convolution after it run as one operation (as Sequential runs them).
        if let upsampling = layer as? UpSampling2D, index + 1 < layers.count, let conv = layers[index + 1] as? Conv2D {
          let shardInputs = shards.map { input.rows($0) }
          rows += timeUpsampledConvolution(upsampling, conv, name: "\(place)+\(index + 1) \(layer) + \(conv)", shardInputs: shardInputs,
                                           using: &generator)
          input = conv.inferring(from: layer.inferring(from: input))
          index += 2
          continue
        }
        // Each shard's input, and the layer's output on it.
        let shardInputs = shards.map { input.rows($0) }
        let outputs = shardInputs.map { layer.inferring(from: $0) }
        let gradients = outputs.map { Tensor.randomUniform(shape: $0.shape, in: -1..<1, using: &generator) }
        let name = "\(place) \(layer)"
        func time(_ pass: String, kernel: String, flops: Int?, _ body: @escaping (Int) -> Void) {
          let seconds = best { Parallel.forEachShard(shards.count) { body($0) } }
          rows.append(Row(layer: name, pass: pass, kernel: kernel, microseconds: seconds * 1e6,
                          gflopPerSecond: flops.map { Double($0) / seconds / 1e9 }))
        }
        switch layer {
        case let conv as Conv2D:
          let g = conv.geometry, relu = conv.activation == .relu
          let flops = 2 * batchSize * g.positions * g.windowSize * conv.filters
          let kernels = Tensor.convolutionKernels(geometry: g, filters: conv.filters)
          let w = conv.weight.value, b = conv.bias?.value
          time("forward", kernel: kernels.forward.rawValue, flops: flops) { s in
            _ = shardInputs[s].convolved2D(with: w, bias: b, geometry: g, rectified: relu)
          }
          if place != "encoder.0" {
            time("input gradient", kernel: kernels.inputGradient.rawValue, flops: flops) { s in
            _ = Tensor.convolution2DGradients(input: shardInputs[s], weight: w, outputGradient: gradients[s], geometry: g, forInput: true,
                                              forWeight: false, forBias: false, rectifiedOutput: relu ? outputs[s] : nil)
            }
          }
          time("weight gradient", kernel: kernels.weightGradient.rawValue, flops: flops) { s in
            _ = Tensor.convolution2DGradients(input: shardInputs[s], weight: w, outputGradient: gradients[s], geometry: g, forInput: false,
                                              forWeight: true, forBias: b != nil, rectifiedOutput: relu ? outputs[s] : nil)
          }
        case let conv as Conv2DTranspose:
          let g = conv.geometry, relu = conv.activation == .relu
          let inputChannels = conv.weight.value.shape[3]
          let flops = 2 * batchSize * g.positions * g.windowSize * inputChannels
          let kernels = Tensor.transposedConvolutionKernels(geometry: g, inputChannels: inputChannels)
          let w = conv.weight.value, b = conv.bias?.value
          time("forward", kernel: kernels.forward.rawValue, flops: flops) { s in
            _ = shardInputs[s].transposedConvolved2D(with: w, bias: b, geometry: g, rectified: relu)
          }
          time("input gradient", kernel: kernels.inputGradient.rawValue, flops: flops) { s in
            _ = Tensor.transposedConvolution2DGradients(input: shardInputs[s], weight: w, outputGradient: gradients[s], geometry: g,
                                                        forInput: true, forWeight: false, forBias: false, rectifiedOutput: relu ? outputs[s] : nil)
          }
          time("weight gradient", kernel: kernels.weightGradient.rawValue, flops: flops) { s in
            _ = Tensor.transposedConvolution2DGradients(input: shardInputs[s], weight: w, outputGradient: gradients[s], geometry: g,
                                                        forInput: false, forWeight: true, forBias: b != nil, rectifiedOutput: relu ? outputs[s] : nil)
          }
        case let gdn as GDN:
          // The operation alone, on the layer's β and γ (not their roots): products of 2·C² per
          // pixel, one forward and two backward.
          let c = gdn.channels, (beta, gamma) = gdn.normalization
          let pixels = shardInputs.map { $0.reshaped(to: [$0.count / c, c]) }
          let norms = pixels.map { Tensor.divisiveNormalization($0, beta: beta, gamma: gamma, inverse: gdn.inverse).norms }
          let flops = 2 * batchSize * (input.count / input.shape[0] / c) * c * c
          time("forward", kernel: "blocked", flops: flops) { s in
            _ = Tensor.divisiveNormalization(pixels[s], beta: beta, gamma: gamma, inverse: gdn.inverse)
          }
          time("backward", kernel: "blocked", flops: 2 * flops) { s in
            _ = Tensor.divisiveNormalizationGradients(gradients[s].reshaped(to: pixels[s].shape), input: pixels[s], norms: norms[s], beta: beta,
                                                      gamma: gamma, inverse: gdn.inverse, forInput: true, forBeta: true, forGamma: true)
          }
        case let pool as MaxPool2D:
          let g = pool.geometry
          let winners = shardInputs.map { $0.maxPooled2D(geometry: g).winners }
          time("forward", kernel: "", flops: nil) { s in _ = shardInputs[s].maxPooled2D(geometry: g) }
          time("backward", kernel: "", flops: nil) { s in _ = Tensor.maxPool2DGradient(gradients[s], winners: winners[s], geometry: g) }
        case let upsampling as UpSampling2D:
          let factor = upsampling.factor
          time("forward", kernel: "", flops: nil) { s in _ = shardInputs[s].upsampled2D(by: factor) }
          time("backward", kernel: "", flops: nil) { s in _ = Tensor.upsampling2DGradient(gradients[s], factor: factor) }
        default:
          // Any other layer: its forward pass, then its backward pass to the input and parameters
          // alone (each shard's graph recorded once, outside the timing; the output's gradient
          // seeded through a product and a sum, two cheap passes).
          time("forward", kernel: "", flops: nil) { s in _ = layer.inferring(from: shardInputs[s]) }
          let graphs = shardInputs.indices.map { s in
            let x = Variable(shardInputs[s], requiresGradient: true)
            return (objective: (layer(x) * Variable(gradients[s])).sum(), leaves: [x] + layer.namedParameters.map(\.parameter))
          }
          time("backward", kernel: "", flops: nil) { s in _ = graphs[s].objective.gradients(withRespectTo: graphs[s].leaves) }
        }
        input = layer.inferring(from: input)
        index += 1
      }
    }
    return rows
  }

  /// The rows of an upsampling fused into the convolution after it: the forward pass, and the
  /// input and weight gradients, which the fused operation computes in one pass.
  private func timeUpsampledConvolution(_ upsampling: UpSampling2D, _ conv: Conv2D, name: String, shardInputs: [Tensor],
                                        using generator: inout SplitMix64) -> [Row] {
    let g = conv.geometry, relu = conv.activation == .relu, factor = upsampling.factor
    let w = conv.weight.value, b = conv.bias?.value
    let outputs = shardInputs.map { conv.inferring(from: $0.upsampled2D(by: factor)) }
    let gradients = outputs.map { Tensor.randomUniform(shape: $0.shape, in: -1..<1, using: &generator) }
    let flops = 2 * batchSize * g.positions * g.windowSize * conv.filters
    let (phases, kernels) = Tensor.upsampledConvolutionPlan(geometry: g, factor: factor, filters: conv.filters)
    let both = kernels.inputGradient == .direct && kernels.weightGradient == .direct
      ? "direct, one pass" : "\(kernels.inputGradient.rawValue), \(kernels.weightGradient.rawValue)"
    let fused = phases > 0 ? "\(phases) phases, \(kernels.forward.rawValue)"
      : kernels.forward == .direct ? "direct, upsampling fused" : "upsampled, \(kernels.forward.rawValue)"
    let gradientKernels = phases > 0 ? "\(phases) phases, \(both)" : both
    var rows: [Row] = []
    func time(_ pass: String, kernel: String, flops: Int, _ body: @escaping (Int) -> Void) {
      let seconds = best { Parallel.forEachShard(shardInputs.count) { body($0) } }
      rows.append(Row(layer: name, pass: pass, kernel: kernel, microseconds: seconds * 1e6, gflopPerSecond: Double(flops) / seconds / 1e9))
    }
    time("forward", kernel: fused, flops: flops) { s in
      _ = shardInputs[s].upsampledConvolved2D(by: factor, with: w, bias: b, geometry: g, rectified: relu)
    }
    time("both gradients", kernel: gradientKernels, flops: 2 * flops) { s in
      _ = Tensor.upsampledConvolution2DGradients(input: shardInputs[s], factor: factor, weight: w, outputGradient: gradients[s], geometry: g,
                                                 forInput: true, forWeight: true, forBias: b != nil, rectifiedOutput: relu ? outputs[s] : nil)
    }
    return rows
  }

  /// The best over `rounds` of the mean seconds of `repetitions` calls of `body`.
  private func best(_ body: () -> Void) -> Double {
    body()
    return (0..<rounds).map { _ in
      let start = DispatchTime.now().uptimeNanoseconds
      for _ in 0..<repetitions { body() }
      return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(repetitions) / 1e9
    }.min()!
  }
}
