import Optimizers
import TestSupport
import Testing

/// Reference values: scripts/reference/keras_schedules.py with Keras 3.15.1.
@Suite struct LearningRateScheduleTests {
  @Test func cosineDecayIsKerass() {
    // CosineDecay(0.01, decay_steps=100, alpha=0.1): 100 steps as 10 epochs of 10.
    let scheduler = LearningRateScheduler(.cosine(epochs: 10, alpha: 0.1), initialRate: 0.01, stepsPerEpoch: 10, epochs: 20)
    expectClose([0, 1, 25, 50, 99, 100, 150].map { scheduler.rate(atStep: $0) },
                [0.00999999978, 0.00999777857, 0.00868198089, 0.0054999995, 0.00100222055, 0.00100000005, 0.00100000005], rtol: 1e-6)
    // Without epochs, over the whole run.
    let run = LearningRateScheduler(.cosine(epochs: nil, alpha: 0), initialRate: 1, stepsPerEpoch: 5, epochs: 4)
    #expect(run.rate(atStep: 0) == 1 && abs(run.rate(atStep: 10) - 0.5) < 1e-6 && run.rate(atStep: 20) < 1e-6)
  }

  @Test func stepDecayIsKerassStaircaseExponentialDecay() {
    // ExponentialDecay(0.01, decay_steps=30, decay_rate=0.5, staircase=True): every 3 epochs of 10 steps.
    let scheduler = LearningRateScheduler(.step(every: 3, factor: 0.5), initialRate: 0.01, stepsPerEpoch: 10, epochs: 10)
    expectClose([0, 29, 30, 59, 60, 95].map { scheduler.rate(atStep: $0) },
                [0.00999999978, 0.00999999978, 0.00499999989, 0.00499999989, 0.00249999994, 0.00124999997], rtol: 1e-6)
  }

  @Test func reduceOnPlateauIsKerass() {
    // ReduceLROnPlateau(factor=0.5, patience=2, min_delta=1e-4, cooldown=1, min_lr=0.02) from 0.1.
    var scheduler = LearningRateScheduler(.plateau(factor: 0.5, patience: 2, minimumDelta: 1e-4, cooldown: 1, minimum: 0.02),
                                          initialRate: 0.1, stepsPerEpoch: 10, epochs: 13)
    var rates: [Float] = []
    for loss: Float in [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.93, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0] {
      scheduler.epochEnded(loss: loss)
      rates.append(scheduler.rate(atStep: 0))
    }
    expectClose(rates, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02], rtol: 1e-6)
  }

  @Test func schedulesParseTheirSpellingsAndRefuseOthersNamingThem() throws {
    #expect(try LearningRateSchedule(parsing: "cosine") == .cosine(epochs: nil, alpha: 0))
    #expect(try LearningRateSchedule(parsing: "cosine:0.1:30") == .cosine(epochs: 30, alpha: 0.1))
    #expect(try LearningRateSchedule(parsing: "step") == .step(every: 10, factor: 0.5))
    #expect(try LearningRateSchedule(parsing: "plateau") == .plateau(factor: 0.1, patience: 10, minimumDelta: 1e-4, cooldown: 0, minimum: 0))
    #expect(try LearningRateSchedule(parsing: "plateau:0.5:3:1e-5") == .plateau(factor: 0.5, patience: 3, minimumDelta: 1e-4, cooldown: 0, minimum: 1e-5))
    for (text, fragment) in [("linear", "not a learning-rate schedule"), ("plateau:2", "(0, 1)"), ("step:0", "positive"), ("cosine:x", "not a number"),
                             ("plateau:0.5:-1", "non-negative"), ("cosine:0:1:2", "not a learning-rate schedule")] {
      #expect { try LearningRateSchedule(parsing: text) } throws: { "\($0)".contains(text) && "\($0)".contains(fragment) }
    }
    for schedule in [LearningRateSchedule.cosine(epochs: 5, alpha: 0.1), .step(every: 2, factor: 0.3), .plateau(factor: 0.5, patience: 3, minimumDelta: 1e-4, cooldown: 0, minimum: 0)] {
      #expect(try LearningRateSchedule(parsing: schedule.description) == schedule)
    }
  }
}
