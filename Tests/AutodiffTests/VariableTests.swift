import Autodiff
import TensorCore
import TestSupport
import Testing

@Suite struct VariableTests {
  @Test func backwardThroughAHandWorkedGraph() {
    // loss = sum((a * b) + a) with a = [1, 2], b = [3, 4]: ∂/∂a = b + 1, ∂/∂b = a.
    let a = Variable(Tensor([1, 2]), requiresGradient: true)
    let b = Variable(Tensor([3, 4]), requiresGradient: true)
    let loss = (a * b + a).sum()
    #expect(loss.value.scalar == 14)
    loss.backward()
    #expect(a.gradient == Tensor([4, 5]))
    #expect(b.gradient == Tensor([1, 2]))
  }

  @Test func fanOutAccumulatesAndLeavesKeepGradientsAcrossCalls() {
    let x = Variable(Tensor([3]), requiresGradient: true)
    (x * x * x).sum().backward()  // 3x² = 27
    #expect(x.gradient == Tensor([27]))
    (x * 2).sum().backward()      // accumulates: 27 + 2
    #expect(x.gradient == Tensor([29]))
    x.clearGradient()
    #expect(x.gradient == nil)
  }

  @Test func constantsGetNoGradientAndRecordNoGraph() {
    let c = Variable(Tensor([1, 2]))
    let p = Variable(Tensor([1, 1]), requiresGradient: true)
    let y = c * c
    #expect(!y.requiresGradient && y.operation == nil)
    let z = (c * p).sum()
    z.backward()
    #expect(c.gradient == nil)
    #expect(p.gradient == Tensor([1, 2]))
  }

  @Test func withoutGradientsRecordsNothing() {
    let p = Variable(Tensor([1, 1]), requiresGradient: true)
    let y = withoutGradients { (p * 3).sigmoid() }
    #expect(!y.requiresGradient && y.operation == nil)
    #expect((p * 3).requiresGradient)
  }

  @Test func intermediateGradientsAreFreedAfterUse() {
    let p = Variable(Tensor([1, 2]), requiresGradient: true)
    let hidden = p.exp()
    let loss = hidden.sum()
    loss.backward()
    #expect(hidden.gradient == nil)
    #expect(p.gradient != nil)
  }

  @Test func aDeepChainDoesNotOverflowTheStack() {
    let p = Variable(Tensor([1]), requiresGradient: true)
    var y = p
    for _ in 0..<20_000 { y = y + 0 }
    y.sum().backward()
    #expect(p.gradient == Tensor([1]))
  }

  @Test func sigmoidRemembersItsLogitsWithAndWithoutGradients() {
    let x = Variable(Tensor([0.5]), requiresGradient: true)
    let y = x.sigmoid()
    #expect(y.logits === x)
    #expect(x.exp().logits == nil)
    // Evaluation computes the same loss as training: from the logits.
    let constant = withoutGradients { x.sigmoid() }
    #expect(constant.logits === x && !constant.requiresGradient)
  }

  @Test func aDeferredSigmoidIsComputedWhenReadAndDifferentiates() {
    let x = Variable(Tensor([-1, 0, 2]), requiresGradient: true)
    let y = x.sigmoid()
    #expect(y.shape == [3])
    expectClose(y.value, Tensor([0.26894142, 0.5, 0.88079708]), rtol: 1e-6)
    (y * y).sum().backward()  // through the sigmoid's own pullback: 2y · y(1 - y)
    let yv = y.value.scalars
    expectClose(x.gradient!.scalars, yv.map { 2 * $0 * $0 * (1 - $0) }, rtol: 1e-6)
  }

  @Test func gradientsWithRespectToLeavesMatchBackwardAndLeaveLeavesUntouched() {
    let a = Variable(Tensor([1, 2]), requiresGradient: true)
    let b = Variable(Tensor([3, 4]), requiresGradient: true)
    let unused = Variable(Tensor([5]), requiresGradient: true)
    let loss = (a * b + a * a).sum()  // ∂/∂a = b + 2a, ∂/∂b = a
    let found = loss.gradients(withRespectTo: [b, a, unused])
    #expect(found[0] == Tensor([1, 2]))
    #expect(found[1] == Tensor([5, 8]))
    #expect(found[2] == nil)
    #expect(a.gradient == nil && b.gradient == nil)
  }

  @Test func aScalarLeafsGradientWithRespectToItselfIsOne() {
    let p = Variable(Tensor(3), requiresGradient: true)
    #expect(p.gradients(withRespectTo: [p])[0] == Tensor(1))
    p.backward()
    #expect(p.gradient == Tensor(1))
  }

  @Test func graphsSharingParametersDifferentiateOnTwoThreadsAtOnce() {
    let w = Variable(Tensor(shape: [3, 2], scalars: [1, -2, 3, 0.5, -1, 2]), requiresGradient: true)
    let inputs = (0..<2).map { shard in Tensor(shape: [4, 3], scalars: (0..<12).map { Float(($0 + 5 * shard) % 7) * 0.1 }) }
    func gradient(_ x: Tensor) -> Tensor { Variable(x).matmul(w).sigmoid().sum().gradients(withRespectTo: [w])[0]! }
    let expected = inputs.map(gradient)
    #expect(expected[0] != expected[1])
    let found = UnsafeMutableBufferPointer<Tensor>.allocate(capacity: 2)
    defer { found.deallocate() }
    for _ in 0..<20 {
      Parallel.withThreads(2) { Parallel.forEachShard(2) { (found.baseAddress! + $0).initialize(to: gradient(inputs[$0])) } }
      #expect(Array(found) == expected)
      _ = found.deinitialize()
    }
    #expect(w.gradient == nil)
  }
}
