import Autodiff
@testable import NN
import TensorCore
import TestSupport
import Testing

@Suite struct MaxPool1DTests {
  @Test func poolsEachChannelAlongTheSequenceAndSendsGradientsToTheWinners() throws {
    let spec = try LayerSpec.parsing("pool1d 2")
    #expect(try spec.outputShape(for: [4, 2]) == [2, 2])
    var generator = SplitMix64(seed: 1)
    let layer = try spec.makeLayer(inputShape: [4, 2], using: &generator)
    // Channel 0: 1 5 | 2 0 → 5, 2; channel 1: −1 −3 | 7 4 → −1, 7.
    let x = Variable(Tensor(shape: [1, 4, 2], scalars: [1, -1, 5, -3, 2, 7, 0, 4]), requiresGradient: true)
    let y = layer(x)
    #expect(y.value.shape == [1, 2, 2] && y.value.scalars == [5, -1, 2, 7])
    y.sum().backward()
    #expect(x.gradient!.scalars == [0, 1, 1, 0, 1, 1, 0, 0])
  }

  @Test func validWindowsMustCoverTheSequence() throws {
    #expect(throws: LayerMisfit.self) { try LayerSpec.maxPool1D(size: 2).outputShape(for: [5, 1]) }
    #expect(try LayerSpec.maxPool1D(size: 2, padding: .same).outputShape(for: [5, 1]) == [3, 1])
    #expect(throws: LayerMisfit.self) { try LayerSpec.maxPool1D(size: 2).outputShape(for: [4, 4, 1]) }
  }
}
