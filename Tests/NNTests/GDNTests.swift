import Autodiff
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

@Suite struct GDNTests {
  /// Two pixels of two channels, β roots (1, 2), γ roots [[1, 0.5], [0, 2]] (j down, i across).
  let input = Tensor(shape: [1, 1, 2, 2], scalars: [1, -2, 3, 0.5])
  let beta = Tensor(shape: [2], scalars: [1, 2])
  let gamma = Tensor(shape: [2, 2], scalars: [1, 0.5, 0, 2])

  /// The norms written out: β = (1, 4) + 1e-6, γ = [[1, 0.25], [0, 4]];
  /// norm_i = sqrt(β_i + Σ_j γ_ji x_j²).
  func norms(_ x: (Float, Float)) -> (Float, Float) {
    let b0: Float = 1 + 1e-6, b1: Float = 4 + 1e-6
    return ((b0 + 1 * x.0 * x.0 + 0 * x.1 * x.1).squareRoot(), (b1 + 0.25 * x.0 * x.0 + 4 * x.1 * x.1).squareRoot())
  }

  @Test func dividesEachPixelsChannelsByTheirNorm() {
    let y = GDN(beta: beta, gamma: gamma, inverse: false).inferring(from: input)
    let (n0, n1) = norms((1, -2)), (m0, m1) = norms((3, 0.5))
    #expect(y.shape == [1, 1, 2, 2])
    expectClose(y.scalars, [1 / n0, -2 / n1, 3 / m0, 0.5 / m1], rtol: 1e-6, atol: 0)
    let z = GDN(beta: beta, gamma: gamma, inverse: true).inferring(from: input)
    expectClose(z.scalars, [1 * n0, -2 * n1, 3 * m0, 0.5 * m1], rtol: 1e-6, atol: 0)
  }

  @Test func aNewLayerStartsAtTheIdentityOfThePaper() {
    // β = 1 and γ = 0.1 I (off-diagonal 1e-4): x / sqrt(1 + 0.1 x² + 1e-4 Σ_{j≠i} x_j²).
    let layer = GDN(channels: 3, inverse: false)
    let x = Tensor(shape: [1, 1, 1, 3], scalars: [2, 0, -1])
    let expected: [Float] = [2 / (1 + 1e-6 + 0.4 + 1e-4 * 1).squareRoot(), 0, -1 / (1 + 1e-6 + 0.1 + 1e-4 * 4).squareRoot()]
    expectClose(layer.inferring(from: x).scalars, expected, rtol: 1e-5, atol: 0)
    #expect(layer.namedParameters.map(\.name) == ["beta", "gamma"] && layer.parameterCount == 3 + 9)
    // β and γ as the operation takes them: 1 + 1e-6, and 0.1 on the diagonal, 1e-4 off it.
    expectClose(layer.normalization.beta.scalars, [1 + 1e-6, 1 + 1e-6, 1 + 1e-6], rtol: 1e-6, atol: 0)
    expectClose(layer.normalization.gamma.scalars, [0.1, 1e-4, 1e-4, 1e-4, 0.1, 1e-4, 1e-4, 1e-4, 0.1], rtol: 1e-5, atol: 0)
  }

  @Test func gradientsMatchFiniteDifferences() {
    for inverse in [false, true] {
      let x = randomTensor([2, 2, 3, 3], seed: 5), b = randomTensor([3], in: 0.5..<1.5, seed: 6), g = randomTensor([3, 3], in: 0.1..<0.8, seed: 7)
      // The input's and parameters' gradients against central differences of the layer's weighted output.
      let layer = GDN(beta: b, gamma: g, inverse: inverse)
      let input = Variable(x, requiresGradient: true)
      let weights = randomTensor([2, 2, 3, 3], in: 0.5..<1.5, seed: 8)
      (layer(input) * weights).sum().backward()
      func loss(_ b: Tensor, _ g: Tensor, _ x: Tensor) -> Double {
        Double((GDN(beta: b, gamma: g, inverse: inverse).inferring(from: x).scalars.enumerated().reduce(Float(0)) { $0 + $1.element * weights.scalars[$1.offset] }))
      }
      for (tensor, gradient, which) in [(b, layer.beta.gradient!, 0), (g, layer.gamma.gradient!, 1), (x, input.gradient!, 2)] {
        var numeric = [Float](repeating: 0, count: tensor.count)
        for element in 0..<tensor.count {
          var (up, down) = (tensor, tensor)
          up.withUnsafeMutableBufferPointer { $0[element] += 1e-2 }
          down.withUnsafeMutableBufferPointer { $0[element] -= 1e-2 }
          let args = { (t: Tensor) in which == 0 ? (t, g, x) : which == 1 ? (b, t, x) : (b, g, t) }
          let (u, d) = (args(up), args(down))
          numeric[element] = Float((loss(u.0, u.1, u.2) - loss(d.0, d.1, d.2)) / 2e-2)
        }
        expectClose(gradient.scalars, numeric, rtol: 2e-2, atol: 2e-3, "inverse \(inverse), parameter \(which)")
      }
    }
  }

  @Test func specStringsAndModelFilesNameIt() throws {
    let architecture = try Architecture(spec: "conv 4 3 stride 2, gdn | convt 4 3 stride 2, igdn, conv 1 3 sigmoid", exampleShape: [8, 8])
    #expect(architecture.encoder[1] == .gdn() && architecture.decoder[1] == .gdn(inverse: true))
    let json = try JSONEncoder().encode(architecture.decoder[1])
    #expect(String(decoding: json, as: UTF8.self).contains("\"inverse\":true") && String(decoding: json, as: UTF8.self).contains("\"type\":\"gdn\""))
    #expect(try JSONDecoder().decode(LayerSpec.self, from: json) == .gdn(inverse: true))
    #expect(throws: SpecError.self) { try Architecture(spec: "conv 4 3, gdn 3 | conv 1 3", exampleShape: [8, 8]) }
    #expect(throws: (any Error).self) { try Architecture(spec: "dense 8, gdn | dense 64", exampleShape: [64]) }  // not images
  }
}
