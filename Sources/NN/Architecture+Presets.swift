import TensorCore

extension Architecture {
  /// A dense autoencoder: `Dense` layers of `hiddenSizes` down to the code (the last size), then
  /// the same sizes back up, and a `Dense(inputSize)` output layer.
  ///
  /// `dense(hiddenSizes: [128, 64])` is 784-128-64-128-784.
  public static func dense(inputSize: Int = 784, hiddenSizes: [Int], activation: Activation = .relu,
                           outputActivation: Activation = .sigmoid) -> Architecture {
    let down = hiddenSizes.map { LayerSpec.dense(units: $0, activation: activation) }
    let up = hiddenSizes.dropLast().reversed().map { LayerSpec.dense(units: $0, activation: activation) }
    return Architecture(inputShape: [inputSize], encoder: down,
                        decoder: up + [.dense(units: inputSize, activation: outputActivation)])
  }

  /// The Keras blog's convolutional autoencoder for `height`×`width`×`channels` images (28×28×1
  /// gives a 4×4×8 code): three 3×3 convolutions (16, 8, 8 filters), each followed by 2×2 max
  /// pooling (the last padded, 7 → 4), then three convolutions each followed by 2×2 upsampling (the
  /// third unpadded, 16 → 14), and a sigmoid convolution back to the channels.
  public static func convolutional(height: Int = 28, width: Int = 28, channels: Int = 1, activation: Activation = .relu,
                                   outputActivation: Activation = .sigmoid) -> Architecture {
    Architecture(
      inputShape: [height, width, channels],
      encoder: [
        .conv2D(filters: 16, kernelSize: 3, activation: activation), .maxPool2D(size: 2, padding: .same),
        .conv2D(filters: 8, kernelSize: 3, activation: activation), .maxPool2D(size: 2, padding: .same),
        .conv2D(filters: 8, kernelSize: 3, activation: activation), .maxPool2D(size: 2, padding: .same),
      ],
      decoder: [
        .conv2D(filters: 8, kernelSize: 3, activation: activation), .upSampling2D(size: 2),
        .conv2D(filters: 8, kernelSize: 3, activation: activation), .upSampling2D(size: 2),
        .conv2D(filters: 16, kernelSize: 3, padding: .valid, activation: activation), .upSampling2D(size: 2),
        .conv2D(filters: channels, kernelSize: 3, activation: outputActivation),
      ])
  }

  /// keras-io's denoising autoencoder: two 32-filter 3×3 convolutions each followed by 2×2 max
  /// pooling, two 32-filter 3×3 transposed convolutions of stride 2, and a sigmoid 3×3 convolution
  /// back to the channels (28,353 parameters on 28×28×1).
  public static func convolutionalTranspose(height: Int = 28, width: Int = 28, channels: Int = 1, activation: Activation = .relu,
                                            outputActivation: Activation = .sigmoid) -> Architecture {
    Architecture(
      inputShape: [height, width, channels],
      encoder: [
        .conv2D(filters: 32, kernelSize: 3, activation: activation), .maxPool2D(size: 2, padding: .same),
        .conv2D(filters: 32, kernelSize: 3, activation: activation), .maxPool2D(size: 2, padding: .same),
      ],
      decoder: [
        .conv2DTranspose(filters: 32, kernelSize: 3, stride: 2, activation: activation),
        .conv2DTranspose(filters: 32, kernelSize: 3, stride: 2, activation: activation),
        .conv2D(filters: channels, kernelSize: 3, activation: outputActivation),
      ])
  }

  /// A dense variational autoencoder: `Dense` layers of `hiddenSizes` down to a `GaussianLatent`
  /// head of `latent` dimensions, then the same sizes back up and a `Dense(inputSize)` output.
  ///
  /// `variational(hiddenSizes: [512], latent: 2)` is the Keras blog's VAE, 784-512-2-512-784;
  /// `variational(hiddenSizes: [400], latent: 20)` PyTorch's `vae` example.
  public static func variational(inputSize: Int = 784, hiddenSizes: [Int], latent: Int, activation: Activation = .relu,
                                 outputActivation: Activation = .sigmoid) -> Architecture {
    let down = hiddenSizes.map { LayerSpec.dense(units: $0, activation: activation) }
    let up = hiddenSizes.reversed().map { LayerSpec.dense(units: $0, activation: activation) }
    return Architecture(inputShape: [inputSize], encoder: down, decoder: up + [.dense(units: inputSize, activation: outputActivation)],
                        latent: latent)
  }

