/// A time series scored step by step: above, the series with the steps flagged anomalous drawn
/// over it in red; below, each step's score (the lowest of its windows') and the threshold; a
/// dashed marker, numbered, where each labelled anomaly starts (up to 12).
public enum SeriesAnomalyFigure {
  /// - Parameters:
  ///   - values: The series (one channel, data units), one per step from `firstStep`.
  ///   - scores: Each step's score, nil where no window covers it.
  ///   - anomalous: The labelled anomalous steps, where known.
  public static func render(values: [Float], firstStep: Int, scores: [Float?], threshold: Float?, anomalous: [Bool]?,
                            valueName: String, scoreName: String, scale: Int = 2) -> Image {
    let steps = values.indices.map { Double(firstStep + $0) }
    let flagged = threshold.map { threshold in scores.map { ($0 ?? -.infinity) > threshold } }
    var starts: [Int] = []
    if let anomalous {
      for t in anomalous.indices where anomalous[t] && (t == 0 || !anomalous[t - 1]) { starts.append(t) }
    }
    let markers = starts.count <= 12 ? starts.enumerated().map { (x: steps[$1], label: String($0 + 1)) } : []
    var top = [LineChart.Series(name: valueName, points: zip(steps, values).map { ($0, Double($1)) }, color: LineChart.palette[0])]
    if let flagged {
      top.append(LineChart.Series(name: "flagged anomalous", points: zip(steps, zip(values, flagged)).map { ($0, $1.1 ? Double($1.0) : .nan) },
                                  color: LineChart.palette[3]))
    }
    let title = "The series and the steps flagged anomalous" + (markers.isEmpty ? "" : " (dashed: labelled anomalies)")
    var series = LineChart(title: title, xLabel: "time step", series: top, markers: markers)
    series.scale = scale
    var bottom = [LineChart.Series(name: scoreName, points: zip(steps, scores).map { ($0, $1.map(Double.init) ?? .nan) }, color: LineChart.palette[0])]
    if let threshold {
      bottom.append(LineChart.Series(name: "threshold", points: [(steps.first ?? 0, Double(threshold)), (steps.last ?? 1, Double(threshold))],
                                     color: LineChart.palette[1]))
    }
    var scored = LineChart(title: "Each step's score (its windows' lowest)", xLabel: "time step", series: bottom, markers: markers)
    scored.scale = scale
    return Image.stacked([series.render(width: 480 * scale, height: 220 * scale), scored.render(width: 480 * scale, height: 200 * scale)])
  }
}
