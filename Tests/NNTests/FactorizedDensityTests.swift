import Autodiff
import Foundation
import TensorCore
import TestSupport
import Testing

@testable import NN

struct FactorizedDensityTests {
  func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

  @Test func oneLogisticByHand() {
    // One channel, one logistic at 0.5 with scale e^0.2: the mass of [y - ½, y + ½].
    let density = FactorizedDensity(logits: Tensor(shape: [1, 1], scalars: [0]), means: Tensor(shape: [1, 1], scalars: [0.5]),
                                    logScales: Tensor(shape: [1, 1], scalars: [0.2]))
    let s = exp(0.2)
    let code: [Float] = [0, 2, -1.25]
    let expected = code.reduce(0.0) { total, y in
      total - log2(sigmoid((Double(y) + 0.5 - 0.5) / s) - sigmoid((Double(y) - 0.5 - 0.5) / s))
    }
    let bits = density.bits(of: Variable(Tensor(shape: [3, 1], scalars: code)))
    #expect(abs(Double(bits.value.scalar) - expected) < 1e-4)
    #expect(abs(density.probability(ofInteger: 1, channel: 0) - (sigmoid(1 / s) - sigmoid(0))) < 1e-8)  // the scale is stored as a Float
  }

  @Test func aMixtureWeighsItsLogisticsBySoftmax() {
    let density = FactorizedDensity(logits: Tensor(shape: [2, 2], scalars: [0, log(3), 5, 5]), means: Tensor(shape: [2, 2], scalars: [-2, 3, 0, 0]),
                                    logScales: Tensor(shape: [2, 2], scalars: [0, log(0.5), 0, 0]))
    func mass(_ y: Double, _ mean: Double, _ scale: Double) -> Double { sigmoid((y + 0.5 - mean) / scale) - sigmoid((y - 0.5 - mean) / scale) }
    #expect(abs(density.probability(ofInteger: 2, channel: 0) - (0.25 * mass(2, -2, 1) + 0.75 * mass(2, 3, 0.5))) < 1e-8)
    // Probabilities over the support sum to 1 (within the tails beyond it).
    for channel in 0..<2 {
      let support = density.support(channel: channel, limit: 4096)
      #expect(abs(support.reduce(0.0) { $0 + density.probability(ofInteger: $1, channel: channel) } - 1) < 1e-9)
    }
  }

  @Test func gradientsMatchFiniteDifferences() {
    // Two channels of three logistics; code values spread over both tails and the middle.
    let code = randomTensor([5, 2, 2], in: -4..<4, seed: 3)
    let logits = randomTensor([2, 3], in: -1..<1, seed: 4), means = randomTensor([2, 3], in: -2..<2, seed: 5)
    let logScales = randomTensor([2, 3], in: -0.5..<0.8, seed: 6)
    expectGradientsMatchFiniteDifferences(at: [code, logits, means, logScales], step: 1e-2, rtol: 3e-2, atol: 3e-3) { v in
      FactorizedDensity.bits(of: v[0], logits: v[1], means: v[2], logScales: v[3])
    }
  }

  @Test func tailsCostBoundedBitsAndPullTheDensity() {
    let density = FactorizedDensity(channels: 1, components: 1)
    // Far out, the probability's bound caps the cost at about 30 bits.
    #expect(abs(Double(density.bits(of: Variable(Tensor(shape: [1, 1], scalars: [400]))).value.scalar) + log2(FactorizedDensity.smallestProbability)) < 1e-3)
    // In a tail, moving the location towards the value lowers its cost.
    let bits = density.bits(of: Variable(Tensor(shape: [1, 1], scalars: [12]), requiresGradient: true))
    bits.backward()
    #expect(density.means.gradient!.scalars[0] < -1)
  }

  @Test func freshDensitiesSpreadTheirLocations() {
    let density = FactorizedDensity(channels: 2, components: 3)
    #expect(density.means.value.scalars == [-2, 0, 2, -2, 0, 2])
    #expect(density.namedParameters.map(\.name) == ["logits", "means", "log_scales"])
  }
}
