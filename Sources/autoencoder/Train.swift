import ArgumentParser
import AutoencoderKit
import Foundation

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train an autoencoder; write its model file and a reconstruction figure.",
    discussion: "With no options: Keras's tutorial model (784-64-784, relu/sigmoid), Adam, binary cross-entropy, 50 epochs of batch 256 on Fashion-MNIST.")

  enum Preset: String, ExpressibleByArgument, CaseIterable {
    case dense, deep, conv, convTranspose = "conv-transpose", vae, vaePyTorch = "vae-pytorch", convVAE = "conv-vae", codec, conv1d, lstm, text
  }

  @Option(help: ArgumentHelp(
    "A preset: dense (784-64-784), deep (784-128-64-128-784), conv (the Keras blog's convolutional model, 4x4x8 code), conv-transpose (keras-io's denoising model), or the variational vae (the Keras blog's, 784-512-2), vae-pytorch (PyTorch's example, 784-400-20) and conv-vae (keras-io's), or codec (a rate-trained image codec: convolutions with GDN, a quantized 7x7x16 code and its learned density; trained on mse + λ·rate), or conv1d (keras-io's time-series model: 1-D convolutions over --window steps), or lstm (the LSTM autoencoder of Keras's tutorials: an LSTM of 64 to its last state, repeated, an LSTM of 64 back and a dense layer at each step), or text (a model of text for lossless compression: a byte embedding of 32, a GRU of 256 over every step and a dense layer to the next byte's 256 logits, trained on a text file's windows of --window bytes, default 128, with categorical cross-entropy). The input size follows the data."))
  var model: Preset?
  @Option(help: ArgumentHelp("The latent size of a variational model (vae: 2, vae-pytorch: 20, conv-vae: 2); with --hidden, makes the dense model variational.",
                             valueName: "n"))
  var latent: Int?
  @Option(help: "A variational model's weight on the KL term (β-VAE; 1 gives the evidence lower bound).") var beta: Float?
  @Option(help: ArgumentHelp("Raise a variational model's KL weight linearly from 0 to β over this many epochs.", valueName: "epochs"))
  var klWarmup: Int?
  @Option(help: ArgumentHelp("A codec's weight on its rate in bits per pixel (λ in distortion + λ·rate; default 0.01): larger gives smaller files.",
                             valueName: "λ"))
  var lambda: Float?
  @Option(help: ArgumentHelp("Hidden sizes down to the code, e.g. 256 or 128,64; the decoder mirrors them.", valueName: "sizes"))
  var hidden: HiddenSizes?
  @Option(help: ArgumentHelp(
    "Any architecture: a spec such as \"conv 16 3 relu, pool 2 | up 2, conv 1 3 sigmoid\" (encoder | decoder), or a JSON file. See the README.",
    valueName: "spec-or-file"))
  var architecture: String?
  @Option(help: "Hidden-layer activation (default: relu).") var activation: Activation?
  @Option(help: "Output activation (default: sigmoid; identity for standardized tables).") var outputActivation: Activation?
  @Option(help: "Passes over the training data (default: 50; with --resume, the checkpoint's, or more to go on longer).") var epochs: Int?
  @Option(help: "Examples per step (default: the tutorial's, 256 for dense models and 128 for the convolutional presets).")
  var batchSize: Int?
  @Option(help: "Optimizer (default: adam).") var optimizer: OptimizerConfiguration.Name?
  @Option(help: "Learning rate (default: Keras's for the optimizer: 0.001 for adam and rmsprop, 0.01 for sgd).")
  var learningRate: Float?
  @Option(help: "Momentum for sgd and rmsprop.") var momentum: Float?
  @Option(help: "Loss: bce (binary cross-entropy, the default for images), mse (the default for tables) or mae; cce (categorical cross-entropy) is a token model's, and its only one.")
  var loss: Loss?
  @Option(help: "mean (per pixel, as Keras; the default) or sum (per image; a variational model's only one).") var reduction: LossReduction?
  @Option(help: ArgumentHelp(
    "Train a denoising autoencoder: corrupt each batch's inputs (targets stay clean) with gaussian[:STD] (default 0.5), salt-and-pepper[:FRACTION] (0.1) or masking[:FRACTION] (0.25), clipped to [0, 1].",
    valueName: "noise"))
  var noise: Noise?
  @Option(help: ArgumentHelp(
    "Penalize the code's activity (a sparse autoencoder), per example: l1:WEIGHT (the Keras blog's is l1:1e-4, its l1(10e-5)), l2:WEIGHT, or kl:TARGET:WEIGHT (Ng's KL penalty toward a mean activation, e.g. kl:0.05:3; needs a sigmoid code).",
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
  @Option(help: "Seed for initialization, shuffling and noise (default: 0).") var seed: UInt64?
  @OptionGroup var data: DataOptions
  @Option(help: ArgumentHelp("Hold out this fraction of the training data for validation instead of the test split: its end, as Keras, for sources with splits; a seeded random draw from a single file (CSV, NPY, PNG folder without train/test).", valueName: "fraction"))
  var validationSplit: Double?
  @Option(help: ArgumentHelp(
    "Scale each column of a table, fitted on the training data and stored in the model: standard (mean 0, deviation 1; the default for CSV files and float arrays of rows), minmax (to [0, 1]) or none (the default for images).",
    valueName: "scaling"))
  var scaling: FeatureScaling.Kind?
  @Flag(inversion: .prefixedNo, help: "Shuffle the training data every epoch (default: on).") var shuffle: Bool?
  @Option(help: ArgumentHelp("Train and validate on examples of these classes only (label numbers), e.g. 0 or 0,2: a one-class model for anomaly detection.",
                             valueName: "labels"))
  var classes: ClassList?
  @Option(help: ArgumentHelp("Train and validate without examples of these classes (label numbers).", valueName: "labels")) var excludeClasses: ClassList?
  @Option(help: ArgumentHelp("Train on the first N examples only (quick trials).", valueName: "n")) var limit: Int?
  @OptionGroup(title: "Anomaly threshold (calibrate as it trains: the training examples' scores in the last epoch, no second pass)")
  var calibration: CalibrationOptions
  @OptionGroup(title: "Anomaly score (with a calibration rule)") var scoring: ScoreOptions
  @OptionGroup var threads: ThreadOptions
  @Option(name: .shortAndLong, help: "The model file to write.") var output = "model.safetensors"
  @Option(help: ArgumentHelp("The reconstruction figure to write (default: <output>-reconstruction.png).", valueName: "png"))
  var reconstruction: String?
  @Flag(help: "Write no reconstruction figure.") var noReconstruction = false
  @Option(help: ArgumentHelp("Where to save checkpoints to resume from (default: <output>-checkpoint.safetensors); removed when the run ends.",
                             valueName: "file"))
  var checkpoint: String?
  @Option(help: ArgumentHelp("Save a checkpoint every N epochs (default: every epoch for runs over a minute; 0: only on Ctrl-C).", valueName: "n"))
  var checkpointEvery: Int?
  @Option(help: ArgumentHelp("Continue the run a checkpoint saved (after Ctrl-C, a crash or a kill), with its settings and data; the result is the uninterrupted run's, bit for bit.",
                             valueName: "checkpoint"))
  var resume: String?
  @Flag(name: .shortAndLong, help: "Print only the result, no progress.") var quiet = false

  var figurePath: String? {
    noReconstruction ? nil : reconstruction ?? (output.hasSuffix(".safetensors") ? String(output.dropLast(12)) : output) + "-reconstruction.png"
  }

  var checkpointPath: String {
    checkpoint ?? (output.hasSuffix(".safetensors") ? String(output.dropLast(12)) : output) + "-checkpoint.safetensors"
  }

  func validate() throws {
    if let epochs, epochs < 1 { throw ValidationError("--epochs must be positive") }
    if calibration.givenRule == nil, scoring.score != nil || scoring.smoothing != nil || scoring.importanceSamples != nil {
      throw ValidationError("--score, --smoothing and --importance-samples set the score of a calibration: give --contamination, --percentile or --sigma too")
    }
    if let checkpointEvery, checkpointEvery < 0 { throw ValidationError("--checkpoint-every \(checkpointEvery): give a non-negative number of epochs") }
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be positive") }
    if let learningRate, !(learningRate > 0 && learningRate.isFinite) { throw ValidationError("--learning-rate must be a positive number") }
    if let momentum, !(momentum >= 0 && momentum < 1) { throw ValidationError("--momentum must lie in [0, 1)") }
    if let validationSplit, !(validationSplit > 0 && validationSplit < 1) { throw ValidationError("--validation-split must lie in (0, 1)") }
    if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
    if model == .codec, let activation {
      throw ValidationError("--activation \(activation): the codec's nonlinearity is GDN (IGDN in its decoder); for another, give an --architecture, "
        + "e.g. \"conv 32 5 stride 2 \(activation), conv 32 5 stride 2 \(activation), conv 16 3, bottleneck | convt 32 3 \(activation), "
        + "convt 32 5 stride 2 \(activation), convt 1 5 stride 2 sigmoid\"")
    }
    if [model != nil, hidden != nil, architecture != nil].filter({ $0 }).count > 1 {
      throw ValidationError("give one of --model, --hidden and --architecture")
    }
    if let latent, !(1...Limits.maximumDimension).contains(latent) { throw ValidationError("--latent \(latent): give 1 to \(Limits.maximumDimension)") }
    if let beta, !(beta >= 0 && beta.isFinite) { throw ValidationError("--beta \(beta): give a non-negative number") }
    if let klWarmup, klWarmup < 0 { throw ValidationError("--kl-warmup \(klWarmup): give a non-negative number of epochs") }
    if let lambda, !(lambda >= 0 && lambda.isFinite) { throw ValidationError("--lambda \(lambda): give a non-negative number") }
    _ = try regularization()
    if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) { throw ValidationError("--weight-decay \(weightDecay): give a non-negative number") }
    if let earlyStopping, earlyStopping < 0 { throw ValidationError("--early-stopping \(earlyStopping): give a non-negative number of epochs") }
    if let minDelta {
      guard minDelta >= 0 && minDelta.isFinite else { throw ValidationError("--min-delta \(minDelta): give a non-negative number") }
      guard earlyStopping != nil else { throw ValidationError("--min-delta applies to --early-stopping") }
    }
    try checkWritable(output, option: "--output")
    try checkWritable(checkpointPath, option: "--checkpoint")
    guard checkpointPath != output, checkpointPath != figurePath else { throw ValidationError("--checkpoint \(checkpointPath) is also an output file") }
    if let resume {
      let given = [("--model", model != nil), ("--latent", latent != nil), ("--beta", beta != nil), ("--kl-warmup", klWarmup != nil), ("--lambda", lambda != nil),
                   ("--hidden", hidden != nil), ("--architecture", architecture != nil), ("--activation", activation != nil),
                   ("--output-activation", outputActivation != nil), ("--batch-size", batchSize != nil), ("--optimizer", optimizer != nil),
                   ("--learning-rate", learningRate != nil), ("--momentum", momentum != nil), ("--loss", loss != nil),
                   ("--reduction", reduction != nil), ("--noise", noise != nil), ("--sparsity", sparsity != nil),
                   ("--weight-penalty", weightPenalty != nil), ("--weight-decay", weightDecay != nil), ("--lr-schedule", lrSchedule != nil),
                   ("--early-stopping", earlyStopping != nil), ("--min-delta", minDelta != nil), ("--seed", seed != nil),
                   ("--validation-split", validationSplit != nil), ("--shuffle", shuffle != nil), ("--limit", limit != nil),
                   ("--scaling", scaling != nil), ("--classes", classes != nil), ("--exclude-classes", excludeClasses != nil), ("--resize", data.resize != nil), ("--color", data.color != nil), ("--header", data.header != nil),
                   ("--label-column", data.labelColumn != nil), ("--labels", data.labels != nil), ("--value-columns", data.valueColumns != nil),
                   ("--window", data.window != nil), ("--window-stride", data.windowStride != nil), ("--text", data.text)]
      if let (option, _) = given.first(where: \.1) {
        throw ValidationError("\(option) with --resume \(resume): a resumed run keeps the settings its checkpoint holds (see autoencoder info \(resume)); "
          + "only --epochs, --threads (the same), --data (the same) and the outputs may be given")
      }
    }
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

  /// What to train: the settings, the architecture and the data; from the options, or from the
  /// checkpoint to resume (which must agree with any --threads, --data and --epochs given).
  func plan() throws -> (configuration: TrainingConfiguration, architecture: Architecture, sets: (training: ImageSet, validation: ImageSet?),
                         resuming: Checkpoint?) {
    if let resume {
      let saved = try Checkpoint.read(resume)
      var configuration = saved.training
      if let threads = threads.threads, threads != configuration.threads {
        throw ValidationError("--threads \(threads) with --resume \(resume): the run used \(configuration.threads) threads, and only the same threads give "
          + "the same bits; give --threads \(configuration.threads)")
      }
      Parallel.threads = configuration.threads
      if data.data != IDXFolder.fashionMNIST && data.data != configuration.data {
        throw ValidationError("--data \(data.data) with --resume \(resume): the run trained on \(configuration.data)")
      }
      if let epochs {
        if case .cosine(nil, _) = configuration.schedule, epochs != configuration.epochs {
          throw ValidationError("--epochs \(epochs) with --resume \(resume): the run's cosine schedule decays over its \(configuration.epochs) epochs")
        }
        guard epochs > saved.snapshot.progress.epochsDone else {
          throw ValidationError("--epochs \(epochs) with --resume \(resume): the checkpoint has done \(saved.snapshot.progress.epochsDone) epochs already")
        }
        configuration.epochs = epochs
      }
      return (configuration, saved.model.architecture, try TrainingRun.data(configuration), saved)
    }
    let choice: ModelChoice = architecture.map { .architecture($0) } ?? hidden.map { .hiddenSizes($0.sizes) } ?? .preset((model ?? .dense).rawValue)
    var configuration = TrainingConfiguration(
      epochs: epochs ?? 50, batchSize: batchSize ?? choice.tutorialBatchSize, shuffle: shuffle ?? true, seed: seed ?? 0,
      loss: loss ?? .binaryCrossEntropy, reduction: reduction ?? .mean,
      optimizer: OptimizerConfiguration(name: optimizer ?? .adam, learningRate: learningRate, momentum: momentum,
                                        weightDecay: weightDecay.flatMap { $0 > 0 ? $0 : nil }),
      data: data.data, validation: validationSplit.map { "last \(Int(($0 * 100).rounded()))% of training" } ?? "test split",
      threads: Parallel.threads, noise: noise)
    var reading = data.reading
    reading.scaling = scaling
    if model == .text { reading.text = true }
    if reading.text == true {
      // A text's windows do not overlap unless asked to.
      reading.window = reading.window ?? ReadingOptions.defaultTextWindow
      reading.windowStride = reading.windowStride ?? reading.window
    }
    if reading != ReadingOptions() { configuration.reading = reading }
    let source = try DataSource(data.data, options: reading)
    if let model, [.conv1d, .lstm].contains(model), [.idx, .images].contains(source.kind) {
      throw ValidationError("--model \(model.rawValue) takes a time series' windows (a CSV or .npy series with --window STEPS), not the images of \(source.path)")
    }
    if validationSplit == nil, !source.hasSplits { configuration.validation = "none" }
    if let validationSplit, !source.hasSplits, reading.window == nil {
      configuration.validation = "a seeded random \(Int((validationSplit * 100).rounded()))% of the examples"
    }
    let (sparsity, weights, schedule) = try regularization()
    configuration.sparsity = sparsity
    configuration.weightPenalty = weights
    configuration.schedule = schedule
    configuration.earlyStopping = earlyStopping.map { EarlyStoppingSettings(patience: $0, minimumDelta: minDelta ?? 0) }
    configuration.limit = limit
    configuration.validationSplit = validationSplit
    configuration.classes = classes?.labels
    configuration.excludedClasses = excludeClasses?.labels
    let sets = try TrainingRun.data(configuration)
    // Standardized tables have no bounds: a linear output and squared error suit them.
    let standardized = sets.training.scaling?.kind == .standard
    configuration.loss = loss ?? (sets.training.scaling == nil ? .binaryCrossEntropy : .meanSquaredError)
    let architecture = try choice.architecture(exampleShape: sets.training.exampleShape, activation: activation ?? .relu,
                                               outputActivation: outputActivation ?? (standardized ? .identity : .sigmoid), latent: latent)
    if architecture.vocabulary != nil {
      // A token model's outputs are logits over its tokens.
      if let loss, loss != .categoricalCrossEntropy {
        throw ValidationError("--loss \(loss.rawValue): a token model (its first layer an embedding) is trained on categorical cross-entropy (cce)")
      }
      configuration.loss = .categoricalCrossEntropy
    } else if configuration.loss == .categoricalCrossEntropy {
      throw ValidationError("--loss cce: categorical cross-entropy is a token model's loss (--model text, or an embedding first in a spec)")
    }
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
    if architecture.bottleneck != nil {
      // A codec's distortion is the squared error, unless another loss is asked for.
      configuration.loss = loss ?? .meanSquaredError
      configuration.lambda = lambda ?? 0.01
    } else if lambda != nil {
      throw ValidationError("--lambda applies to codecs (--model codec, or bottleneck in a spec)")
    }
    if case .kl = sparsity, architecture.codeActivation != .sigmoid {
      throw ValidationError("--sparsity \(self.sparsity!): the KL penalty needs a code in (0, 1); give the code layer a sigmoid activation "
        + "(e.g. --architecture \"dense 64 sigmoid | dense \(architecture.inputSize) sigmoid\"), or use l1")
    }
    return (configuration, architecture, sets, nil)
  }

  func run() throws {
    try threads.prepare()
    let (configuration, architecture, sets, resuming) = try plan()
    let loss = configuration.loss, noise = configuration.noise
    let run = TrainingRun(architecture: architecture, configuration: configuration)
    let parameters = try architecture.summary().reduce(0) { $0 + $1.parameters }
    if !quiet {
      let objective = architecture.isVariational
        ? "\(loss.name) summed per image + \(configuration.beta == 1 ? "" : "β·")KL\(configuration.beta == 1 ? "" : " (β \(configuration.beta!))")"
          + (configuration.klWarmupEpochs.map { ", KL weight warmed up over \($0) epochs" } ?? "")
        : configuration.lambda.map { "\(loss.name) + λ·rate in bits per pixel (λ \($0))" } ?? loss.name
      let extras = [configuration.sparsity.map { "sparsity \($0)" }, configuration.weightPenalty.map { "weight penalty \($0)" },
                    configuration.schedule.map { "learning rate \($0)" },
                    configuration.earlyStopping.map { "early stopping after \($0.patience) epochs without improvement" }].compactMap { $0 }
      if let resuming {
        let progress = resuming.snapshot.progress
        say("Resuming \(resume!): epoch \(progress.epochsDone + 1) of \(configuration.epochs)"
          + (progress.batchesDone > 0 ? ", after its step \(progress.batchesDone)" : ""))
      }
      say("Training \(architecture.description) (\(grouped(parameters)) parameters) with \(configuration.optimizer.description), "
        + "\(objective), batch \(configuration.batchSize), \(configuration.epochs) epochs" + (noise.map { ", inputs corrupted by \($0) noise" } ?? "")
        + extras.map { ", \($0)" }.joined())
      let fitted = sets.training.windowing == nil ? "fitted on the training examples" : "fitted on the training windows' steps"
      let scaled = sets.training.scaling.map { ", columns scaled \($0.kind == .standard ? "to mean 0 and deviation 1" : "to [0, 1]") (\(fitted))" } ?? ""
      say("Data: \(grouped(sets.training.count)) training and \(grouped(sets.validation?.count ?? 0)) validation examples (\(configuration.validation)) "
        + "of shape \(sets.training.exampleShape) from \(configuration.data)\(scaled)")
    }
    var unit = loss.unit(configuration.reduction, scaled: sets.training.scaling != nil)
    if configuration.lambda != nil { unit = "\(unit) + λ·bits/pixel; rate in bits/pixel" }  // a codec's two terms have two units
    let progress = ProgressBar(unit: unit, valuesPerExample: architecture.isVariational ? architecture.inputSize : nil)
    var calibrating: (scorer: AnomalyScorer, rule: Calibration.Rule, samples: Int)?
    if let rule = calibration.givenRule {
      let (scorer, samples, _) = try scoring.scorer(for: sets.training, loss: loss)
      // Refused now, not after the training.
      if scorer.kind.isVariational, !architecture.isVariational || loss != .binaryCrossEntropy {
        throw ValidationError("--score \(scorer.kind.rawValue): " + (architecture.isVariational ? EvaluationError.notBernoulli(loss).description
          : EvaluationError.notVariational("the \(scorer.kind.rawValue) score").description))
      }
      calibrating = (scorer, rule, samples)
    }
    let checkpoints = TrainingRun.CheckpointSettings(path: checkpointPath, everyEpochs: checkpointEvery) { Interruption.requested != nil }
    let file: ModelFile
    do {
      file = try Interruption.deferringExit {
        try run.run(data: sets, callbacks: quiet ? [] : [progress], checkpoint: checkpoints, resuming: resuming, calibrating: calibrating)
      }
    } catch let stopped as TrainingRun.Interrupted {
      // The checkpoint is saved; the model as it stands goes beside it, and the line says how to go on.
      try stopped.file.write(to: output)
      let signal = Interruption.requested ?? SIGINT
      FileHandle.standardError.write(Data(("autoencoder: \(stopped.interruption); saved \(checkpointPath) and wrote \(output) "
        + "(\(stopped.file.history?.epochs.count ?? 0) complete epochs). Resume with: autoencoder train --resume \(checkpointPath)"
        + (output == "model.safetensors" ? "" : " -o \(output)") + "\n").utf8))
      throw ExitCode(128 + signal)
    }
    // The model file and the figure are written together, all or nothing.
    var outputs = [(path: output, data: try file.encode())]
    var figureNote: String?
    if let figurePath, sets.training.exampleShape.count >= 2, let shown = sets.validation ?? Optional(sets.training) {
      let which = sets.validation == nil ? "training" : "validation"
      let figure: Image
      if let noise {
        let denoiser = Denoiser(model: file.model, noise: noise, seed: configuration.evaluationNoiseSeed)
        let (noisy, denoised) = try denoiser.run(on: shown.prefix(10))
        figure = try denoiser.figure(clean: shown, inputs: noisy, outputs: denoised)
        figureNote = "the first 10 \(which) images, clean, with \(noise) noise, and denoised"
      } else {
        figure = try ReconstructionFigure().render(file.model, on: shown)
        figureNote = shown.windowing == nil
          ? "the first 10 \(which) images above their reconstructions"
          : "the first \(ReconstructionFigure.windowCount) \(which) windows back to back and their reconstruction"
      }
      outputs.append((figurePath, Data(PNG.encode(figure))))
    }
    try FileIO.writeAtomically(outputs)
    // The run is complete: its checkpoint has nothing left to resume.
    if FileIO.exists(checkpointPath) { try? FileManager.default.removeItem(atPath: checkpointPath) }
    let epochs = file.history?.epochs ?? []
    let kept = file.history?.restoredEpoch.flatMap { restored in epochs.first { $0.epoch == restored } } ?? epochs.last
    let stopped = epochs.count < configuration.epochs ? "; stopped early after epoch \(epochs.count) of \(configuration.epochs)" : ""
    let restored = file.history?.restoredEpoch.map { "; weights of epoch \($0), the best val_loss" } ?? ""
    say("Wrote \(output): \(architecture.description), loss \(String(format: "%.4f", kept?.loss ?? .nan))"
      + (kept?.validationLoss.map { ", val_loss \(String(format: "%.4f", $0))" } ?? "") + " \(unit)" + stopped + restored)
    if let figurePath, let figureNote { say("Wrote \(figurePath): \(figureNote)") }
    if let tables = file.contextTables { say("Context tables: \(tables.summary), for compress") }
    if let calibration = file.calibration {
      say("Calibrated on \(calibration.data): \(calibration.scoreDescription) scores mean \(calibration.normalMean), threshold \(calibration.threshold) (\(calibration.rule))")
    }
    if !quiet, let validation = sets.validation {
      // A narrow relu layer whose units died in training caps the loss (Training/DeadUnits.swift).
      let dying = try file.model.deadUnits(on: validation).filter { 2 * $0.dead >= $0.units }
      if !dying.isEmpty {
        say("Relu units zero on every validation example: \(dying.map(\.summary).joined(separator: ", ")) (dead units learn no more; "
          + "`evaluate` lists every layer's)")
      }
    }
    if figurePath != nil, figureNote == nil, architecture.vocabulary == nil {
      say("No reconstruction figure: examples of shape \(sets.training.exampleShape) are not images")
    }
  }
}
