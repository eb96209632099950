import Autodiff
import Foundation
@testable import NN
import TensorCore
import TestSupport
import Testing

/// PyTorch's nn.LSTM on the same weights (`scripts/reference/pytorch_lstm.py`, in double precision).
enum PyTorchLSTM {
  static let outputs: [Float] = [0.0619331791, 0.103989011, 0.145978059, 0.0753431747, 0.103686743, 0.137619464, 0.00774553242, 0.0114231328, 0.0299864425, -0.0244393095, 0.0023704173, 0.0384179912, 0.0245624236, 0.08075328, 0.145762789, 0.0764900836, 0.130577237, 0.192992644]
  static let inputGradient: [Float] = [-0.0206830569, 0.0635641772, 0.0929987038, -0.169596421, -0.162082327, 0.260686193, 0.106618961, -0.163340035, -0.0690015269, 0.114636103, 0.0881663527, -0.10646452]
  static let kernelGradient: [Float] = [-0.0148448877, -0.0515796545, -0.0601547486, -0.00445437888, -0.00885377632, -0.0183228852, -0.0267034789, -0.0412295703, -0.0372522438, -0.0260997033, -0.0628022594, -0.0736547685, 0.0239670841, -0.00266867292, -0.0490716008, -0.00966767212, -0.0245301248, -0.0369494815, 0.0503168735, -0.0701218701, -0.151462904, -0.00414884439, -0.0382254265, -0.0702717733]
  static let recurrentGradient: [Float] = [-0.0015496746, -0.0035637155, -0.00345122948, 0.000213766341, 0.000796999223, 0.000490297513, 0.00163292438, 0.00513234076, 0.00371174056, -0.00163391492, -0.00323059985, -0.00320975933, -0.00130848755, -0.00478770029, -0.00572169518, 0.000219246613, 0.000636776997, -0.000478297303, 0.00526954259, 0.00547686236, -0.00100157027, -0.00217735101, -0.00527026504, -0.0060270329, -0.00086977132, -0.00594638952, -0.0081026855, 0.000305427279, 0.000570561614, -0.00152875524, 0.0110326244, 0.00782519708, -0.00551905968, -0.00256468168, -0.00722217509, -0.00892124154]
  static let biasGradient: [Float] = [0.0314404132, 0.00936684863, -0.050999727, 0.00207204728, 0.00551971009, -0.00481700976, 0.190840744, 0.0734523865, -0.133609816, 0.00766052784, -0.0136668385, -0.0466885073]
}

@Suite struct LSTMTests {
  static func values(_ count: Int, _ f: (Int) -> Double) -> [Float] { (0..<count).map { Float(f($0)) } }
  static let x = Tensor(shape: [2, 3, 2], scalars: values(12) { sin(0.7 * Double($0)) })
  static let kernel = Tensor(shape: [2, 12], scalars: values(24) { 0.5 * cos(0.3 * Double($0)) })
  static let recurrent = Tensor(shape: [3, 12], scalars: values(36) { 0.4 * sin(0.5 * Double($0) + 1) })
  static let bias = Tensor(shape: [12], scalars: values(12) { 0.1 * Double($0) - 0.5 })

  /// Forward and backward through time against PyTorch's LSTM with the weights mapped (Keras's
  /// i, f, c, o is PyTorch's i, f, g, o; its weights the transposes), to 1e-5.
  @Test func matchesPyTorchForwardAndBackward() {
    let layer = LSTM(weight: Self.kernel, recurrentWeight: Self.recurrent, bias: Self.bias, returnsSequences: true)
    let x = Variable(Self.x, requiresGradient: true)
    let y = layer(x)
    expectClose(y.value.scalars, PyTorchLSTM.outputs, rtol: 1e-5, atol: 1e-6)
    (y * Variable(Tensor(shape: [2, 3, 3], scalars: Self.values(18) { cos(0.9 * Double($0)) }))).sum().backward()
    expectClose(x.gradient!.scalars, PyTorchLSTM.inputGradient, rtol: 1e-5, atol: 1e-6)
    expectClose(layer.weight.gradient!.scalars, PyTorchLSTM.kernelGradient, rtol: 1e-5, atol: 1e-6)
    expectClose(layer.recurrentWeight.gradient!.scalars, PyTorchLSTM.recurrentGradient, rtol: 1e-5, atol: 1e-6)
    expectClose(layer.bias!.gradient!.scalars, PyTorchLSTM.biasGradient, rtol: 1e-5, atol: 1e-6)
  }

