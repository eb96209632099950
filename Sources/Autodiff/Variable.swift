import TensorCore

/// A tensor in a computation whose gradients reverse-mode differentiation can compute.
///
/// Every operation on variables returns a new variable that remembers its inputs and a
/// *pullback*: the function from the gradient of the output to the gradients of the inputs.
/// `backward()` on a scalar result walks that graph once, from the result to the leaves, and leaves
/// each leaf that `requiresGradient` (a model parameter) with its `gradient`.
///
/// ```swift
/// let w = Variable(Tensor([[1, 2], [3, 4]]), requiresGradient: true)
/// let x = Variable(Tensor([[1, 1]]))
/// let loss = x.matmul(w).sigmoid().sum()
/// loss.backward()
/// print(w.gradient!)  // ∂loss/∂w
/// ```
///
/// Operations record nothing when no input requires a gradient, or inside `withoutGradients`.
public final class Variable {
  /// The value this variable holds (computed on first use for a deferred variable).
  public var value: Tensor {
    if let storedValue { return storedValue }
    let computed = deferredValue!()
    storedValue = computed
    deferredValue = nil
    return computed
  }
  private var storedValue: Tensor?
  private var deferredValue: (() -> Tensor)?
  /// The shape of `value`, known without computing it.
  public let shape: [Int]
  /// ∂(the scalar `backward()` was called on)/∂self, after `backward()`; kept for leaves only.
  public internal(set) var gradient: Tensor?
  /// Whether gradients flow to this variable (true for parameters and anything computed from them).
  public let requiresGradient: Bool
  /// The variables this one was computed from.
  let inputs: [Variable]
  /// Maps ∂loss/∂self to ∂loss/∂input for each input (nil where an input needs none).
  let pullback: ((Tensor) -> [Tensor?])?
  /// The operation that made this variable ("matmul", "sigmoid"), or nil for a leaf.
  public let operation: String?
  /// For the output of `sigmoid()`: its input. Binary cross-entropy uses it to compute the loss
  /// from logits, which is exact where `log(sigmoid(x))` would round to `log(0)` (as Keras does).
  public let logits: Variable?

  /// Creates a leaf: a constant (`requiresGradient: false`) or a trainable parameter.
  public init(_ value: Tensor, requiresGradient: Bool = false) {
    storedValue = value
    shape = value.shape
    self.requiresGradient = requiresGradient
    inputs = []
    pullback = nil
    operation = nil
    logits = nil
  }

  init(value: Tensor?, deferred: (() -> Tensor)?, shape: [Int], operation: String?, inputs: [Variable],
       logits: Variable?, pullback: ((Tensor) -> [Tensor?])?) {
    storedValue = value
    deferredValue = deferred
    self.shape = shape
    self.operation = operation
    self.inputs = inputs
    self.pullback = pullback
    self.logits = logits
    requiresGradient = pullback != nil
  }

  /// Whether an operation on `inputs` joins the graph now: recording is on and some input needs a
  /// gradient. An operation whose forward pass can also give its gradients cheaply asks this first.
  public static func records(_ inputs: [Variable]) -> Bool {
    GradientMode.isEnabled && inputs.contains(where: \.requiresGradient)
  }

  /// Records an operation: `value` computed from `inputs`, with `pullback` for its gradients.
  /// Returns a constant instead when no input needs a gradient or recording is off (keeping
  /// `logits`, so losses computed without gradients take the same path as with).
  ///
  /// This is how every operation, including ones defined outside this module, joins the graph.
  public static func record(_ value: Tensor, operation: String, inputs: [Variable], logits: Variable? = nil,
                            pullback: @escaping (Tensor) -> [Tensor?]) -> Variable {
    let recording = records(inputs)
    return Variable(value: value, deferred: nil, shape: value.shape, operation: recording ? operation : nil,
                    inputs: recording ? inputs : [], logits: logits, pullback: recording ? pullback : nil)
  }

  /// Records an operation whose value is computed only if something reads it.
  ///
  /// NOTE: for `sigmoid()`, whose output a cross-entropy loss usually reads only through its
  /// logits: computing it anyway would cost a transcendental pass over every output.
  public static func record(deferred value: @escaping () -> Tensor, shape: [Int], operation: String, inputs: [Variable],
                            logits: Variable? = nil, pullback: @escaping (Tensor) -> [Tensor?]) -> Variable {
    let recording = records(inputs)
    return Variable(value: nil, deferred: value, shape: shape, operation: recording ? operation : nil,
                    inputs: recording ? inputs : [], logits: logits, pullback: recording ? pullback : nil)
  }

