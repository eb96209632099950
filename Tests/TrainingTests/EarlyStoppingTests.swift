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

extension EarlyStoppingTests {
  @Test func anImprovementMustExceedTheMinimumDeltaAsInKeras() throws {
    // Keras counts an improvement when loss < best - min_delta, strictly.
    var stopping = EarlyStopping(patience: 1, minimumDelta: 0.25)
    var state = TrainingState()
    try stopping.onEpochEnd(epoch(1, 1.0), of: 5, state: &state)
    try stopping.onEpochEnd(epoch(2, 0.75), of: 5, state: &state)
    #expect(state.shouldStop && stopping.best?.epoch == 1 && stopping.stoppedEpoch == 2)
  }

  @Test func withoutValidationItWatchesTheTrainingLoss() throws {
    var stopping = EarlyStopping(patience: 1)
    var state = TrainingState()
    for (number, loss) in [(1, Float(0.5)), (2, 0.6)] {
      try stopping.onEpochEnd(History.Epoch(epoch: number, loss: loss, validationLoss: nil, seconds: 1, examplesPerSecond: 1), of: 5, state: &state)
    }
    #expect(state.shouldStop && stopping.best?.epoch == 1)
  }

  @Test func withoutAModelItRestoresNothing() throws {
    var stopping = EarlyStopping(patience: 1)
    var state = TrainingState()
    var history = History(epochs: [epoch(1, 0.5), epoch(2, 0.6)])
    for record in history.epochs { try stopping.onEpochEnd(record, of: 5, state: &state) }
    try stopping.onTrainEnd(&history)
    #expect(history.restoredEpoch == nil)
  }
}
