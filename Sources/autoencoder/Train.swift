import ArgumentParser
import AutoencoderKit
import Foundation

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train an autoencoder; write its model file and a reconstruction figure.",
    discussion: "With no options: Keras's tutorial model (784-64-784, relu/sigmoid), Adam, binary cross-entropy, 50 epochs of batch 256 on Fashion-MNIST.")

  enum Preset: String, ExpressibleByArgument, CaseIterable {
    case dense, deep, conv, convTranspose = "conv-transpose", vae, vaePyTorch = "vae-pytorch", convVAE = "conv-vae"
  }

  @Option(help: ArgumentHelp(
    "A preset: dense (784-64-784), deep (784-128-64-128-784), conv (the Keras blog's convolutional model, 4x4x8 code), conv-transpose (keras-io's denoising model), or the variational vae (the Keras blog's, 784-512-2), vae-pytorch (PyTorch's example, 784-400-20) and conv-vae (keras-io's). The input size follows the data."))
  var model: Preset?
  @Option(help: ArgumentHelp("The latent size of a variational model (vae: 2, vae-pytorch: 20, conv-vae: 2); with --hidden, makes the dense model variational.",
                             valueName: "n"))
  var latent: Int?
  @Option(help: "A variational model's weight on the KL term (β-VAE; 1 gives the evidence lower bound).") var beta: Float?
  @Option(help: ArgumentHelp("Raise a variational model's KL weight linearly from 0 to β over this many epochs.", valueName: "epochs"))
  var klWarmup: Int?
  @Option(help: ArgumentHelp("Hidden sizes down to the code, e.g. 256 or 128,64; the decoder mirrors them.", valueName: "sizes"))
  var hidden: HiddenSizes?
  @Option(help: ArgumentHelp(
    "Any architecture: a spec such as \"conv 16 3 relu, pool 2 | up 2, conv 1 3 sigmoid\" (encoder | decoder), or a JSON file. See the README.",
    valueName: "spec-or-file"))
  var architecture: String?
  @Option(help: "Hidden-layer activation.") var activation: Activation = .relu
  @Option(help: "Output activation.") var outputActivation: Activation = .sigmoid
  @Option(help: "Passes over the training data.") var epochs = 50
  @Option(help: "Examples per step (default: the tutorial's, 256 for dense models and 128 for the convolutional presets).")
  var batchSize: Int?
  @Option(help: "Optimizer.") var optimizer: OptimizerConfiguration.Name = .adam
  @Option(help: "Learning rate (default: Keras's for the optimizer: 0.001 for adam and rmsprop, 0.01 for sgd).")
  var learningRate: Float?
  @Option(help: "Momentum for sgd and rmsprop.") var momentum: Float?
  @Option(help: "Loss: bce (binary cross-entropy), mse or mae.") var loss: Loss = .binaryCrossEntropy
  @Option(help: "mean (per pixel, as Keras; the default) or sum (per image; a variational model's only one).") var reduction: LossReduction?
  @Option(help: ArgumentHelp(
    "Train a denoising autoencoder: corrupt each batch's inputs (targets stay clean) with gaussian[:STD] (default 0.5), salt-and-pepper[:FRACTION] (0.1) or masking[:FRACTION] (0.25), clipped to [0, 1].",
    valueName: "noise"))
  var noise: Noise?
  @Option(help: ArgumentHelp(
    "Penalize the code's activity (a sparse autoencoder), per example: l1:WEIGHT (the Keras blog's, e.g. l1:1e-5), l2:WEIGHT, or kl:TARGET:WEIGHT (Ng's KL penalty toward a mean activation, e.g. kl:0.05:3; needs a sigmoid code).",
    valueName: "penalty"))
  var sparsity: String?
  @Option(help: ArgumentHelp("Penalize the weights (kernels, as Keras's kernel_regularizer): l2:WEIGHT or l1:WEIGHT, e.g. l2:1e-4.", valueName: "penalty"))
  var weightPenalty: String?
  @Option(help: ArgumentHelp("Decoupled weight decay (AdamW with adam, as Keras's weight_decay): each step, weights shrink by decay × learning rate.",
                             valueName: "decay"))
  var weightDecay: Float?
  @Option(help: ArgumentHelp(
    "Change the learning rate over the run, in Keras's definitions: cosine[:ALPHA[:EPOCHS]] (CosineDecay over the run), step[:EVERY[:FACTOR]] (x0.5 every 10 epochs), plateau[:FACTOR[:PATIENCE[:MIN_LR]]] (ReduceLROnPlateau on val_loss: x0.1 after 10 epochs without improvement).",
    valueName: "schedule"))
  var lrSchedule: String?
  @Option(help: ArgumentHelp("Stop after this many epochs without a lower val_loss, and keep the best epoch's weights.", valueName: "patience"))
  var earlyStopping: Int?
  @Option(help: ArgumentHelp("The least fall in val_loss that counts as an improvement for --early-stopping.", valueName: "delta"))
  var minDelta: Float?
  @Option(help: "Seed for initialization, shuffling and noise.") var seed: UInt64 = 0
  @OptionGroup var data: DataOptions
  @Option(help: ArgumentHelp("Hold out this fraction of the training data for validation instead of the test split.", valueName: "fraction"))
  var validationSplit: Double?
  @Flag(inversion: .prefixedNo, help: "Shuffle the training data every epoch.") var shuffle = true
  @Option(help: ArgumentHelp("Train on the first N examples only (quick trials).", valueName: "n")) var limit: Int?
  @OptionGroup var threads: ThreadOptions
  @Option(name: .shortAndLong, help: "The model file to write.") var output = "model.safetensors"
  @Option(help: ArgumentHelp("The reconstruction figure to write (default: <output>-reconstruction.png).", valueName: "png"))
  var reconstruction: String?
  @Flag(help: "Write no reconstruction figure.") var noReconstruction = false
  @Flag(name: .shortAndLong, help: "Print only the result, no progress.") var quiet = false

  var figurePath: String? {
    noReconstruction ? nil : reconstruction ?? (output.hasSuffix(".safetensors") ? String(output.dropLast(12)) : output) + "-reconstruction.png"
  }

  func validate() throws {
    guard epochs > 0 else { throw ValidationError("--epochs must be positive") }
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be positive") }
    if let learningRate, !(learningRate > 0 && learningRate.isFinite) { throw ValidationError("--learning-rate must be a positive number") }
    if let momentum, !(momentum >= 0 && momentum < 1) { throw ValidationError("--momentum must lie in [0, 1)") }
    if let validationSplit, !(validationSplit > 0 && validationSplit < 1) { throw ValidationError("--validation-split must lie in (0, 1)") }
    if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
    if [model != nil, hidden != nil, architecture != nil].filter({ $0 }).count > 1 {
      throw ValidationError("give one of --model, --hidden and --architecture")
    }
    if let latent, !(1...Limits.maximumDimension).contains(latent) { throw ValidationError("--latent \(latent): give 1 to \(Limits.maximumDimension)") }
    if let beta, !(beta >= 0 && beta.isFinite) { throw ValidationError("--beta \(beta): give a non-negative number") }
    if let klWarmup, klWarmup < 0 { throw ValidationError("--kl-warmup \(klWarmup): give a non-negative number of epochs") }
    _ = try regularization()
    if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) { throw ValidationError("--weight-decay \(weightDecay): give a non-negative number") }
    if let earlyStopping, earlyStopping < 0 { throw ValidationError("--early-stopping \(earlyStopping): give a non-negative number of epochs") }
    if let minDelta {
      guard minDelta >= 0 && minDelta.isFinite else { throw ValidationError("--min-delta \(minDelta): give a non-negative number") }
      guard earlyStopping != nil else { throw ValidationError("--min-delta applies to --early-stopping") }
    }
    try checkWritable(output, option: "--output")
    if let figurePath {
      try checkWritable(figurePath, option: "--reconstruction")
      guard figurePath != output else { throw ValidationError("--reconstruction \(figurePath) is also the --output model file") }
    }
  }

  /// The parsed `--sparsity`, `--weight-penalty` and `--lr-schedule`.
  func regularization() throws -> (sparsity: ActivityPenalty?, weights: WeightPenalty?, schedule: LearningRateSchedule?) {
    func parse<T>(_ option: String, _ text: String?, _ read: (String) throws -> T) throws -> T? {
      guard let text else { return nil }
      do { return try read(text) } catch { throw ValidationError("--\(option) \(error)") }
    }
    return (try parse("sparsity", sparsity, ActivityPenalty.init(parsing:)), try parse("weight-penalty", weightPenalty, WeightPenalty.init(parsing:)),
            try parse("lr-schedule", lrSchedule, LearningRateSchedule.init(parsing:)))
  }

  func run() throws {
    try threads.prepare()
    let choice: ModelChoice = architecture.map { .architecture($0) } ?? hidden.map { .hiddenSizes($0.sizes) } ?? .preset((model ?? .dense).rawValue)
    let batchSize = batchSize ?? choice.tutorialBatchSize
    var configuration = TrainingConfiguration(
      epochs: epochs, batchSize: batchSize, shuffle: shuffle, seed: seed, loss: loss, reduction: reduction ?? .mean,
      optimizer: OptimizerConfiguration(name: optimizer, learningRate: learningRate, momentum: momentum,
                                        weightDecay: weightDecay.flatMap { $0 > 0 ? $0 : nil }),
      data: data.data, validation: validationSplit.map { "last \(Int(($0 * 100).rounded()))% of training" } ?? "test split",
      threads: Parallel.threads, noise: noise)
    let (sparsity, weights, schedule) = try regularization()
    configuration.sparsity = sparsity
    configuration.weightPenalty = weights
    configuration.schedule = schedule
    configuration.earlyStopping = earlyStopping.map { EarlyStoppingSettings(patience: $0, minimumDelta: minDelta ?? 0) }
    let sets = try TrainingRun.data(configuration, limit: limit, validationSplit: validationSplit)
    let architecture = try choice.architecture(exampleShape: sets.training.exampleShape, activation: activation,
                                               outputActivation: outputActivation, latent: latent)
    if architecture.isVariational {
      // The evidence lower bound sums the reconstruction over each image's pixels.
      guard reduction != .mean else {
        throw ValidationError("--reduction mean: a variational model's reconstruction term is summed per image (the evidence lower bound)")
      }
      configuration.reduction = .sum
      configuration.beta = beta ?? 1
      configuration.klWarmupEpochs = klWarmup
    } else if beta != nil || klWarmup != nil {
      throw ValidationError("--beta and --kl-warmup apply to variational models (--model vae, vae-pytorch, conv-vae, --latent, or latent N in a spec)")
    }
    if case .kl = sparsity, architecture.codeActivation != .sigmoid {
      throw ValidationError("--sparsity \(self.sparsity!): the KL penalty needs a code in (0, 1); give the code layer a sigmoid activation "
        + "(e.g. --architecture \"dense 64 sigmoid | dense \(architecture.inputSize) sigmoid\"), or use l1")
    }
    let run = TrainingRun(architecture: architecture, configuration: configuration, limit: limit, validationSplit: validationSplit)
    let parameters = try architecture.summary().reduce(0) { $0 + $1.parameters }
    if !quiet {
      let objective = architecture.isVariational
        ? "\(loss.name) summed per image + \(configuration.beta == 1 ? "" : "β·")KL\(configuration.beta == 1 ? "" : " (β \(configuration.beta!))")"
          + (klWarmup.map { ", KL weight warmed up over \($0) epochs" } ?? "")
        : loss.name
      let extras = [sparsity.map { "sparsity \($0)" }, weights.map { "weight penalty \($0)" }, schedule.map { "learning rate \($0)" },
                    earlyStopping.map { "early stopping after \($0) epochs without improvement" }].compactMap { $0 }
      say("Training \(architecture.description) (\(grouped(parameters)) parameters) with \(configuration.optimizer.description), "
        + "\(objective), batch \(batchSize), \(epochs) epochs" + (noise.map { ", inputs corrupted by \($0) noise" } ?? "")
        + extras.map { ", \($0)" }.joined())
      say("Data: \(grouped(sets.training.count)) training and \(grouped(sets.validation?.count ?? 0)) validation images (\(configuration.validation)) from \(data.data)")
    }
    let unit = loss.unit(configuration.reduction)
    let progress = ProgressBar(unit: unit, valuesPerExample: architecture.isVariational ? architecture.inputSize : nil)
    let file = try run.run(data: sets, callbacks: quiet ? [] : [progress])
    // The model file and the figure are written together, all or nothing.
    var outputs = [(path: output, data: try file.encode())]
    var figureNote: String?
    if let figurePath, let shown = sets.validation ?? Optional(sets.training) {
      let which = sets.validation == nil ? "training" : "validation"
      let figure: Image
      if let noise {
        let denoiser = Denoiser(model: file.model, noise: noise, seed: configuration.evaluationNoiseSeed)
        let (noisy, denoised) = try denoiser.run(on: shown.prefix(10))
        figure = try denoiser.figure(clean: shown, inputs: noisy, outputs: denoised)
        figureNote = "the first 10 \(which) images, clean, with \(noise) noise, and denoised"
      } else {
        figure = try ReconstructionFigure().render(file.model, on: shown)
        figureNote = "the first 10 \(which) images above their reconstructions"
      }
      outputs.append((figurePath, Data(PNG.encode(figure))))
    }
    try FileIO.writeAtomically(outputs)
    let epochs = file.history?.epochs ?? []
    let kept = file.history?.restoredEpoch.flatMap { restored in epochs.first { $0.epoch == restored } } ?? epochs.last
    let stopped = epochs.count < self.epochs ? "; stopped early after epoch \(epochs.count) of \(self.epochs)" : ""
    let restored = file.history?.restoredEpoch.map { "; weights of epoch \($0), the best val_loss" } ?? ""
    say("Wrote \(output): \(architecture.description), loss \(String(format: "%.4f", kept?.loss ?? .nan))"
      + (kept?.validationLoss.map { ", val_loss \(String(format: "%.4f", $0))" } ?? "") + " \(unit)" + stopped + restored)
    if let figurePath, let figureNote { say("Wrote \(figurePath): \(figureNote)") }
  }
}