  /// keras-io's convolutional VAE for `height`×`width`×`channels` images (sides divisible by 4): 3×3
  /// convolutions of 32 and 64 filters with stride 2, flatten, `Dense(16, relu)`, a latent head of
  /// `latent` dimensions; then `Dense(h/4·w/4·64, relu)`, reshape, transposed 3×3 convolutions of 64
  /// and 32 filters with stride 2, and a sigmoid transposed convolution back to the channels.
  public static func convolutionalVariational(height: Int = 28, width: Int = 28, channels: Int = 1, latent: Int = 2,
                                              activation: Activation = .relu, outputActivation: Activation = .sigmoid) -> Architecture {
    let (h, w) = (height / 4, width / 4)
    return Architecture(
      inputShape: [height, width, channels],
      encoder: [
        .conv2D(filters: 32, kernelSize: 3, stride: 2, activation: activation),
        .conv2D(filters: 64, kernelSize: 3, stride: 2, activation: activation),
        .flatten, .dense(units: 16, activation: activation),
      ],
      decoder: [
        .dense(units: h * w * 64, activation: activation), .reshape([h, w, 64]),
        .conv2DTranspose(filters: 64, kernelSize: 3, stride: 2, activation: activation),
        .conv2DTranspose(filters: 32, kernelSize: 3, stride: 2, activation: activation),
        .conv2DTranspose(filters: channels, kernelSize: 3, activation: outputActivation),
      ],
      latent: latent)
  }

  /// A rate-trained image codec after Ballé, Laparra and Simoncelli (2017), for images whose sides
  /// divide by 4: analysis by 5×5 convolutions of `filters` with stride 2, each followed by GDN,
  /// twice, and a 3×3 convolution to `codeChannels`, the entropy bottleneck; synthesis by a 3×3
  /// transposed convolution of `filters` and a 5×5 one with stride 2, each followed by IGDN, and
  /// a 5×5 transposed convolution with stride 2 back to the image (`outputActivation`). Every
  /// layer is a convolution, so the code of an h×w image is h/4×w/4×`codeChannels`. With
  /// `activation`, that element-wise function stands in for GDN and IGDN (the preset before
  /// December 2026 used relu: 2 dB worse at equal rate after 8 epochs).
  public static func codec(height: Int = 28, width: Int = 28, channels: Int = 1, filters: Int = 32, codeChannels: Int = 16,
                           activation: Activation? = nil, outputActivation: Activation = .sigmoid) -> Architecture {
    func normalized(_ layer: LayerSpec, inverse: Bool) -> [LayerSpec] { activation == nil ? [layer, .gdn(inverse: inverse)] : [layer] }
    return Architecture(
      inputShape: [height, width, channels],
      encoder: normalized(.conv2D(filters: filters, kernelSize: 5, stride: 2, activation: activation ?? .identity), inverse: false)
        + normalized(.conv2D(filters: filters, kernelSize: 5, stride: 2, activation: activation ?? .identity), inverse: false)
        + [.conv2D(filters: codeChannels, kernelSize: 3, activation: .identity)],
      decoder: normalized(.conv2DTranspose(filters: filters, kernelSize: 3, activation: activation ?? .identity), inverse: true)
        + normalized(.conv2DTranspose(filters: filters, kernelSize: 5, stride: 2, activation: activation ?? .identity), inverse: true)
        + [.conv2DTranspose(filters: channels, kernelSize: 5, stride: 2, activation: outputActivation)],
      bottleneck: Bottleneck())
  }

