import Foundation
import TensorCore
import TestSupport
import Testing

@Suite struct TensorMathTests {
  let x = Tensor([-2, -0.5, 0, 0.5, 2])

  @Test func activationsMatchTheirDefinitions() {
    #expect(x.relu().scalars == [0, 0, 0, 0.5, 2])
    #expect(x.leakyRelu(slope: 0.1).scalars == [-0.2, -0.05, 0, 0.5, 2])
    expectClose(x.sigmoid().scalars, x.scalars.map { 1 / (1 + Foundation.exp(-$0)) }, rtol: 1e-6)
    expectClose(x.tanh().scalars, x.scalars.map { Foundation.tanh($0) }, rtol: 1e-6)
    expectClose(x.softplus().scalars, x.scalars.map { Foundation.log(1 + Foundation.exp($0)) }, rtol: 1e-6)
  }

  @Test func elementaryFunctions() {
    expectClose(x.exp().scalars, x.scalars.map { Foundation.exp($0) }, rtol: 1e-6)
    expectClose(Tensor([1, 4, 0.25]).log().scalars, [0, Foundation.log(4), Foundation.log(0.25)], rtol: 1e-6)
    #expect(Tensor([4, 9, 0]).squareRoot().scalars == [2, 3, 0])
    #expect(x.abs().scalars == [2, 0.5, 0, 0.5, 2])
    #expect(x.sign().scalars == [-1, -1, 0, 1, 1])
    #expect(x.squared().scalars == [4, 0.25, 0, 0.25, 4])
    #expect(x.clamped(to: -1...1).scalars == [-1, -0.5, 0, 0.5, 1])
    #expect(x.affine(scale: 2, offset: 1).scalars == [-3, 0, 1, 2, 5])
  }

  @Test func activationGradientHelpers() {
    let g = Tensor([1, 2, 3, 4, 5])
    #expect(Tensor.reluBackward(g, output: x.relu()).scalars == [0, 0, 0, 4, 5])
    #expect(Tensor.leakyReluBackward(g, input: x, slope: 0.5).scalars == [0.5, 1, 1.5, 4, 5])
    let y = x.sigmoid()
    expectClose(Tensor.sigmoidBackward(g, output: y).scalars, zip(g.scalars, y.scalars).map { $0 * $1 * (1 - $1) })
    let t = x.tanh()
    expectClose(Tensor.tanhBackward(g, output: t).scalars, zip(g.scalars, t.scalars).map { $0 * (1 - $1 * $1) })
    #expect(Tensor.clampBackward(g, input: x, range: -1...1).scalars == [0, 2, 3, 4, 0])
  }

  @Test func finiteness() {
    #expect(x.isFinite)
    #expect(!Tensor([1, .nan]).isFinite)
    #expect(!Tensor([.infinity, 1]).isFinite)
    #expect(Tensor([Float.greatestFiniteMagnitude, .greatestFiniteMagnitude]).isFinite)
  }
}
