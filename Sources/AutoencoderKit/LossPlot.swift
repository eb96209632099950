/// The training curves of a model file's history: the loss and the validation loss per epoch,
/// with the restored epoch (early stopping) and the start of overfitting marked.
public struct LossPlot {
  public var history: History
  /// The loss's unit, for the title ("nats/pixel").
  public var unit: String

  public init(history: History, unit: String) {
    self.history = history
    self.unit = unit
  }

  /// The chart, or nil for a history without epochs.
  public func chart() -> LineChart? {
    guard !history.epochs.isEmpty else { return nil }
    var series = [LineChart.Series(name: "loss", points: history.epochs.map { (Double($0.epoch), Double($0.loss)) }, color: LineChart.palette[0])]
    let validation = history.epochs.compactMap { epoch in epoch.validationLoss.map { (Double(epoch.epoch), Double($0)) } }
    if !validation.isEmpty { series.append(LineChart.Series(name: "val_loss", points: validation, color: LineChart.palette[1])) }
    var markers: [(x: Double, label: String)] = []
    if let restored = history.restoredEpoch { markers.append((Double(restored), "best: epoch \(restored)")) }
    if let onset = history.overfittingOnset() { markers.append((Double(onset), "overfitting after \(onset)")) }
    return LineChart(title: "loss per epoch (\(unit))", xLabel: "epoch", series: series, markers: markers)
  }
}