  /// keras-io's Conv1D autoencoder for time-series anomaly detection, for windows of `length` steps
  /// (divisible by 4) of `channels`: 1-D convolutions of 32 and 16 filters, kernel 7, stride 2,
  /// relu, with dropout 0.2 after the first; transposed ones of 16 and 32 back, dropout 0.2 after
  /// the first; a transposed convolution of kernel 7 to the channels (`outputActivation`,
  /// identity in keras-io's: the windows are standardized).
  public static func timeSeries(length: Int = 288, channels: Int = 1, activation: Activation = .relu,
                                outputActivation: Activation = .identity) -> Architecture {
    Architecture(
      inputShape: [length, channels],
      encoder: [
        .conv1D(filters: 32, kernelSize: 7, stride: 2, activation: activation), .dropout(rate: 0.2),
        .conv1D(filters: 16, kernelSize: 7, stride: 2, activation: activation),
      ],
      decoder: [
        .conv1DTranspose(filters: 16, kernelSize: 7, stride: 2, activation: activation), .dropout(rate: 0.2),
        .conv1DTranspose(filters: 32, kernelSize: 7, stride: 2, activation: activation),
        .conv1DTranspose(filters: channels, kernelSize: 7, activation: outputActivation),
      ])
  }

  /// The LSTM autoencoder of Keras's tutorials for windows of `steps` steps of `features`: an LSTM
  /// of `code` units reads the window to its last state, which is repeated over the steps, read by
  /// an LSTM of `code` units back to every step, and a dense layer at each step gives the features
  /// (Keras's `TimeDistributed(Dense)`; the blog's one-unit output LSTM cannot follow a cycle).
  public static func recurrent(steps: Int, features: Int = 1, code: Int = 64, outputActivation: Activation = .identity) -> Architecture {
    Architecture(inputShape: [steps, features], encoder: [.lstm(units: code)],
                 decoder: [.repeatVector(steps: steps), .lstm(units: code, returnsSequences: true),
                           .dense(units: features, activation: outputActivation)])
  }

  /// A model of text for lossless compression, over windows of `steps` bytes: an embedding of the
  /// 256 byte values in `width` dimensions, a GRU of `units` returning every step's state, and a
  /// dense layer to each step's logits over the 256 bytes (a token model: step t predicts byte t
  /// from the bytes before it; `vocabulary`).
  public static func text(steps: Int, width: Int = 32, units: Int = 256) -> Architecture {
    Architecture(inputShape: [steps], encoder: [.embedding(vocabulary: 256, width: width), .gru(units: units, returnsSequences: true)],
                 decoder: [.dense(units: 256, activation: .identity)])
  }

