@testable import TensorCore
import TestSupport
import Testing

@Suite struct DerivedKernelsTests {
  /// Inside a scope, each kind of derived kernel is derived once per weight (the second call gets
  /// the same storage back) and equals the kernel derived afresh, bit for bit.
  @Test func eachKindIsDerivedOnceInsideAScope() {
    let w3 = randomTensor([3, 3, 6, 5], seed: 11), w5 = randomTensor([5, 5, 4, 7], seed: 12)
    let kinds: [(String, () -> Tensor, Tensor)] = [
      ("F(2×2, 3×3)", { Tensor.winogradF23Kernel(w3) }, Tensor.winogradF23Transform.transformed(w3)),
      ("polyphase, transposed", { Tensor.winogradKernelTransposed(w5) }, PolyphaseAxis.kernelTransform(kernelSize: 5).transformed(w5)),
      ("flipped", { Tensor.flippedTransposedWeight(w3) }, Tensor.flippedTransposedKernel(w3)),
    ]
    Tensor.rememberingDerivedKernels {
      for (name, derive, fresh) in kinds {
        let first = derive(), second = derive()
        #expect(first.storage === second.storage, "\(name) derived twice")
        #expect(first.shape == fresh.shape && first.scalars == fresh.scalars, "\(name)")
      }
    }
  }

  /// A weight updated in place inside a scope (as an optimizer would) is derived again: the
  /// entry holds the old storage, so the update copies it, and the new storage is a new key.
  @Test func aWeightUpdatedInsideAScopeIsDerivedAgain() {
    var w = randomTensor([3, 3, 4, 4], seed: 13)
    Tensor.rememberingDerivedKernels {
      let before = Tensor.winogradF23Kernel(w)
      w.withUnsafeMutableBufferPointer { $0[0] += 1 }
      let after = Tensor.winogradF23Kernel(w)
      #expect(after.scalars == Tensor.winogradF23Transform.transformed(w).scalars)
      #expect(after.scalars != before.scalars)
    }
  }

  /// The same storage seen with another shape is another key: a `[3, 3, 4, 6]` weight and its
  /// `[3, 3, 6, 4]` view flip to different kernels.
  @Test func aReshapedWeightIsAnotherKey() {
    let w = randomTensor([3, 3, 4, 6], seed: 14), view = w.reshaped(to: [3, 3, 6, 4])
    Tensor.rememberingDerivedKernels {
      _ = Tensor.flippedTransposedWeight(w)
      #expect(Tensor.flippedTransposedWeight(view).scalars == Tensor.flippedTransposedKernel(view).scalars)
      #expect(Tensor.flippedTransposedWeight(view).shape == [3, 3, 4, 6])
    }
  }
}
