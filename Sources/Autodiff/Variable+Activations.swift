import TensorCore

// Activations. Each saves what its gradient needs: the output where the derivative is a function
// of it (relu, sigmoid, tanh), else the input.

extension Variable {
  /// `max(x, 0)`: `∂/∂x = g` where the output is positive, else 0.
  public func relu() -> Variable {
    let y = value.relu()
    return Variable.record(y, operation: "relu", inputs: [self]) { g in [Tensor.reluBackward(g, output: y)] }
  }

  /// `x` where positive, else `slope·x`: `∂/∂x = g` or `slope·g`.
  public func leakyRelu(slope: Float = 0.2) -> Variable {
    Variable.record(value.leakyRelu(slope: slope), operation: "leakyRelu", inputs: [self]) { g in
      [Tensor.leakyReluBackward(g, input: self.value, slope: slope)]
    }
  }

  /// `1 / (1 + exp(-x))`: `∂/∂x = g·y·(1 - y)`, reusing the output y.
  ///
  /// The result remembers `self` as its `logits`, so binary cross-entropy can skip the sigmoid,
  /// and its value is computed only when read.
  public func sigmoid() -> Variable {
    let output = Lazy { self.value.sigmoid() }
    return Variable.record(deferred: { output.value }, shape: shape, operation: "sigmoid", inputs: [self], logits: self) { g in
      [Tensor.sigmoidBackward(g, output: output.value)]
    }
  }

  /// `tanh(x)`: `∂/∂x = g·(1 - y²)`, reusing the output y.
  public func tanh() -> Variable {
    let y = value.tanh()
    return Variable.record(y, operation: "tanh", inputs: [self]) { g in [Tensor.tanhBackward(g, output: y)] }
  }

  /// `log(1 + exp(x))`: `∂/∂x = g·sigmoid(x)`.
  public func softplus() -> Variable {
    Variable.record(value.softplus(), operation: "softplus", inputs: [self]) { g in [g * self.value.sigmoid()] }
  }
}

/// A tensor computed at most once, on first use, shared by a variable and its pullback.
final class Lazy {
  private var compute: (() -> Tensor)?
  private var stored: Tensor?

  init(_ compute: @escaping () -> Tensor) { self.compute = compute }

  var value: Tensor {
    if let stored { return stored }
    let computed = compute!()
    stored = computed
    compute = nil
    return computed
  }
}