  /// The named presets for examples of `exampleShape` (`[28, 28]` or `[784]`): "dense"
  /// (784-64-784, the Keras tutorial's single-layer model), "deep" (784-128-64-128-784), "conv"
  /// (the Keras blog's convolutional model), "conv-transpose" (keras-io's denoising model), and
  /// the variational "vae" (the Keras blog's, 784-512-2), "vae-pytorch" (PyTorch's example,
  /// 784-400-20) and "conv-vae" (keras-io's), whose latent size `latent` overrides, "codec"
  /// (a rate-trained image codec, `codec(height:width:channels:)`) and "conv1d" (keras-io's
  /// time-series model, `timeSeries(length:channels:)`, for windows `[length]` or `[length, channels]`)
  /// and "lstm" (the LSTM autoencoder of Keras's tutorials, `recurrent(steps:features:)`), and
  /// "text" (a token model of bytes, `text(steps:)`).
  /// Dense models flatten images; convolutional ones need images (`[h, w]` or `[h, w, c]`).
  public static func preset(named name: String, exampleShape: [Int], activation: Activation = .relu,
                            outputActivation: Activation = .sigmoid, latent: Int? = nil) throws -> Architecture? {
    let size = exampleShape.reduce(1, *)
    switch name {
    case "dense": return dense(inputSize: size, hiddenSizes: [64], activation: activation, outputActivation: outputActivation)
    case "deep": return dense(inputSize: size, hiddenSizes: [128, 64], activation: activation, outputActivation: outputActivation)
    case "vae":
      return variational(inputSize: size, hiddenSizes: [512], latent: latent ?? 2, activation: activation, outputActivation: outputActivation)
    case "vae-pytorch":
      return variational(inputSize: size, hiddenSizes: [400], latent: latent ?? 20, activation: activation, outputActivation: outputActivation)
    case "conv-vae":
      let image = try imageShape(of: exampleShape, for: name)
      guard image[0] % 4 == 0, image[1] % 4 == 0 else { throw ArchitectureError.notImages(model: "conv-vae (sides divisible by 4)", exampleShape: exampleShape) }
      return convolutionalVariational(height: image[0], width: image[1], channels: image[2], latent: latent ?? 2, activation: activation,
                                      outputActivation: outputActivation)
    case "codec":
      let image = try imageShape(of: exampleShape, for: name)
      guard image[0] % 4 == 0, image[1] % 4 == 0 else { throw ArchitectureError.notImages(model: "codec (sides divisible by 4)", exampleShape: exampleShape) }
      return codec(height: image[0], width: image[1], channels: image[2], outputActivation: outputActivation)
    case "conv", "conv-transpose":
      let image = try imageShape(of: exampleShape, for: name)
      return name == "conv"
        ? convolutional(height: image[0], width: image[1], channels: image[2], activation: activation, outputActivation: outputActivation)
        : convolutionalTranspose(height: image[0], width: image[1], channels: image[2], activation: activation,
                                 outputActivation: outputActivation)
    case "conv1d":
      guard (1...2).contains(exampleShape.count), exampleShape[0] % 4 == 0 else {
        throw ArchitectureError.notSequences(model: "conv1d (windows of a length divisible by 4; give --window)", exampleShape: exampleShape)
      }
      return timeSeries(length: exampleShape[0], channels: exampleShape.count == 2 ? exampleShape[1] : 1, activation: activation,
                        outputActivation: outputActivation)
    case "lstm":
      guard (1...2).contains(exampleShape.count) else {
        throw ArchitectureError.notSequences(model: "lstm (windows of a series; give --window)", exampleShape: exampleShape)
      }
      return recurrent(steps: exampleShape[0], features: exampleShape.count == 2 ? exampleShape[1] : 1, outputActivation: outputActivation)
    case "text":
      guard exampleShape.count == 1 else {
        throw ArchitectureError.notSequences(model: "text (a text file's windows of bytes; give --text, or --model text with a text file)", exampleShape: exampleShape)
      }
      return text(steps: exampleShape[0])
    default: return nil
    }
  }

  /// The names `preset(named:exampleShape:)` knows.
  public static let presetNames = ["dense", "deep", "conv", "conv-transpose", "vae", "vae-pytorch", "conv-vae", "codec", "conv1d", "lstm", "text"]

  /// The batch size each preset's tutorial trains with: 128 for the convolutional, variational,
  /// codec and recurrent ones, 32 for text (more steps per pass over a corpus of a few MB), else 256.
  public static func tutorialBatchSize(forPreset name: String) -> Int {
    if name == "text" { return 32 }
    return name.hasPrefix("conv") || name.contains("vae") || name == "codec" || name == "lstm" ? 128 : 256
  }

  /// `[h, w]` or `[h, w, c]` examples as `[h, w, c]`.
  static func imageShape(of exampleShape: [Int], for model: String) throws -> [Int] {
    switch exampleShape.count {
    case 2: return exampleShape + [1]
    case 3: return exampleShape
    default: throw ArchitectureError.notImages(model: model, exampleShape: exampleShape)
    }
  }

  /// The input shape for layers that start with `first`, given examples of `exampleShape`:
  /// images (`[h, w, 1]` for grayscale) for image layers, sequences (`[length, 1]` for one
  /// channel) for sequence layers, else flat vectors.
  public static func inputShape(for exampleShape: [Int], startingWith first: LayerSpec?, model: String = "the architecture") throws -> [Int] {
    if let first, first.takesImages { return try imageShape(of: exampleShape, for: model) }
    if let first, first.takesSequences {
      switch exampleShape.count {
      case 1: return exampleShape + [1]
      case 2: return exampleShape
      default: throw ArchitectureError.notSequences(model: model, exampleShape: exampleShape)
      }
    }
    return [exampleShape.reduce(1, *)]
  }
}