  /// Replaces the value of a leaf in place (optimizers update parameters with this).
  public func updateValue(_ body: (inout Tensor) -> Void) {
    precondition(inputs.isEmpty, "only leaves can be updated in place")
    var tensor = value
    storedValue = nil  // the only other reference: writing does not copy
    body(&tensor)
    precondition(tensor.shape == shape, "a leaf of shape \(shape) cannot become \(tensor.shape)")
    storedValue = tensor
  }

  /// Sets the gradient to nil.
  public func clearGradient() { gradient = nil }

  /// Computes the gradient of this scalar with respect to every variable it depends on.
  ///
  /// Leaves that require gradients get `gradient` set (added to, if already set, so gradients of
  /// several losses accumulate); intermediate gradients are freed as soon as they are used.
  public func backward() {
    propagateGradients { leaf, gradient in
      if leaf.gradient == nil { leaf.gradient = gradient } else { leaf.gradient! += gradient }
    }
  }

  /// ∂self/∂leaf for each of `leaves` (nil for a leaf this scalar does not depend on), without
  /// writing any leaf's `gradient`.
  ///
  /// Graphs built on different threads from the same parameters (the shards of a data-parallel
  /// step) can be differentiated at the same time this way: each walk writes only its own nodes.
  public func gradients(withRespectTo leaves: [Variable]) -> [Tensor?] {
    var found: [ObjectIdentifier: Tensor] = [:]
    propagateGradients { leaf, gradient in
      let key = ObjectIdentifier(leaf)
      if found[key] == nil { found[key] = gradient } else { found[key]! += gradient }
    }
    return leaves.map { found[ObjectIdentifier($0)] }
  }

  /// Walks the graph from this scalar to its leaves once, handing each leaf's gradient to
  /// `accumulate` (once per path into the leaf) and keeping intermediate gradients on the
  /// graph's own nodes only until they are used.
  private func propagateGradients(_ accumulate: (_ leaf: Variable, _ gradient: Tensor) -> Void) {
    precondition(shape.reduce(1, *) == 1, "backward() needs a scalar, got shape \(shape)")
    guard requiresGradient else { return }
    guard pullback != nil else { return accumulate(self, Tensor(shape: shape, repeating: 1)) }  // a leaf itself
    let order = topologicalOrder()
    var upstreams: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): Tensor(shape: shape, repeating: 1)]
    for node in order.reversed() {
      guard let pullback = node.pullback, let upstream = upstreams.removeValue(forKey: ObjectIdentifier(node)) else { continue }
      for (input, gradient) in zip(node.inputs, pullback(upstream)) where input.requiresGradient {
        guard let gradient else { continue }
        let reduced = gradient.summed(toShape: input.shape)  // un-broadcast
        if input.pullback == nil {
          accumulate(input, reduced)
        } else {
          let key = ObjectIdentifier(input)
          if upstreams[key] == nil { upstreams[key] = reduced } else { upstreams[key]! += reduced }
        }
      }
    }
  }

  /// Every variable this one depends on that requires a gradient, inputs before their users
  /// (iterative depth-first search, so deep graphs cannot overflow the stack).
  func topologicalOrder() -> [Variable] {
    var order: [Variable] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(node: Variable, inputsPushed: Bool)] = [(self, false)]
    while let (node, inputsPushed) = stack.popLast() {
      if inputsPushed {
        order.append(node)
        continue
      }
      guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
      stack.append((node, true))
      for input in node.inputs where input.requiresGradient && !visited.contains(ObjectIdentifier(input)) {
        stack.append((input, false))
      }
    }
    return order
  }
}

/// Whether operations record the graph for `backward()`.
public enum GradientMode {
  /// True unless inside `withoutGradients`.
  @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording any graph: for inference, where no gradient will be asked for.
public func withoutGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
  try GradientMode.$isEnabled.withValue(false, operation: body)
}

extension Variable: CustomStringConvertible {
  public var description: String {
    "Variable(\(operation ?? (requiresGradient ? "parameter" : "constant")), \(value))"
  }
}
