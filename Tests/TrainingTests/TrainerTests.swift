import Datasets
import Foundation
import NN
import Optimizers
import TensorCore
import TestSupport
import Testing
@testable import Training

@Suite(.serialized) struct TrainerTests {
  let data = syntheticImages(count: 600)
  let architecture = Architecture.dense(inputSize: 64, hiddenSizes: [8])

  func train(seed: UInt64, epochs: Int = 3, threads: Int = 2) throws -> (Autoencoder, History) {
    try Parallel.withThreads(threads) {
      var generator = SplitMix64(seed: seed)
      let model = try Autoencoder(architecture, using: &generator)
      let (training, validation) = data.split(validationFraction: 0.2)
      let history = try Trainer(model: model, optimizer: Adam(learningRate: 0.01)).fit(
        on: training, validation: validation, epochs: epochs, batchSize: 32, using: &generator)
      return (model, history)
    }
  }

  /// The least binary cross-entropy any model can reach on the validation images: the mean
  /// entropy of their pixels, -[t log t + (1 - t) log(1 - t)].
  func entropyFloor() -> Float {
    let validation = data.split(validationFraction: 0.2).validation
    let pixels = (0..<validation.count).flatMap { validation.example($0) }
    let total = pixels.reduce(Float(0)) { sum, t in
      sum - (t > 0 ? t * Foundation.log(t) : 0) - (t < 1 ? (1 - t) * Foundation.log(1 - t) : 0)
    }
    return total / Float(pixels.count)
  }

  @Test func trainingMeasurablyLearns() throws {
    let (_, history) = try train(seed: 1, epochs: 10)
    #expect(history.epochs.count == 10)
    let first = try #require(history.validationLoss.first ?? nil), last = try #require(history.validationLoss.last ?? nil)
    let floor = entropyFloor()
    // The excess over the floor, what the model can still learn, at least halves.
    #expect(last - floor < (first - floor) / 2, "validation loss \(first) -> \(last), floor \(floor)")
    #expect(history.loss.last! < history.loss.first!)
    #expect(history.epochs.allSatisfy { $0.seconds > 0 && $0.examplesPerSecond > 0 })
  }

  @Test func sameSeedAndThreadsGiveTheSameWeights() throws {
    let (a, historyA) = try train(seed: 7)
    let (b, historyB) = try train(seed: 7)
    let (c, _) = try train(seed: 8)
    #expect(historyA.loss == historyB.loss && historyA.validationLoss == historyB.validationLoss)
    for ((name, p), (_, q)) in zip(a.namedParameters, b.namedParameters) { #expect(p.value == q.value, "\(name)") }
    #expect(a.namedParameters[0].parameter.value != c.namedParameters[0].parameter.value)
  }

  @Test func aNaNInTheDataStopsTrainingWithItsEpochAndBatch() throws {
    var values = [Float](repeating: 0.5, count: 64 * 100)
    values[64 * 70] = .nan
    let poisoned = ImageSet(storage: .floats(values), exampleShape: [64], source: "poisoned")
    var generator = SplitMix64(seed: 1)
    let trainer = Trainer(model: try Autoencoder(architecture, using: &generator), optimizer: Adam())
    #expect {
      try trainer.fit(on: poisoned, epochs: 2, batchSize: 10, shuffle: false, using: &generator)
    } throws: { error in
      guard case .nonFiniteLoss(let value, let epoch, let batch, nil) = error as? TrainingError else { return false }
      return value.isNaN && epoch == 1 && batch == 8
    }
  }

  @Test func anExplodingLearningRateStopsTrainingCleanly() throws {
    var generator = SplitMix64(seed: 1)
    let model = try Autoencoder(.dense(inputSize: 64, hiddenSizes: [8], outputActivation: .identity), using: &generator)
    let trainer = Trainer(model: model, optimizer: SGD(learningRate: 1e12), loss: .meanSquaredError)
    #expect(throws: TrainingError.self) { try trainer.fit(on: data, epochs: 5, batchSize: 32, using: &generator) }
  }

  @Test func evaluateIsTheExampleWeightedMeanLoss() throws {
    let (model, _) = try train(seed: 3, epochs: 1)
    let trainer = Trainer(model: model, optimizer: Adam())
    let whole = try trainer.evaluate(data, batchSize: 600)
    #expect(abs(try trainer.evaluate(data, batchSize: 7) - whole) < 1e-5)
    let metrics = try trainer.evaluator.metrics(on: data, batchSize: 64)
    #expect(abs(metrics.loss - whole) < 1e-5)
    #expect(metrics.examples == 600 && metrics.meanSquaredError > 0 && metrics.psnr > 0)
  }

