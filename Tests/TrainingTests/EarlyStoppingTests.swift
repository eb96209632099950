import Testing
import Training

@Suite struct EarlyStoppingTests {
  func epoch(_ number: Int, _ validationLoss: Float) -> History.Epoch {
    History.Epoch(epoch: number, loss: 1, validationLoss: validationLoss, seconds: 1, examplesPerSecond: 1)
  }

  @Test func stopsAfterPatienceEpochsWithoutImprovement() throws {
    var stopping = EarlyStopping(patience: 2, minimumDelta: 0.01)
    var state = TrainingState()
    for (number, loss) in [(1, Float(0.5)), (2, 0.4), (3, 0.395), (4, 0.41)].map({ ($0.0, $0.1) }) {
      try stopping.onEpochEnd(epoch(number, loss), of: 10, state: &state)
      #expect(state.shouldStop == (number == 4))
    }
    #expect(stopping.best?.epoch == 2)
  }
}