  /// Eight units and more take BLAS for the recurrent products (fewer, a plain loop).
  @Test func gradientsThroughTheBLASRecurrenceMatchFiniteDifferences() {
    expectGradientsMatchFiniteDifferences(at: [randomTensor([2, 3, 2], seed: 21), randomTensor([2, 32], seed: 22),
                                               randomTensor([8, 32], in: -0.3..<0.3, seed: 23), randomTensor([32], seed: 24)]) {
      $0[0].lstm(kernel: $0[1], recurrentKernel: $0[2], bias: $0[3], returningSequences: true)
    }
  }

  @Test(arguments: [true, false]) func gradientsMatchFiniteDifferences(sequences: Bool) {
    expectGradientsMatchFiniteDifferences(at: [randomTensor([2, 4, 3], seed: 1), randomTensor([3, 8], seed: 2), randomTensor([2, 8], seed: 3),
                                               randomTensor([8], seed: 4)]) {
      $0[0].lstm(kernel: $0[1], recurrentKernel: $0[2], bias: $0[3], returningSequences: sequences)
    }
  }

  @Test func theLastStateIsTheLastStepsAndOneStepIsByHand() {
    let all = LSTM(weight: Self.kernel, recurrentWeight: Self.recurrent, bias: Self.bias, returnsSequences: true)(Variable(Self.x)).value.scalars
    let last = LSTM(weight: Self.kernel, recurrentWeight: Self.recurrent, bias: Self.bias, returnsSequences: false)(Variable(Self.x)).value
    #expect(last.shape == [2, 3] && last.scalars == Array(all[6..<9]) + Array(all[15..<18]))
    // One unit, one step: z = x·w + b per gate; c = σ(z_i)·tanh(z_g); h = σ(z_o)·tanh(c).
    let one = LSTM(weight: Tensor(shape: [1, 4], scalars: [1, 2, 3, 4]), recurrentWeight: Tensor(shape: [1, 4], scalars: [0, 0, 0, 0]),
                   bias: Tensor(shape: [4], scalars: [0, 0, 0, 0]), returnsSequences: false)
    let h = one(Variable(Tensor(shape: [1, 1, 1], scalars: [0.5]))).value.scalars[0]
    func sigmoid(_ v: Float) -> Float { 1 / (1 + exp(-v)) }
    let c = sigmoid(0.5) * tanh(1.5)
    #expect(abs(h - sigmoid(2) * tanh(c)) < 1e-6)
  }

  @Test func freshLayersFollowKerasInitialization() throws {
    var generator = SplitMix64(seed: 7)
    let spec = try LayerSpec.parsing("lstm 16 sequences")
    #expect(spec == .lstm(units: 16, returnsSequences: true))
    #expect(try spec.outputShape(for: [24, 3]) == [24, 16])
    #expect(try LayerSpec.parsing("lstm 8").outputShape(for: [24, 3]) == [8])
    #expect(spec.parameterShapes(inputShape: [24, 3]).map(\.shape) == [[3, 64], [16, 64], [64]])
    let layer = try #require(try spec.makeLayer(inputShape: [24, 3], using: &generator) as? LSTM)
    // The recurrent kernel's rows are orthonormal; the forget gate's bias is one.
    let r = layer.recurrentWeight.value.scalars
    for a in 0..<16 {
      for b in 0..<16 {
        let dot = (0..<64).reduce(Float(0)) { $0 + r[a * 64 + $1] * r[b * 64 + $1] }
        #expect(abs(dot - (a == b ? 1 : 0)) < 1e-4)
      }
    }
    #expect(layer.bias!.value.scalars == (0..<64).map { (16..<32).contains($0) ? 1 : 0 })
    #expect(throws: LayerMisfit.self) { try spec.outputShape(for: [28, 28, 1]) }
  }
}
