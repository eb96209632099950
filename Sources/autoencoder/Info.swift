import ArgumentParser
import AutoencoderKit
import Foundation

struct Info: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Describe a model file (architecture, parameters, training, history), or with --system this machine's compute.")

  @Argument(help: "The model file.") var model: String?
  @Flag(help: "Describe the BLAS library, its kernels and threads, and the SIMD level instead.") var system = false
  @Flag(help: "Print one JSON object.") var json = false
  @Option(help: ArgumentHelp("Also draw the training curves (loss and val_loss per epoch) to this PNG file.", valueName: "png"))
  var plot: String?
  @OptionGroup var threads: ThreadOptions

  func validate() throws {
    guard (model != nil) != system else { throw ValidationError("give a model file or --system") }
    if let plot {
      guard !system else { throw ValidationError("--plot draws a model file's history; it does not apply to --system") }
      try checkWritable(plot, option: "--plot")
    }
  }

  func run() throws {
    if system {
      try threads.prepare()
      let info = SystemInfo.current()
      if json { return try printJSON(info) }
      say("CPU:          \(info.cpu.isEmpty ? "unknown" : info.cpu)")
      say("SIMD:         \(info.kernelSIMD) element-wise kernels (CPU supports \(info.cpuSIMD))")
      say("BLAS:         \(info.blasLibrary)\(info.blasConfiguration.isEmpty ? "" : " (\(info.blasConfiguration))")")
      if !info.blasCore.isEmpty { say("BLAS kernels: \(info.blasCore) (\(info.blasCoreSource))") }
      if let advice = info.blasOverrideAdvice { say("              \(advice)") }
      say("Threads:      \(info.threads) (\(info.productThreading))")
      return
    }
    // A checkpoint is described as the model it holds, after a line on where its run stands.
    let (file, checkpoint) = try ModelFile.readModelOrCheckpoint(model!)
    let architecture = file.model.architecture
    if let plot {
      let unit = file.training.map { $0.loss.unit($0.reduction, scaled: file.data?.scaling != nil) } ?? ""
      guard let history = file.history, let chart = LossPlot(history: history, unit: unit).chart() else {
        throw ValidationError("--plot \(plot): \(model!) has no training history to draw")
      }
      try FileIO.writeAtomically(Data(PNG.encode(chart.render())), to: plot)
    }
    if json { return try printJSON(Report(file: file, checkpoint: checkpoint)) }
    say("\(model!): \(architecture.description)")
    if let progress = checkpoint {
      say("Checkpoint: \(progress.epochsDone) of \(file.training?.epochs ?? 0) epochs done"
        + (progress.batchesDone > 0 ? " and \(progress.batchesDone) steps of the next" : "") + "; continue with: autoencoder train --resume \(model!)")
    }
    if let shape = architecture.displayShape { say("Images: \(shape.height)x\(shape.width)") }
    let rows = try architecture.summary()
    let layerWidth = max(5, rows.map(\.layer.count).max() ?? 0)
    say("  " + "Name".padding(toLength: 11, withPad: " ", startingAt: 0) + "Layer".padding(toLength: layerWidth + 2, withPad: " ", startingAt: 0)
      + "Output".padding(toLength: 14, withPad: " ", startingAt: 0) + "Parameters")
    for row in rows {
      say("  " + row.name.padding(toLength: 11, withPad: " ", startingAt: 0) + row.layer.padding(toLength: layerWidth + 2, withPad: " ", startingAt: 0)
        + "\(row.outputShape)".padding(toLength: 14, withPad: " ", startingAt: 0) + grouped(row.parameters).leftPadded(10))
    }
    say("Parameters: \(grouped(file.model.parameterCount))")
    if let latent = architecture.latent {
      say("Variational: a \(latent)-dimensional Gaussian latent q(z|x) (mean and log-variance), prior N(0, I), KL weight β \(file.training?.beta ?? 1)"
        + (file.training?.klWarmupEpochs.map { ", warmed up over \($0) epochs" } ?? ""))
    }
    if architecture.bottleneck != nil {
      say("Codec: an entropy bottleneck over the \(try architecture.codeShape().map(String.init).joined(separator: "×")) code (rounded; uniform noise in training), "
        + "trained on \(file.training?.loss.name ?? "the distortion") + λ·rate, λ \(file.training?.lambda.map { "\($0)" } ?? "?"); "
        + (file.entropyTables == nil ? "no probability tables stored" : "\(file.entropyTables!.count) probability tables stored")
        + (file.contextTables.map { "; context tables \($0.summary)" } ?? ""))
    }
    if let training = file.training {
      say("Trained: \(training.epochs) epochs, batch \(training.batchSize), \(training.optimizer.description), \(training.loss.name) "
        + "(\(training.reduction.rawValue)), seed \(training.seed), \(training.threads) threads, data \(training.data), validation \(training.validation)"
        + (training.noise.map { ", denoising \($0) noise" } ?? ""))
      let extras = [training.sparsity.map { "sparsity \($0) (per example)" }, training.weightPenalty.map { "weight penalty \($0)" },
                    training.schedule.map { "learning-rate schedule \($0)" },
                    training.earlyStopping.map { "early stopping (patience \($0.patience), min_delta \($0.minimumDelta))" }].compactMap { $0 }
      if !extras.isEmpty { say("Regularized: " + extras.joined(separator: ", ")) }
    }
    if let data = file.data {
      if let columns = data.columnNames { say("Columns: \(columns.prefix(12).joined(separator: ", "))\(columns.count > 12 ? ", ... (\(columns.count))" : "")") }
      if let scaling = data.scaling {
        say("Scaling: \(scaling.kind == .standard ? "standardized (x − mean) / deviation" : "min-max (x − min) / (max − min)") per column, "
          + "fitted on the training data; later commands scale new data the same way and write outputs in the data's units")
      }
      if let classes = data.classNames { say("Classes: \(classes.prefix(20).joined(separator: ", "))\(classes.count > 20 ? ", ... (\(classes.count))" : "")") }
    }
    if let history = file.history, !history.epochs.isEmpty {
      let unit = file.training.map { $0.loss.unit($0.reduction, scaled: file.data?.scaling != nil) } ?? ""
      let terms = history.termNames
      let weights = history.epochs.contains { ($0.klWeight ?? 1) != 1 }
      let rates = history.epochs.contains { $0.learningRate != nil }
      let columns = ["loss"] + terms + (weights ? ["kl_weight"] : []) + ["val_loss"] + terms.map { "val_\($0)" } + (rates ? ["lr"] : [])
      let widths = columns.map { max(10, $0.count + 2) }
      say("History (\(unit)):")
      say("  epoch" + zip(columns, widths).map { $0.leftPadded($1) }.joined() + "seconds".leftPadded(10))
      for epoch in history.epochs {
        let values: [Float?] = [epoch.loss] + terms.map { epoch.terms[$0] } + (weights ? [epoch.klWeight] : []) + [epoch.validationLoss]
          + terms.map { epoch.validationTerms?[$0] } + (rates ? [epoch.learningRate] : [])
        let formats = Array(repeating: "%.4f", count: values.count - (rates ? 1 : 0)) + (rates ? ["%.3g"] : [])
        var cells: [String] = []
        for (index, value) in values.enumerated() {
          cells.append((value.map { String(format: formats[index], $0) } ?? "-").leftPadded(widths[index]))
        }
        say("  " + "\(epoch.epoch)".leftPadded(5) + cells.joined()
          + String(format: "%10.2f", epoch.seconds))
      }
      if let restored = history.restoredEpoch {
        say("Weights: epoch \(restored)'s, the lowest val_loss (early stopping restored them; training ran \(history.epochs.count) epochs)")
      }
      if let onset = history.overfittingOnset() {
        say("Overfitting: after epoch \(onset), val_loss rose for 3 epochs in a row while loss kept falling")
      }
      if let plot { say("Wrote \(plot): loss and val_loss per epoch") }
    }
  }

  struct Report: Encodable {
    var architecture: Architecture
    var description: String
    var parameters: Int
    var training: TrainingConfiguration?
    var history: History?
    var checkpoint: Checkpoint?
    struct Checkpoint: Encodable {
      var epochs_done: Int
      var batches_done: Int
    }
    init(file: ModelFile, checkpoint progress: RunProgress? = nil) {
      checkpoint = progress.map { Checkpoint(epochs_done: $0.epochsDone, batches_done: $0.batchesDone) }
      architecture = file.model.architecture
      description = architecture.description
      parameters = file.model.parameterCount
      training = file.training
      history = file.history
    }
  }
}

extension String {
  func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
