import Autodiff
import TensorCore
import TestSupport
import Testing

@Suite struct VariableEmbeddingTests {
  @Test func picksRowsAndSumsGradientsPerToken() {
    let table = Variable(Tensor([[1, 2], [3, 4], [5, 6]]), requiresGradient: true)
    let ids = Tensor(shape: [2, 3], scalars: [2, 0, 2, 1, 1, 0])
    let output = table.embedding(of: ids)
    #expect(output.value.shape == [2, 3, 2])
    #expect(output.value.scalars == [5, 6, 1, 2, 5, 6, 3, 4, 3, 4, 1, 2])
    (output * Variable(Tensor(shape: [2, 3, 2], scalars: (1...12).map(Float.init)))).sum().backward()
    // Token 0 at (0, 1) and (1, 2): upstream [3, 4] + [11, 12]; token 1 at (1, 0), (1, 1); token 2 at (0, 0), (0, 2).
    let expected: [Float] = [14, 16, 16, 18, 6, 8]
    #expect(table.gradient!.scalars == expected)
  }

  @Test func gradientMatchesFiniteDifferences() {
    let ids = Tensor(shape: [2, 4], scalars: [0, 3, 3, 1, 2, 0, 1, 3])
    expectGradientsMatchFiniteDifferences(at: [randomTensor([4, 3], seed: 4)]) { $0[0].embedding(of: ids) }
  }
}
