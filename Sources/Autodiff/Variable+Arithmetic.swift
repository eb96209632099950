import TensorCore

// Arithmetic with broadcasting. Each pullback returns gradients of the broadcast shape;
// `backward()` sums them back to each input's shape.

extension Variable {
  /// Element-wise sum, broadcasting: `∂/∂a = g`, `∂/∂b = g`.
  public static func + (a: Variable, b: Variable) -> Variable {
    record(a.value + b.value, operation: "add", inputs: [a, b]) { g in [g, g] }
  }

  /// Element-wise difference, broadcasting: `∂/∂a = g`, `∂/∂b = -g`.
  public static func - (a: Variable, b: Variable) -> Variable {
    record(a.value - b.value, operation: "subtract", inputs: [a, b]) { g in
      [g, b.requiresGradient ? -g : nil]
    }
  }

  /// Element-wise product, broadcasting: `∂/∂a = g·b`, `∂/∂b = g·a`.
  public static func * (a: Variable, b: Variable) -> Variable {
    record(a.value * b.value, operation: "multiply", inputs: [a, b]) { g in
      [a.requiresGradient ? g * b.value : nil, b.requiresGradient ? g * a.value : nil]
    }
  }

  /// Element-wise quotient, broadcasting: `∂/∂a = g/b`, `∂/∂b = -g·a/b²`.
  public static func / (a: Variable, b: Variable) -> Variable {
    let quotient = a.value / b.value
    return record(quotient, operation: "divide", inputs: [a, b]) { g in
      [a.requiresGradient ? g / b.value : nil, b.requiresGradient ? -(g * quotient / b.value) : nil]
    }
  }

  /// `scale·x + offset`, element-wise, in one pass: `∂/∂x = g·scale`.
  public func affine(scale: Float, offset: Float) -> Variable {
    Variable.record(value.affine(scale: scale, offset: offset), operation: "affine", inputs: [self]) { g in
      [g * scale]
    }
  }

  public static prefix func - (x: Variable) -> Variable { x.affine(scale: -1, offset: 0) }

  // Mixed operands: constants join as leaves without gradients; plain numbers use `affine`.
  public static func + (a: Variable, b: Tensor) -> Variable { a + Variable(b) }
  public static func + (a: Tensor, b: Variable) -> Variable { Variable(a) + b }
  public static func - (a: Variable, b: Tensor) -> Variable { a - Variable(b) }
  public static func - (a: Tensor, b: Variable) -> Variable { Variable(a) - b }
  public static func * (a: Variable, b: Tensor) -> Variable { a * Variable(b) }
  public static func * (a: Tensor, b: Variable) -> Variable { Variable(a) * b }
  public static func / (a: Variable, b: Tensor) -> Variable { a / Variable(b) }
  public static func + (a: Variable, b: Float) -> Variable { a.affine(scale: 1, offset: b) }
  public static func + (a: Float, b: Variable) -> Variable { b.affine(scale: 1, offset: a) }
  public static func - (a: Variable, b: Float) -> Variable { a.affine(scale: 1, offset: -b) }
  public static func - (a: Float, b: Variable) -> Variable { b.affine(scale: -1, offset: a) }
  public static func * (a: Variable, b: Float) -> Variable { a.affine(scale: b, offset: 0) }
  public static func * (a: Float, b: Variable) -> Variable { b.affine(scale: a, offset: 0) }
  public static func / (a: Variable, b: Float) -> Variable { a.affine(scale: 1 / b, offset: 0) }
}
