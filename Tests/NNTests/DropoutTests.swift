import Autodiff
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct DropoutTests {
  let x = randomTensor([64, 50], in: 0.5..<1.5, seed: 2)

  @Test func atInferenceItPassesItsInputThrough() {
    #expect(Dropout(rate: 0.5).inferring(from: x) == x)
    #expect(Dropout(rate: 0.5)(Variable(x)).value == x)
  }

  @Test func inTrainingItZeroesAboutTheRateAndScalesTheRestToKeepTheMean() {
    let output = BatchContext.$training.withValue(BatchContext(batchSize: 64, seed: 7)) { Dropout(rate: 0.3)(Variable(x)).value }
    let zeros = output.scalars.filter { $0 == 0 }.count
    #expect(abs(Double(zeros) / Double(x.count) - 0.3) < 0.03)  // 3,200 draws: σ ≈ 0.008
    for (out, input) in zip(output.scalars, x.scalars) where out != 0 { #expect(abs(out - input / 0.7) < 1e-5) }
    // The same seed gives the same mask; another seed or layer salt another.
    let again = BatchContext.$training.withValue(BatchContext(batchSize: 64, seed: 7)) { Dropout(rate: 0.3)(Variable(x)).value }
    let other = BatchContext.$training.withValue(BatchContext(batchSize: 64, seed: 8)) { Dropout(rate: 0.3)(Variable(x)).value }
    let salted = BatchContext.$training.withValue(BatchContext(batchSize: 64, seed: 7)) { Dropout(rate: 0.3, salt: 1)(Variable(x)).value }
    #expect(again == output && other != output && salted != output)
  }

  @Test func anExamplesMaskDependsOnItsPlaceInTheBatchNotOnTheShard() {
    let whole = BatchContext.$training.withValue(BatchContext(batchSize: 64, seed: 7)) { Dropout(rate: 0.5)(Variable(x)).value }
    let tail = BatchContext.$training.withValue(BatchContext(batchSize: 64, firstExample: 40, seed: 7)) {
      Dropout(rate: 0.5)(Variable(x.rows(40..<64))).value
    }
    #expect(tail == whole.rows(40..<64))
  }

  @Test func itsGradientIsTheMask() {
    let context = BatchContext(batchSize: 4, seed: 3)
    let input = randomTensor([4, 6], seed: 5)
    BatchContext.$training.withValue(context) {
      expectGradientsMatchFiniteDifferences(at: [input]) { Dropout(rate: 0.4)($0[0]) }
    }
  }

  @Test func aRateOfZeroDoesNothingEvenInTraining() {
    let output = BatchContext.$training.withValue(BatchContext(batchSize: 64, seed: 7)) { Dropout(rate: 0)(Variable(x)).value }
    #expect(output == x)
  }
}
