import Autodiff
import Foundation
import NN
import TensorCore
import Testing

@Suite struct ActivationTests {
  @Test func namesParseAndPrintBack() {
    #expect(Activation("relu") == .relu && Activation("linear") == .identity && Activation("TANH") == .tanh)
    #expect(Activation("leaky_relu") == .leakyRelu(slope: 0.2))
    #expect(Activation("leaky_relu:0.05") == .leakyRelu(slope: 0.05))
    #expect(Activation("swish") == nil && Activation("leaky_relu:abc") == nil)
    for activation in [Activation.identity, .relu, .sigmoid, .tanh, .leakyRelu(slope: 0.3)] {
      #expect(Activation(activation.description) == activation)
    }
  }

  @Test func appliesTheNamedFunction() {
    let x = Variable(Tensor([-1, 2]))
    #expect(Activation.identity(x).value == Tensor([-1, 2]))
    #expect(Activation.relu(x).value == Tensor([0, 2]))
    #expect(Activation.leakyRelu(slope: 0.5)(x).value == Tensor([-0.5, 2]))
  }

  @Test func codableAsAString() throws {
    let data = try JSONEncoder().encode([Activation.leakyRelu(slope: 0.25)])
    #expect(String(decoding: data, as: UTF8.self) == #"["leaky_relu:0.25"]"#)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode([Activation].self, from: Data(#"["gelu"]"#.utf8)) }
  }
}
