import Autodiff
import Foundation
@testable import NN
import TensorCore
import TestSupport
import Testing

/// PyTorch's nn.GRU on the same weights (`scripts/reference/pytorch_gru.py`, in double precision).
enum PyTorchGRU {
  static let outputs: [Float] = [0.313838051, 0.398296101, 0.425780989, 0.419884199, 0.515683387, 0.564473709, 0.556120127, 0.613254241, 0.642672298, 0.390111298, 0.375528919, 0.344337665, 0.55753365, 0.611143595, 0.604169324, 0.537698041, 0.649558636, 0.694949045]
  static let inputGradient: [Float] = [-0.104517641, -0.00232294442, 0.0160434124, 0.0600222495, -0.136615621, 0.0349929411, 0.180312914, -0.136897354, -0.0982918936, 0.0545378021, 0.0883896733, -0.099841107]
  static let kernelGradient: [Float] = [-0.0196044421, -0.0760733808, -0.0713339966, -0.0068440752, -0.0137292514, -0.00246552017, -0.0211953457, -0.0363546149, -0.00461840331, -0.0589740593, -0.137315298, -0.0761650067, 0.0558357994, -0.00844199634, -0.0241818173, 0.219015112, -0.0219786989, -0.0918198096]
  static let recurrentGradient: [Float] = [-0.00770974388, -0.0405634892, -0.0187315259, 0.0348688118, 0.0130152022, -0.00580086392, 0.0817545748, 0.0455833362, -0.0101044746, -0.00862342252, -0.0438476741, -0.0203228257, 0.0357961236, 0.0143300277, -0.00507880567, 0.085039275, 0.0512917973, -0.00724636928, -0.00965097577, -0.0444659621, -0.0208665978, 0.034798276, 0.0152575269, -0.00379529562, 0.0837454287, 0.0546637766, -0.00337054573]
  static let biasGradient: [Float] = [-0.044739386, -0.0473484092, 0.0665532095, 0.101957245, 0.0439542314, -0.0108623527, 0.397510349, 0.180214704, -0.0385756674, -0.044739386, -0.0473484092, 0.0665532095, 0.101957245, 0.0439542314, -0.0108623527, 0.226556396, 0.123033756, -0.0235213795]
}

@Suite struct GRUTests {
  static func values(_ count: Int, _ f: (Int) -> Double) -> [Float] { (0..<count).map { Float(f($0)) } }
  static let x = Tensor(shape: [2, 3, 2], scalars: values(12) { sin(0.7 * Double($0)) })
  static let kernel = Tensor(shape: [2, 9], scalars: values(18) { 0.5 * cos(0.3 * Double($0)) })
  static let recurrent = Tensor(shape: [3, 9], scalars: values(27) { 0.4 * sin(0.5 * Double($0) + 1) })
  static let bias = Tensor(shape: [2, 9], scalars: values(18) { 0.1 * Double($0) - 0.5 })

  /// Forward and backward through time against PyTorch's GRU with the weights mapped (Keras's z,
  /// r, h reordered to PyTorch's r, z, n; its weights the transposes), to 1e-5.
  @Test func matchesPyTorchForwardAndBackward() {
    let layer = GRU(weight: Self.kernel, recurrentWeight: Self.recurrent, bias: Self.bias, returnsSequences: true)
    let x = Variable(Self.x, requiresGradient: true)
    let y = layer(x)
    expectClose(y.value.scalars, PyTorchGRU.outputs, rtol: 1e-5, atol: 1e-6)
    (y * Variable(Tensor(shape: [2, 3, 3], scalars: Self.values(18) { cos(0.9 * Double($0)) }))).sum().backward()
    expectClose(x.gradient!.scalars, PyTorchGRU.inputGradient, rtol: 1e-5, atol: 1e-6)
    expectClose(layer.weight.gradient!.scalars, PyTorchGRU.kernelGradient, rtol: 1e-5, atol: 1e-6)
    expectClose(layer.recurrentWeight.gradient!.scalars, PyTorchGRU.recurrentGradient, rtol: 1e-5, atol: 1e-6)
    expectClose(layer.bias!.gradient!.scalars, PyTorchGRU.biasGradient, rtol: 1e-5, atol: 1e-6)
  }

  /// Eight units and more take BLAS for the recurrent products (fewer, a plain loop).
  @Test func gradientsThroughTheBLASRecurrenceMatchFiniteDifferences() {
    expectGradientsMatchFiniteDifferences(at: [randomTensor([2, 3, 2], seed: 21), randomTensor([2, 24], seed: 22),
                                               randomTensor([8, 24], in: -0.3..<0.3, seed: 23), randomTensor([2, 24], seed: 24)]) {
      $0[0].gru(kernel: $0[1], recurrentKernel: $0[2], bias: $0[3], returningSequences: true)
    }
  }

  @Test(arguments: [true, false]) func gradientsMatchFiniteDifferences(sequences: Bool) {
    expectGradientsMatchFiniteDifferences(at: [randomTensor([2, 4, 3], seed: 5), randomTensor([3, 6], seed: 6), randomTensor([2, 6], seed: 7),
                                               randomTensor([2, 6], seed: 8)]) {
      $0[0].gru(kernel: $0[1], recurrentKernel: $0[2], bias: $0[3], returningSequences: sequences)
    }
  }

  @Test func oneStepIsByHand() {
    // One unit, one step from h = 0: z = σ(a_z + b_z'), r = σ(a_r + b_r'), ĥ = tanh(a_h + r·b_h'), h = (1 − z)·ĥ.
    let one = GRU(weight: Tensor(shape: [1, 3], scalars: [1, 2, 3]), recurrentWeight: Tensor(shape: [1, 3], scalars: [0, 0, 0]),
                  bias: Tensor(shape: [2, 3], scalars: [0, 0, 0, 0.5, 0.25, 1]), returnsSequences: false)
    let h = one(Variable(Tensor(shape: [1, 1, 1], scalars: [0.5]))).value.scalars[0]
    func sigmoid(_ v: Float) -> Float { 1 / (1 + exp(-v)) }
    let z = sigmoid(0.5 + 0.5), r = sigmoid(1 + 0.25), candidate = tanh(1.5 + r * 1)
    #expect(abs(h - (1 - z) * candidate) < 1e-6)
  }

  @Test func specsAndFreshLayers() throws {
    var generator = SplitMix64(seed: 9)
    let spec = try LayerSpec.parsing("gru 8 sequences")
    #expect(spec == .gru(units: 8, returnsSequences: true))
    #expect(try spec.outputShape(for: [10, 2]) == [10, 8])
    #expect(spec.parameterShapes(inputShape: [10, 2]).map(\.shape) == [[2, 24], [8, 24], [2, 24]])
    let layer = try #require(try spec.makeLayer(inputShape: [10, 2], using: &generator) as? GRU)
    #expect(layer.bias!.value.scalars.allSatisfy { $0 == 0 } && layer.recurrentWeight.value.shape == [8, 24])
  }
}
