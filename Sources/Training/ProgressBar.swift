import FileIO
import Foundation
import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shows training as it goes: a live bar (batches done, loss, examples per second, time left)
/// redrawn on a terminal, and one summary line per epoch, as Keras's `verbose=1`:
///
/// ```
/// Epoch 3/50 [=================>............] 160/235  loss 0.2931  48,210 img/s  ETA 1s
/// Epoch 3/50  235/235  4.9s  loss 0.2928  val_loss 0.2899 (nats/pixel)  48,102 img/s
/// ```
///
/// An objective of several terms (a variational model's) shows each term beside the loss, and,
/// given the values per example, the validation loss per value and in bits per dimension:
/// ```
/// Epoch 3/50  2.1s  loss 152.4150  reconstruction 146.3512  kl 6.0638  val_loss 150.9312 ... (nats/image; val_loss 0.1925 nats/pixel, 0.2777 bits/dim)
/// ```
public struct ProgressBar: Callback {
  /// The unit printed after the losses ("nats/pixel").
  public let unit: String
  /// The values of one example, to print a per-image loss in nats per value and bits per
  /// dimension as well (nil: the loss is already per value).
  public var valuesPerExample: Int?
  /// Whether to draw the live bar (a terminal) or only the epoch lines (a log file).
  public let live: Bool
  private let writeLive: (String) -> Void
  private let writeLine: (String) -> Void
  private var lastDraw: Double = -1
  /// The epochs so far, to see overfitting as it happens.
  private var seen = History()

  /// - Parameters:
  ///   - unit: The loss's unit.
  ///   - valuesPerExample: For a loss per image, the values of one image (784), to print it per value too.
  ///   - live: Draw the live bar; by default, when standard error is a terminal.
  ///   - writeLive: Where the bar goes (standard error by default).
  ///   - writeLine: Where the epoch lines go (standard output by default).
  public init(unit: String, valuesPerExample: Int? = nil, live: Bool = isatty(STDERR_FILENO) == 1,
              writeLive: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
              writeLine: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }) {
    self.unit = unit
    self.valuesPerExample = valuesPerExample
    self.live = live
    self.writeLive = writeLive
    self.writeLine = writeLine
  }

  public mutating func onBatchEnd(_ progress: BatchProgress, state: inout TrainingState) throws {
    guard live, progress.seconds - lastDraw >= 0.1 || progress.batch == progress.batches else { return }
    lastDraw = progress.seconds
    let width = 30
    let done = width * progress.batch / progress.batches
    let bar = String(repeating: "=", count: max(done - 1, 0)) + (done > 0 ? ">" : "") + String(repeating: ".", count: width - done)
    let rate = Double(progress.examples) / max(progress.seconds, 1e-9)
    let remaining = progress.seconds / Double(progress.batch) * Double(progress.batches - progress.batch)
    let terms = progress.terms.map { "  \($0.name) \(Self.format($0.value))" }.joined()
    writeLive("\r\u{1B}[K" + "Epoch \(progress.epoch)/\(progress.epochs) [\(bar)] \(progress.batch)/\(progress.batches)"
      + "  loss \(Self.format(progress.loss))\(terms)  \(Self.grouped(rate)) img/s  ETA \(Self.duration(remaining))")
  }

  public mutating func onEpochEnd(_ epoch: History.Epoch, of epochs: Int, state: inout TrainingState) throws {
    if live { writeLive("\r\u{1B}[K") }
    lastDraw = -1
    seen.epochs.append(epoch)
    var line = Self.line(for: epoch, of: epochs, unit: unit, valuesPerExample: valuesPerExample)
    if seen.isOverfitting(at: seen.epochs.count - 1) {
      line += "\n  overfitting: val_loss has risen 3 epochs in a row while loss fell (see --early-stopping, --sparsity, dropout)"
    }
    writeLine(line)
  }

  /// The summary line of an epoch.
  static func line(for epoch: History.Epoch, of epochs: Int, unit: String, valuesPerExample: Int?) -> String {
    let order = History(epochs: [epoch]).termNames
    var line = "Epoch \(epoch.epoch)/\(epochs)  \(duration(epoch.seconds))  loss \(format(epoch.loss))"
    line += order.compactMap { name in epoch.terms[name].map { "  \(name) \(format($0))" } }.joined()
    if let weight = epoch.klWeight, weight != 1 { line += "  kl_weight \(format(weight))" }
    if let rate = epoch.learningRate { line += "  lr \(String(format: "%.3g", rate))" }
    if let validation = epoch.validationLoss { line += "  val_loss \(format(validation))" }
    line += order.compactMap { name in epoch.validationTerms?[name].map { "  val_\(name) \(format($0))" } }.joined()
    line += " (\(unit)"
    if let valuesPerExample, valuesPerExample > 0 {
      let (name, value) = epoch.validationLoss.map { ("val_loss", $0) } ?? ("loss", epoch.loss)
      let perValue = Double(value) / Double(valuesPerExample)
      line += "; \(name) " + String(format: "%.4f nats/pixel, %.4f bits/dim", perValue, perValue / log(2))
    }
    line += ")  \(grouped(epoch.examplesPerSecond)) img/s"
    return line
  }

  /// Four decimals, as Keras prints losses.
  static func format(_ value: Float) -> String { String(format: "%.4f", value) }

  /// `48,210`.
  static func grouped(_ value: Double) -> String { groupedDigits(Int(min(max(value, 0), 1e18).rounded())) }

  /// `0.42s`, `4.9s`, `1m 05s`.
  static func duration(_ seconds: Double) -> String {
    if seconds < 1 { return String(format: "%.2fs", seconds) }
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    return String(format: "%dm %02ds", Int(seconds) / 60, Int(seconds) % 60)
  }
}
