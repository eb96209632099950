import Testing
@testable import Training

@Suite struct ProgressBarTests {
  final class Lines: @unchecked Sendable { var live: [String] = [], lines: [String] = [] }

  @Test func epochLinesCarryTheLossesAndTheirUnit() throws {
    let output = Lines()
    var bar = ProgressBar(unit: "nats/pixel", live: false, writeLive: { output.live.append($0) }, writeLine: { output.lines.append($0) })
    var state = TrainingState()
    try bar.onBatchEnd(BatchProgress(epoch: 1, epochs: 5, batch: 1, batches: 2, loss: 0.5, examples: 256, seconds: 0.2), state: &state)
    try bar.onEpochEnd(.init(epoch: 1, loss: 0.31234, validationLoss: 0.29876, seconds: 0.61, examplesPerSecond: 98_250), of: 5, state: &state)
    #expect(output.live.isEmpty)
    #expect(output.lines == ["Epoch 1/5  0.61s  loss 0.3123  val_loss 0.2988 (nats/pixel)  98,250 img/s"])
  }

  @Test func theLiveBarShowsBatchesLossRateAndTimeLeft() throws {
    let output = Lines()
    var bar = ProgressBar(unit: "nats/pixel", live: true, writeLive: { output.live.append($0) }, writeLine: { output.lines.append($0) })
    var state = TrainingState()
    try bar.onBatchEnd(BatchProgress(epoch: 2, epochs: 5, batch: 100, batches: 200, loss: 0.3, examples: 25_600, seconds: 1), state: &state)
    let line = try #require(output.live.last)
    #expect(line.contains("Epoch 2/5 [") && line.contains("100/200") && line.contains("loss 0.3000"))
    #expect(line.contains("25,600 img/s") && line.contains("ETA 1.0s"))
  }

  @Test func durationsAndGroupings() {
    #expect(ProgressBar.duration(0.4213) == "0.42s")
    #expect(ProgressBar.duration(75) == "1m 15s")
    #expect(ProgressBar.grouped(1_234_567) == "1,234,567")
  }
}
