import Autodiff
import NN
import TensorCore
import Testing

/// Records an issue unless the gradients a layer gives through its own call (`valueWithGradient`
/// over its parameters, and the input's from `backward()`) match central finite differences of
/// the layer's output, reduced as `Σ output · weights` with fixed random weights.
///
/// This checks the layer as models use it, fused paths included (a convolution's relu), not a
/// composition of ops written beside it.
public func expectLayerGradientsMatchFiniteDifferences(
  _ layer: some Layer, input: Tensor, step: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 2e-3,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  var generator = SplitMix64(seed: 99)
  let weights = Tensor.randomUniform(shape: layer.inferring(from: input).shape, in: 0.5..<1.5, using: &generator)
  // Summed in Double: a Float sum of many outputs would drown the finite differences in rounding.
  func objective(_ x: Tensor) -> Double {
    let output = layer.inferring(from: x).scalars, w = weights.scalars
    return zip(output, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
  }
  let (_, gradients) = valueWithGradient(at: layer) { layer in (layer(Variable(input)) * weights).sum() }
  for (name, parameter) in layer.namedParameters {
    let original = parameter.value
    var numeric = [Float](repeating: 0, count: original.count)
    for element in 0..<original.count {
      func value(at offset: Float) -> Double {
        parameter.updateValue { $0 = original; $0.withUnsafeMutableBufferPointer { $0[element] += offset } }
        return objective(input)
      }
      numeric[element] = Float((value(at: step) - value(at: -step)) / Double(2 * step))
    }
    parameter.updateValue { $0 = original }
    expectClose(gradients[name]?.scalars ?? [], numeric, rtol: rtol, atol: atol, "gradient of \(name)", sourceLocation: sourceLocation)
  }
  let x = Variable(input, requiresGradient: true)
  (layer(x) * weights).sum().backward()
  var numeric = [Float](repeating: 0, count: input.count)
  for element in 0..<input.count {
    func value(at offset: Float) -> Double {
      var shifted = input
      shifted.withUnsafeMutableBufferPointer { $0[element] += offset }
      return objective(shifted)
    }
    numeric[element] = Float((value(at: step) - value(at: -step)) / Double(2 * step))
  }
  expectClose(x.gradient?.scalars ?? [], numeric, rtol: rtol, atol: atol, "gradient of the input", sourceLocation: sourceLocation)
  layer.namedParameters.forEach { $0.parameter.clearGradient() }
}
