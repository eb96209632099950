import TensorCore

// Element-wise functions and reductions.

extension Variable {
  /// `exp(x)`: `∂/∂x = g·exp(x)`, reusing the output.
  public func exp() -> Variable {
    let y = value.exp()
    return Variable.record(y, operation: "exp", inputs: [self]) { g in [g * y] }
  }

  /// `log(x)`: `∂/∂x = g/x`.
  public func log() -> Variable {
    Variable.record(value.log(), operation: "log", inputs: [self]) { g in [g / self.value] }
  }

  /// `√x`: `∂/∂x = g/(2√x)`, reusing the output.
  public func squareRoot() -> Variable {
    let y = value.squareRoot()
    return Variable.record(y, operation: "squareRoot", inputs: [self]) { g in [g / y * 0.5] }
  }

  /// `|x|`: `∂/∂x = g·sign(x)` (0 at 0).
  public func abs() -> Variable {
    Variable.record(value.abs(), operation: "abs", inputs: [self]) { g in [g * self.value.sign()] }
  }

  /// `x²`, composed from `*` (fan-out sums the two gradients to `2x·g`).
  public func squared() -> Variable { self * self }

  /// `x` limited to `range`: `∂/∂x = g` inside the range, 0 outside.
  public func clamped(to range: ClosedRange<Float>) -> Variable {
    Variable.record(value.clamped(to: range), operation: "clamp", inputs: [self]) { g in
      [Tensor.clampBackward(g, input: self.value, range: range)]
    }
  }

  /// The sum of all elements, a scalar: `∂/∂x = g` at every element.
  public func sum() -> Variable {
    Variable.record(Tensor(value.sum()), operation: "sum", inputs: [self]) { g in
      [Tensor(shape: self.shape, repeating: g.scalar)]
    }
  }

  /// The mean of all elements, composed from `sum`.
  public func mean() -> Variable { sum() / Float(value.count) }

  /// Sums along `axis`, keeping it with size 1: `∂/∂x` is `g` repeated along the axis.
  public func sum(alongAxis axis: Int) -> Variable {
    Variable.record(value.sum(alongAxis: axis), operation: "sumAlongAxis", inputs: [self]) { g in
      [Tensor.zeros(shape: self.shape) + g]
    }
  }

  /// The same elements with another shape: `∂/∂x` is `g` with the input's shape.
  public func reshaped(to shape: [Int]) -> Variable {
    Variable.record(value.reshaped(to: shape), operation: "reshape", inputs: [self]) { g in
      [g.reshaped(to: self.shape)]
    }
  }
}
