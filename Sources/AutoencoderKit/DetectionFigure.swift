import Foundation

/// The figure of `score --plot`: the ROC curve, the precision-recall curve, and the histograms of
/// the normal and anomalous examples' scores (with the threshold, where calibrated), side by side.
public enum DetectionFigure {
  public static func render(scores: [Float], anomalous: [Bool], threshold: Float?, scoreName: String) -> Image {
    let (width, height) = (560, 440)
    let roc = DetectionMetrics.rocCurve(scores: scores, anomalous: anomalous)
    let auc = DetectionMetrics.rocAUC(scores: scores, anomalous: anomalous)
    var rocChart = LineChart(title: String(format: "ROC: AUC %.4f", auc), xLabel: "false positive rate (y: true)", series: [
      .init(name: "ROC", points: roc.map { ($0.falsePositiveRate, $0.truePositiveRate) }, color: LineChart.palette[0]),
      .init(name: "chance", points: [(0, 0), (1, 1)], color: (160, 160, 160)),
    ])
    let pr = DetectionMetrics.precisionRecall(scores: scores, anomalous: anomalous)
    let ap = DetectionMetrics.averagePrecision(scores: scores, anomalous: anomalous)
    var prChart = LineChart(title: String(format: "AP %.4f", ap), xLabel: "recall (y: precision)", series: [
      .init(name: "precision", points: pr.map { ($0.recall, $0.precision) }, color: LineChart.palette[2]),
    ])
    // Histograms as shares over 60 bins spanning the scores (the top 0.5% clipped into the last bin).
    let sorted = scores.sorted()
    let low = Double(sorted.first ?? 0), high = max(Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.995))]), low + 1e-9)
    let bins = 60
    func histogram(_ group: Bool) -> [(x: Double, y: Double)] {
      var counts = [Double](repeating: 0, count: bins)
      let members = zip(scores, anomalous).filter { $0.1 == group }.map(\.0)
      for score in members { counts[min(bins - 1, max(0, Int((Double(score) - low) / (high - low) * Double(bins))))] += 1 }
      let total = Double(max(members.count, 1))
      return counts.enumerated().flatMap { index, count -> [(x: Double, y: Double)] in
        let left = low + (high - low) * Double(index) / Double(bins), right = low + (high - low) * Double(index + 1) / Double(bins)
        return [(left, count / total), (right, count / total)]
      }
    }
    var histogramChart = LineChart(title: "share per bin", xLabel: "\(scoreName) score", series: [
      .init(name: "normal", points: histogram(false), color: LineChart.palette[0]),
      .init(name: "anomalous", points: histogram(true), color: LineChart.palette[3]),
    ], markers: threshold.map { [(Double($0), "threshold")] } ?? [])
    rocChart.integerX = false
    prChart.integerX = false
    histogramChart.integerX = false
    let charts = [rocChart.render(width: width, height: height), prChart.render(width: width, height: height),
                  histogramChart.render(width: width, height: height)]
    var pixels = [UInt8](repeating: 255, count: 3 * width * height * 3)
    for (index, chart) in charts.enumerated() {
      for y in 0..<height {
        let target = (y * 3 * width + index * width) * 3
        pixels.replaceSubrange(target..<(target + width * 3), with: chart.pixels[(y * width * 3)..<((y + 1) * width * 3)])
      }
    }
    return Image(width: 3 * width, height: height, channels: 3, pixels: pixels)
  }
}
