import Autodiff
import Testing
import TensorCore

/// The analytic gradients of `function` at `inputs` (by `backward()`) and central finite
/// differences, for each input.
///
/// The function's output, of any shape, is reduced as `Σ output · weights` with fixed random
/// weights, so every element's upstream gradient differs and a pullback that mixes up elements
/// cannot pass.
public func gradients(of function: ([Variable]) -> Variable, at inputs: [Tensor], step: Float = 1e-2)
  -> (analytic: [[Float]], numeric: [[Float]])
{
  var generator = SplitMix64(seed: 99)
  func objective(_ tensors: [Tensor], weights: inout Tensor?) -> (Variable, [Variable]) {
    let variables = tensors.map { Variable($0, requiresGradient: true) }
    let output = function(variables)
    if weights == nil {
      weights = Tensor.randomUniform(shape: output.shape, in: 0.5..<1.5, using: &generator)
    }
    return ((output * weights!).sum(), variables)
  }
  var weights: Tensor?
  let (loss, variables) = objective(inputs, weights: &weights)
  loss.backward()
  let analytic = variables.map { $0.gradient?.scalars ?? Array(repeating: 0, count: $0.value.count) }

  var numeric: [[Float]] = []
  for (index, input) in inputs.enumerated() {
    var derivatives = [Float](repeating: 0, count: input.count)
    for element in 0..<input.count {
      func value(at offset: Float) -> Double {
        var shifted = inputs
        shifted[index].withUnsafeMutableBufferPointer { $0[element] += offset }
        return Double(objective(shifted, weights: &weights).0.value.scalar)
      }
      derivatives[element] = Float((value(at: step) - value(at: -step)) / Double(2 * step))
    }
    numeric.append(derivatives)
  }
  return (analytic, numeric)
}

/// Records an issue unless every input's gradient from `backward()` matches central finite
/// differences within `|a - n| <= atol + rtol·|n|`.
public func expectGradientsMatchFiniteDifferences(
  at inputs: [Tensor], step: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 2e-3,
  sourceLocation: SourceLocation = #_sourceLocation, _ function: ([Variable]) -> Variable
) {
  let (analytic, numeric) = gradients(of: function, at: inputs, step: step)
  for (index, (a, n)) in zip(analytic, numeric).enumerated() {
    expectClose(a, n, rtol: rtol, atol: atol, "gradient of input \(index)", sourceLocation: sourceLocation)
  }
}

/// A tensor of uniform random values in `range`, fixed by `seed`.
public func randomTensor(_ shape: [Int], in range: Range<Float> = -1..<1, seed: UInt64 = 1) -> Tensor {
  var generator = SplitMix64(seed: seed)
  return Tensor.randomUniform(shape: shape, in: range, using: &generator)
}

/// A tensor of uniform random values whose magnitudes lie in `range`, with random signs: for
/// functions with a kink at 0 (relu, abs), which finite differences cannot cross.
public func randomTensorAwayFromZero(_ shape: [Int], magnitudes range: Range<Float> = 0.1..<1, seed: UInt64 = 1) -> Tensor {
  var generator = SplitMix64(seed: seed)
  return Tensor(shape: shape) { out in
    for i in out.indices {
      let magnitude = range.lowerBound + (range.upperBound - range.lowerBound) * generator.nextUnitFloat()
      out[i] = generator.next() & 1 == 0 ? magnitude : -magnitude
    }
  }
}
