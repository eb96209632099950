import Foundation
import Autodiff
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct GradientsTests {
  @Test func valueWithGradientMatchesFiniteDifferencesOnAWholeModel() throws {
    var generator = SplitMix64(seed: 8)
    let model = try Autoencoder(.dense(inputSize: 6, hiddenSizes: [3]), using: &generator)
    let x = randomTensor([4, 6], in: 0..<1, seed: 9)
    let (value, gradients) = valueWithGradient(at: model) { binaryCrossEntropy(predicted: $0(Variable(x)), expected: x) }
    #expect(value > 0)
    let weight = model.parameter(named: "encoder.0.weight")!
    let h: Float = 1e-2
    let original = weight.value
    func loss(shifting element: Int, by delta: Float) -> Float {
      weight.updateValue { $0 = original; $0.withUnsafeMutableBufferPointer { $0[element] += delta } }
      return binaryCrossEntropy(predicted: model(Variable(x)), expected: x).value.scalar
    }
    for element in [0, 5, 17] {
      let numeric = (loss(shifting: element, by: h) - loss(shifting: element, by: -h)) / (2 * h)
      let analytic = gradients["encoder.0.weight"]!.scalars[element]
      #expect(abs(numeric - analytic) < 2e-3 + 0.02 * abs(numeric))
    }
    weight.updateValue { $0 = original }
    #expect(gradients.byName.count == 4)
    #expect(Gradients(["a": Tensor([3, 0]), "b": Tensor([[4]])]).norm == 5)
    let norm = gradients.byName.values.flatMap(\.scalars).reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
    #expect(abs(gradients.norm - norm) <= 1e-6 * norm)
    #expect(model.namedParameters.allSatisfy { $0.parameter.gradient == nil })  // handed over, not left behind
  }

  @Test func shardsOfABatchSumToTheWholeBatchsValueAndGradients() throws {
    var generator = SplitMix64(seed: 3)
    let model = try Autoencoder(.dense(inputSize: 6, hiddenSizes: [3]), using: &generator)
    let x = randomTensor([10, 6], in: 0..<1, seed: 4)
    let whole = valueWithGradient(at: model) { binaryCrossEntropy(predicted: $0(Variable(x)), expected: x) }
    let shards = [0..<4, 4..<10]
    let split = Parallel.withThreads(2) {
      valueWithGradient(at: model, shards: shards) { model, rows in
        binaryCrossEntropy(predicted: model(Variable(x.rows(rows))), expected: x.rows(rows)) * (Float(rows.count) / 10)
      }
    }
    #expect(abs(split.value - whole.value) < 1e-6)
    #expect(split.gradients.byName.keys.sorted() == whole.gradients.byName.keys.sorted())
    for (name, gradient) in whole.gradients.byName { expectClose(split.gradients[name]!, gradient, rtol: 1e-5, atol: 1e-7, "\(name)") }
    // Each shard alone is not the whole: the test would see a shard lost or counted twice.
    let first = valueWithGradient(at: model, shards: [0..<4]) { model, rows in
      binaryCrossEntropy(predicted: model(Variable(x.rows(rows))), expected: x.rows(rows)) * 0.4
    }
    #expect(abs(first.value - whole.value) > 1e-3)
    #expect(model.namedParameters.allSatisfy { $0.parameter.gradient == nil })
  }

  /// Shards of more than `rowsPerPiece` rows run as near-equal pieces, in order, each seen once:
  /// the same value and gradients as whole shards, to rounding; terms add up per shard.
  @Test func piecesOfShardsSumToTheWholeBatchs() throws {
    let (model, share) = try denseModelAndShare(seed: 5)
    let whole = valueWithGradient(at: model) { share($0, 0..<10) }
    for threads in [1, 2] {
      let shards = threads == 1 ? [0..<10] : [0..<4, 4..<10]
      let seen = Ranges()
      let pieces = Parallel.withThreads(threads) {
        valueWithGradient(at: model, shards: shards, rowsPerPiece: 3) { model, rows in
          seen.append(rows)
          return share(model, rows)
        }
      }
      let expected: [Range<Int>] = threads == 1 ? [0..<2, 2..<5, 5..<7, 7..<10] : [0..<2, 2..<4, 4..<7, 7..<10]
      #expect(seen.sorted == expected)
      #expect(abs(pieces.value - whole.value) < 1e-6)
      for (name, gradient) in whole.gradients.byName { expectClose(pieces.gradients[name]!, gradient, rtol: 1e-5, atol: 1e-7, "\(name)") }
      let terms = Parallel.withThreads(threads) {
        termsWithGradient(at: model, shards: shards, rowsPerPiece: 3) { model, rows in [LossTerm("loss", share(model, rows))] }
      }
      #expect(abs(terms.terms["loss"]! - whole.value) < 1e-6)
    }
  }

  /// The threads take the batch's pieces as they go: a thread held up on one piece takes fewer,
  /// and the sums are each shard's pieces in order, then the shards', bit for bit, whichever
  /// thread took which piece.
  @Test func piecesTakenByEitherThreadSumInShardOrder() throws {
    let (model, share) = try denseModelAndShare(seed: 7)
    let shards = [0..<5, 5..<10], pieces = [[0..<1, 1..<3, 3..<5], [5..<6, 6..<8, 8..<10]]
    // The sums a thread per shard makes: its pieces in order, then the shards in order.
    var expected: (value: Float, gradients: [String: Tensor])?
    var expectedTerms: [Float] = []
    for shard in pieces {
      var sum = valueWithGradient(at: model) { share($0, shard[0]) }
      var terms = [sum.value, 2 * sum.value]
      for piece in shard.dropFirst() {
        let next = valueWithGradient(at: model) { share($0, piece) }
        sum.value += next.value
        for (name, gradient) in next.gradients.byName { sum.gradients.byName[name] = sum.gradients.byName[name]! + gradient }
        terms = [terms[0] + next.value, terms[1] + 2 * next.value]
      }
      if var total = expected {
        total.value += sum.value
        for (name, gradient) in sum.gradients.byName { total.gradients[name] = total.gradients[name]! + gradient }
        expected = total
        expectedTerms = [expectedTerms[0] + terms[0], expectedTerms[1] + terms[1]]
      } else {
        expected = (sum.value, sum.gradients.byName)
        expectedTerms = terms
      }
    }
    var takers = Takers(), attempt: (terms: TermValues, gradients: Gradients)?
    // A region started while another test's runs takes its parts on the calling thread alone:
    // tried again until both threads took part (at most ten times).
    for _ in 0..<10 where attempt == nil || takers.threads < 2 {
      takers = Takers()
      attempt = Parallel.withThreads(2) { [takers] in
        termsWithGradient(at: model, shards: shards, rowsPerPiece: 2) { model, rows in
          takers.append(rows)
          if rows == 0..<1 { usleep(200_000) }  // the thread that takes the first piece is held up
          let loss = share(model, rows)
          return [LossTerm("a", loss, weight: 0.5), LossTerm("b", loss * 2, weight: 0.25)]
        }
      }
    }
    let result = attempt!
    #expect(takers.threads == 2)
    #expect(takers.pieces.sorted { $0.lowerBound < $1.lowerBound } == pieces.flatMap { $0 })
    // The held-up thread took fewer than its shard's three pieces; the other took the rest.
    #expect(takers.piecesOfTheThread(thatTook: 0..<1) < 3)
    #expect(result.terms.terms.map(\.value) == expectedTerms)
    for (name, gradient) in expected!.gradients { #expect(result.gradients[name]!.scalars == gradient.scalars, "\(name)") }
  }
}

extension GradientsTests {
  /// A step's pieces share each weight's derived kernels (its Winograd transforms and flips,
  /// remembered for the step): the codec's shapes, 40 filters wide (past the direct kernels'
  /// 32, so the layers take the polyphase, F(2×2, 3×3) and flipped-kernel paths whatever the
  /// BLAS), give the bits of the pieces run one by one with nothing remembered, summed in order.
  @Test func piecesSharingDerivedKernelsGiveThePiecesBits() throws {
    let architecture = try Architecture(spec: "conv 40 5 stride 2 relu, conv 40 5 stride 2 relu, conv 16 3 | convt 40 3 relu, "
                                          + "convt 40 5 stride 2 relu, convt 1 5 stride 2 sigmoid", exampleShape: [28, 28])
    let stride2 = try WindowGeometry(height: 14, width: 14, channels: 40, kernel: (5, 5), stride: (2, 2), padding: .same)
    let stride1 = try WindowGeometry(height: 7, width: 7, channels: 40, kernel: (3, 3), stride: (1, 1), padding: .same)
    #expect(Tensor.convolutionKernels(geometry: stride2, filters: 40).forward == .polyphaseWinograd)
    #expect(Tensor.convolutionKernels(geometry: stride1, filters: 16).forward == .winograd)
    #expect(Tensor.transposedConvolutionKernels(geometry: stride1, inputChannels: 16).forward == .winograd)
    var generator = SplitMix64(seed: 21)
    let model = try Autoencoder(architecture, using: &generator)
    let x = randomTensor([4, 28, 28, 1], in: 0..<1, seed: 22)
    let share = { (model: Autoencoder, rows: Range<Int>) in
      meanSquaredError(predicted: model(Variable(x.rows(rows))), expected: x.rows(rows)) * (Float(rows.count) / 4)
    }
    // One thread: the pool stays free for the other tests' regions.
    let (expected, pieces) = Parallel.withThreads(1) {
      var expected = valueWithGradient(at: model) { share($0, 0..<2) }
      let second = valueWithGradient(at: model) { share($0, 2..<4) }
      expected.value += second.value
      for (name, gradient) in second.gradients.byName { expected.gradients.byName[name] = expected.gradients.byName[name]! + gradient }
      return (expected, valueWithGradient(at: model, shards: [0..<4], rowsPerPiece: 2, in: share))
    }
    #expect(pieces.value == expected.value)
    for (name, gradient) in expected.gradients.byName { #expect(pieces.gradients[name]!.scalars == gradient.scalars, "\(name)") }
  }
}

/// A 6-3-6 dense model (seeded by `seed`) and its loss on a 10-row batch's `rows`, as their share of
/// the batch's (seeded by `seed + 1`).
private func denseModelAndShare(seed: UInt64) throws -> (Autoencoder, (Autoencoder, Range<Int>) -> Variable) {
  var generator = SplitMix64(seed: seed)
  let model = try Autoencoder(.dense(inputSize: 6, hiddenSizes: [3]), using: &generator)
  let x = randomTensor([10, 6], in: 0..<1, seed: seed + 1)
  return (model, { model, rows in
    binaryCrossEntropy(predicted: model(Variable(x.rows(rows))), expected: x.rows(rows)) * (Float(rows.count) / 10)
  })
}

/// The pieces each thread took.
private final class Takers: @unchecked Sendable {
  private let lock = NSLock()
  private var taken: [(rows: Range<Int>, thread: pthread_t)] = []
  func append(_ rows: Range<Int>) { lock.withLock { taken.append((rows, pthread_self())) } }
  var pieces: [Range<Int>] { lock.withLock { taken.map(\.rows) } }
  var threads: Int {
    lock.withLock { taken.reduce(into: [pthread_t]()) { seen, t in if !seen.contains { pthread_equal($0, t.thread) != 0 } { seen.append(t.thread) } }.count }
  }
  func piecesOfTheThread(thatTook rows: Range<Int>) -> Int {
    lock.withLock {
      let thread = taken.first { $0.rows == rows }!.thread
      return taken.filter { pthread_equal($0.thread, thread) != 0 }.count
    }
  }
}

/// Ranges appended from several threads.
private final class Ranges: @unchecked Sendable {
  private let lock = NSLock()
  private var ranges: [Range<Int>] = []
  func append(_ range: Range<Int>) { lock.withLock { ranges.append(range) } }
  var sorted: [Range<Int>] { lock.withLock { ranges.sorted { $0.lowerBound < $1.lowerBound } } }
}
