import Autodiff
@testable import NN
import TensorCore
import TestSupport
import Testing

/// A token model run one step at a time gives the logits its training forward pass gives.
@Suite struct SteppingTests {
  func model(_ spec: String, steps: Int = 12, seed: UInt64 = 5) throws -> Autoencoder {
    var generator = SplitMix64(seed: seed)
    let model = try Autoencoder(try Architecture(spec: spec, exampleShape: [steps]), using: &generator)
    // Larger weights than a fresh model's, so the gates leave their linear range.
    for (_, parameter) in model.namedParameters { parameter.updateValue { $0 = $0 * 3 } }
    return model
  }

  @Test(arguments: ["embedding 11 5, gru 7 sequences | dense 11", "embedding 11 5, lstm 6 sequences, dropout 0.1 | dense 9 tanh, dense 11",
                    "embedding 11 4, gru 5 sequences, lstm 3 sequences | dense 11 relu, dense 11"])
  func stepsGiveTheForwardPassLogits(spec: String) throws {
    let steps = 12, streams = 3
    let model = try model(spec, steps: steps)
    let ids = Tensor(shape: [streams, steps], scalars: (0..<(streams * steps)).map { Float(($0 * 7 + $0 / 5) % 11) })
    let forward = model.inferring(from: ids)  // [streams, steps, 11]: step t predicts token t from tokens before it
    #expect(forward.shape == [streams, steps, 11])
    let predictor = try TokenPredictor(model, streams: streams)
    let tokens = ids.scalars, expected = forward.scalars
    for t in 0..<steps {
      predictor.step(previous: { t == 0 ? 0 : Int(tokens[$0 * steps + t - 1]) }) { logits in
        for stream in 0..<streams {
          let got = Array(logits[(stream * 11)..<((stream + 1) * 11)])
          let want = Array(expected[((stream * steps + t) * 11)..<((stream * steps + t + 1) * 11)])
          expectClose(got, want, rtol: 1e-4, atol: 2e-5, "stream \(stream), step \(t)")
        }
      }
    }
    // Reset starts every stream over: the first step's logits again.
    let first = predictor.step(previous: { _ in 5 }) { Array($0) }
    predictor.reset()
    let again = predictor.step(previous: { _ in 5 }) { Array($0) }
    #expect(first != again)
    predictor.reset()
    #expect(predictor.step(previous: { _ in 5 }) { Array($0) } == again)
  }

  @Test func streamsAreIndependentOfOneAnother() throws {
    // A stream's logits are the same bits whether it runs alone or beside others.
    let model = try model("embedding 11 5, gru 7 sequences | dense 11")
    let alone = try TokenPredictor(model, streams: 1), together = try TokenPredictor(model, streams: 4)
    for t in 0..<6 {
      let one = alone.step(previous: { _ in t % 11 }) { Array($0) }
      let many = together.step(previous: { $0 == 2 ? t % 11 : ($0 + t) % 11 }) { Array($0[22..<33]) }
      #expect(one.map(\.bitPattern) == many.map(\.bitPattern))
    }
  }

  @Test func modelsThatCannotStepAreRefused() throws {
    var generator = SplitMix64(seed: 1)
    let dense = try Autoencoder(.dense(inputSize: 8, hiddenSizes: [4]), using: &generator)
    #expect(throws: SteppingError.self) { try TokenPredictor(dense, streams: 1) }
    let leaky = try model("embedding 11 5, gru 7 sequences | dense 11 leaky_relu")
    #expect(throws: SteppingError.self) { try TokenPredictor(leaky, streams: 1) }
  }
}
