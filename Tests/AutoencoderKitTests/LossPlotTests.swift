import AutoencoderKit
import Testing

@Suite struct LossPlotTests {
  func history(_ pairs: [(Float, Float)], restored: Int? = nil) -> History {
    History(epochs: pairs.enumerated().map { .init(epoch: $0.offset + 1, loss: $0.element.0, validationLoss: $0.element.1, seconds: 1, examplesPerSecond: 1) },
            restoredEpoch: restored)
  }

  @Test func itPlotsLossAndValidationLossAndMarksTheBestEpochAndOverfitting() throws {
    let plot = LossPlot(history: history([(1.0, 1.0), (0.8, 0.9), (0.7, 0.85), (0.6, 0.86), (0.5, 0.87), (0.4, 0.9)], restored: 3), unit: "nats/pixel")
    let chart = try #require(plot.chart())
    #expect(chart.series.map(\.name) == ["loss", "val_loss"] && chart.series[1].points.map(\.y) == [1.0, 0.9, 0.85, 0.86, 0.87, 0.9].map { Double(Float($0)) })
    #expect(chart.markers.map(\.label) == ["best: epoch 3", "overfitting after 3"])
    #expect(chart.title == "loss per epoch (nats/pixel)")
    #expect(LossPlot(history: History(), unit: "").chart() == nil)
  }
}