  @Test func callbacksSeeEveryBatchAndCanStopTraining() throws {
    struct Counter: Callback {
      var batches = 0, epochs = 0
      mutating func onBatchEnd(_ progress: BatchProgress, state: inout TrainingState) throws { batches += 1 }
      mutating func onEpochEnd(_ epoch: History.Epoch, of epochs: Int, state: inout TrainingState) throws {
        self.epochs += 1
        if self.epochs == 2 { state.shouldStop = true }
      }
    }
    var generator = SplitMix64(seed: 1)
    let trainer = Trainer(model: try Autoencoder(architecture, using: &generator), optimizer: Adam())
    let history = try trainer.fit(on: data, epochs: 10, batchSize: 100, using: &generator, callbacks: [Counter()])
    #expect(history.epochs.count == 2)
  }

  @Test func aDenoisingModelLearnsToRemoveNoiseAndRepeatsFromItsSeed() throws {
    let noise = Noise.masking(fraction: 0.3)
    func train(_ seed: UInt64) throws -> (Trainer, History) {
      var generator = SplitMix64(seed: seed)
      let model = try Autoencoder(architecture, using: &generator)
      let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), noise: noise, evaluationNoiseSeed: 5)
      let (training, validation) = data.split(validationFraction: 0.2)
      return (trainer, try trainer.fit(on: training, validation: validation, epochs: 8, batchSize: 32, using: &generator))
    }
    let (trainer, history) = try train(3)
    #expect(try train(3).1.validationLoss == history.validationLoss)
    let validation = data.split(validationFraction: 0.2).validation
    // The recorded validation loss is evaluate's: noisy inputs with the fixed seed, clean targets.
    #expect(abs(try trainer.evaluate(validation, batchSize: 7) - history.validationLoss.last!!) < 1e-5)
    let metrics = try trainer.evaluator.metrics(on: validation)
    let noisyPSNR = try #require(metrics.noisyPSNR)
    #expect(metrics.psnr > noisyPSNR + 5, "denoised \(metrics.psnr) dB against noisy \(noisyPSNR) dB")
    #expect(metrics.ssim! > metrics.noisySSIM!)
  }

  /// Fully convolutional models take a shard through in pieces whose activations fit 2 MB of
  /// floats (the Keras blog's: 38,608 values an example, 13 rows; keras-io's denoiser: 8, the
  /// least); dense, recurrent and variational models, and a batch statistic, whole.
  @Test func onlyFullyConvolutionalModelsRunShardsInPieces() throws {
    var generator = SplitMix64(seed: 12)
    func rows(_ architecture: Architecture, sparsity: ActivityPenalty? = nil) throws -> Int {
      Trainer(model: try Autoencoder(architecture, using: &generator), optimizer: Adam(), sparsity: sparsity).rowsPerPiece
    }
    #expect(try Architecture.convolutional().activationValuesPerExample() == 38_608)
    #expect(try rows(.convolutional()) == 13)
    #expect(try rows(.convolutionalTranspose()) == 8)
    #expect(try rows(.dense(hiddenSizes: [64])) == .max)
    #expect(try rows(.convolutionalVariational()) == .max)
    #expect(try rows(.recurrent(steps: 16)) == .max)
    #expect(try rows(.convolutional(), sparsity: .kl(target: 0.05, weight: 1)) == .max)
    #expect(try rows(.convolutional(), sparsity: .l1(1e-4)) == 13)
  }

  /// One epoch with SGD, batch 64 (two shards of 32 on two threads, one batch on one thread).
  func trainOneEpoch(threads: Int, noise: Noise?) throws -> (Autoencoder, History) {
    try Parallel.withThreads(threads) {
      var generator = SplitMix64(seed: 11)
      let model = try Autoencoder(architecture, using: &generator)
      let trainer = Trainer(model: model, optimizer: SGD(learningRate: 0.5), noise: noise)
      return (model, try trainer.fit(on: data, epochs: 1, batchSize: 64, using: &generator))
    }
  }

  @Test func aDataParallelEpochMatchesOneThreadsToRounding() throws {
    for noise in [nil, Noise.masking(fraction: 0.3)] {
      let (one, historyOne) = try trainOneEpoch(threads: 1, noise: noise)
      let (two, historyTwo) = try trainOneEpoch(threads: 2, noise: noise)
      let (again, historyAgain) = try trainOneEpoch(threads: 2, noise: noise)
      #expect(historyAgain.loss == historyTwo.loss)  // shards sum in a fixed order: the same bits
      for ((name, p), (_, q)) in zip(again.namedParameters, two.namedParameters) { #expect(p.value == q.value, "\(name)") }
      #expect(Parallel.withThreads(2) { Parallel.shards(ofRows: 64, minimumRows: Trainer.minimumShardRows).count } == 2)
      // Same examples, same noise on each (drawn per example, whichever shard it falls in):
      // only the order of additions differs.
      expectClose([historyTwo.loss[0]], [historyOne.loss[0]], rtol: 1e-5, atol: 0, "noise \(String(describing: noise))")
      for ((name, p), (_, q)) in zip(two.namedParameters, one.namedParameters) {
        expectClose(p.value, q.value, rtol: 1e-4, atol: 1e-6, "\(name), noise \(String(describing: noise))")
      }
    }
  }

  @Test(arguments: LossReduction.allCases) func stepOnGivenTensorsSplitsIntoShardsToo(reduction: LossReduction) throws {
    // With SGD the step's size is the gradient's: a shard whose loss were not its share of the
    // batch's (each shard's mean per image summed, say) would show in the loss and the weights.
    func stepped(threads: Int) throws -> (Float, Tensor) {
      try Parallel.withThreads(threads) {
        var generator = SplitMix64(seed: 2)
        let model = try Autoencoder(architecture, using: &generator)
        let batch = Tensor(shape: [96, 64], scalars: (0..<(96 * 64)).map { Float(($0 * 37) % 101) / 100 })
        let rate: Float = reduction == .mean ? 1 : 0.01
        let loss = Trainer(model: model, optimizer: SGD(learningRate: rate), reduction: reduction).step(input: batch, target: batch)
        return (loss, model.namedParameters[0].parameter.value)
      }
    }
    let (lossOne, weightOne) = try stepped(threads: 1), (lossTwo, weightTwo) = try stepped(threads: 2)
    #expect(Parallel.withThreads(2) { Parallel.shards(ofRows: 96, minimumRows: Trainer.minimumShardRows).count } == 2)
    expectClose([lossTwo], [lossOne], rtol: 1e-6, atol: 0, "\(reduction)")
    expectClose(weightTwo, weightOne, rtol: 1e-5, atol: 1e-7, "\(reduction)")
  }

  // MARK: - Bad data and budgets

  @Test func emptySetsAreErrorsBeforeTraining() throws {
    var generator = SplitMix64(seed: 1)
    let trainer = Trainer(model: try Autoencoder(architecture, using: &generator), optimizer: Adam())
    #expect(throws: DataError.empty(source: "synthetic", role: "training", reason: "")) {
      try trainer.fit(on: data.prefix(0), epochs: 1, batchSize: 32, using: &generator)
    }
    #expect(throws: DataError.empty(source: "synthetic", role: "validation", reason: "")) {
      try trainer.fit(on: data, validation: data.prefix(0), epochs: 1, batchSize: 32, using: &generator)
    }
  }

  @Test func aNonFiniteValidationLossStopsTraining() throws {
    // One step with an absurd learning rate: the step's loss is finite, the weights after it are not.
    var generator = SplitMix64(seed: 1)
    let model = try Autoencoder(.dense(inputSize: 64, hiddenSizes: [8], outputActivation: .identity), using: &generator)
    let trainer = Trainer(model: model, optimizer: SGD(learningRate: 1e30), loss: .meanSquaredError)
    #expect {
      try trainer.fit(on: data, validation: data.prefix(10), epochs: 3, batchSize: 1000, using: &generator)
    } throws: { error in
      guard case .nonFiniteValidationLoss(let value, let epoch) = error as? TrainingError else { return false }
      return !value.isFinite && epoch == 1
    }
  }

  @Test func aModelThatDoesNotFitTheBudgetIsRefusedBeforeTraining() throws {
    var generator = SplitMix64(seed: 1)
    let trainer = Trainer(model: try Autoencoder(architecture, using: &generator), optimizer: Adam())
    #expect(throws: MemoryBudget.Exceeded.self) {
      try trainer.fit(on: data, epochs: 1, batchSize: 32, using: &generator, budget: MemoryBudget(bytes: 10_000, source: "test"))
    }
    #expect(trainer.optimizer.step == 0)
  }

  // MARK: - Variational

  func trainVariational(seed: UInt64, epochs: Int, threads: Int = 2, beta: Float = 1, warmup: Int = 0) throws -> (Autoencoder, History) {
    try Parallel.withThreads(threads) {
      var generator = SplitMix64(seed: seed)
      let model = try Autoencoder(.variational(inputSize: 64, hiddenSizes: [32], latent: 2), using: &generator)
      let (training, validation) = data.split(validationFraction: 0.2)
      let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.003), reduction: .sum, beta: beta, klWarmupEpochs: warmup)
      let history = try trainer.fit(on: training, validation: validation, epochs: epochs, batchSize: 32, using: &generator)
      return (model, history)
    }
  }

  @Test func aVariationalModelLearnsAndLogsItsTerms() throws {
    let (model, history) = try trainVariational(seed: 1, epochs: 8)
    let first = try #require(history.validationLoss.first ?? nil), last = try #require(history.validationLoss.last ?? nil)
    #expect(last < first - 1, "the negative ELBO \(first) -> \(last) nats per image")
    for epoch in history.epochs {
      #expect(epoch.terms.keys.sorted() == ["kl", "reconstruction"] && epoch.validationTerms?.keys.sorted() == ["kl", "reconstruction"])
      #expect(abs(epoch.loss - (epoch.terms["reconstruction"]! + epoch.terms["kl"]!)) < 1e-3 * epoch.loss)
      #expect(epoch.terms["kl"]! > 0 && epoch.klWeight == 1)
    }
    // What fit reported as val_loss, the evaluator repeats exactly.
    let validation = data.split(validationFraction: 0.2).validation
    #expect(try Evaluator(model: model, reduction: .sum, seed: 0x5EED_0F_7E57).terms(on: validation, batchSize: 7).total
      == history.validationLoss.last!!)
  }

  @Test func theSameSeedTrainsTheSameVariationalModelBitForBit() throws {
    let (a, historyA) = try trainVariational(seed: 4, epochs: 2)
    let (b, historyB) = try trainVariational(seed: 4, epochs: 2)
    #expect(historyA.loss == historyB.loss && historyA.validationLoss == historyB.validationLoss)
    for ((name, p), (_, q)) in zip(a.namedParameters, b.namedParameters) { #expect(p.value == q.value, "\(name)") }
    // One thread draws the same samples (each example has its own stream): the same to rounding.
    let (_, single) = try trainVariational(seed: 4, epochs: 2, threads: 1)
    #expect(zip(single.loss, historyA.loss).allSatisfy { abs($0 - $1) < 1e-3 * $0 })
  }

  @Test func theKLWeightWarmsUpLinearlyToBeta() throws {
    var generator = SplitMix64(seed: 1)
    let trainer = Trainer(model: try Autoencoder(.variational(inputSize: 64, hiddenSizes: [8], latent: 2), using: &generator),
                          optimizer: Adam(), beta: 4, klWarmupEpochs: 2)
    #expect(trainer.klWeight(afterSteps: 0, stepsPerEpoch: 10) == 0)
    #expect(trainer.klWeight(afterSteps: 5, stepsPerEpoch: 10) == 1)
    #expect(trainer.klWeight(afterSteps: 20, stepsPerEpoch: 10) == 4)
    #expect(trainer.klWeight(afterSteps: 95, stepsPerEpoch: 10) == 4)
    let (_, history) = try trainVariational(seed: 2, epochs: 3, beta: 4, warmup: 2)
    // 480 training images in batches of 32: 15 steps an epoch; an epoch's last step is at 14, 29 and 44 of 30 warm-up steps.
    let weights = history.epochs.map { $0.klWeight! }
    #expect(zip(weights, [4 * 14 / 30, 4 * 29 / 30, 4] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(weights)")
    #expect(abs(history.epochs.last!.validationLoss! - (history.epochs.last!.validationTerms!["reconstruction"]! + 4 * history.epochs.last!.validationTerms!["kl"]!)) < 1e-2)
  }

  @Test func aVariationalTermThatGoesNonFiniteIsNamed() throws {
    var generator = SplitMix64(seed: 1)
    let model = try Autoencoder(.variational(inputSize: 64, hiddenSizes: [8], latent: 2, outputActivation: .identity), using: &generator)
    let trainer = Trainer(model: model, optimizer: SGD(learningRate: 1e12), loss: .meanSquaredError, reduction: .sum)
    #expect {
      try trainer.fit(on: data, epochs: 3, batchSize: 32, using: &generator)
    } throws: { error in
      guard case .nonFiniteLoss(_, let epoch, let batch, let term) = error as? TrainingError, let term else { return false }
      return ["reconstruction", "kl"].contains(term) && epoch == 1 && batch > 1
        && "\(error)".hasPrefix("the \(term) term of the loss became")
    }
  }
}
