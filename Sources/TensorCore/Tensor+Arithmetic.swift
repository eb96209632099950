import CKernels

/// An element-wise binary operation.
public enum BinaryOperation: Sendable {
  case add, subtract, multiply, divide, maximum, minimum

  var kernel: aek_binary_op {
    switch self {
    case .add: AEK_ADD
    case .subtract: AEK_SUB
    case .multiply: AEK_MUL
    case .divide: AEK_DIV
    case .maximum: AEK_MAX
    case .minimum: AEK_MIN
    }
  }
}

extension Tensor {
  /// The shape two shapes broadcast to (NumPy rules: align trailing dimensions; a dimension of 1
  /// stretches), or `nil` if they do not broadcast.
  public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    let paddedA = Array(repeating: 1, count: rank - a.count) + a
    let paddedB = Array(repeating: 1, count: rank - b.count) + b
    var result = [Int]()
    result.reserveCapacity(rank)
    for (x, y) in zip(paddedA, paddedB) {
      guard x == y || x == 1 || y == 1 else { return nil }
      result.append(x == 1 ? y : x)
    }
    return result
  }

  /// Applies `operation` element-wise, broadcasting the operands to a common shape.
  ///
  /// Same shapes, a one-element operand, and a trailing-dimensions operand (a bias row) take
  /// single vectorized passes; other broadcasts go row by row.
  public func applying(_ operation: BinaryOperation, _ other: Tensor) -> Tensor {
    guard let outShape = Tensor.broadcastShape(shape, other.shape) else {
      preconditionFailure("shapes \(shape) and \(other.shape) do not broadcast")
    }
    let op = operation.kernel
    return Tensor(shape: outShape) { out in
      withUnsafeBufferPointer { a in
        other.withUnsafeBufferPointer { b in
          let n = out.count
          if shape == other.shape || (a.count == n && b.count == 1) || (a.count == 1 && b.count == n) {
            let (aStep, bStep) = (a.count == 1 ? 0 : 1, b.count == 1 ? 0 : 1)
            Parallel.forEachChunk(n) { r in
              aek_binary(op, r.count, a.baseAddress! + aStep * r.lowerBound, aStep, b.baseAddress! + bStep * r.lowerBound, bStep,
                         out.baseAddress! + r.lowerBound)
            }
          } else if a.count == n, b.count > 0, shape.suffix(other.shape.count).elementsEqual(other.shape) {
            aek_binary_row(op, n / b.count, b.count, a.baseAddress, b.baseAddress, out.baseAddress)
          } else if n > 0 {
            Tensor.broadcastRows(op, a, shape, b, other.shape, outShape, out)
          }
        }
      }
    }
  }

  /// The general broadcast: one kernel call per row of the output's last dimension.
  private static func broadcastRows(
    _ op: aek_binary_op, _ a: UnsafeBufferPointer<Float>, _ aShape: [Int],
    _ b: UnsafeBufferPointer<Float>, _ bShape: [Int], _ outShape: [Int], _ out: UnsafeMutableBufferPointer<Float>
  ) {
    let rank = outShape.count
    let aStrides = broadcastStrides(aShape, rank: rank, outShape: outShape)
    let bStrides = broadcastStrides(bShape, rank: rank, outShape: outShape)
    let inner = outShape[rank - 1]
    let rows = out.count / inner
    var index = [Int](repeating: 0, count: rank - 1)
    for row in 0..<rows {
      var aOffset = 0, bOffset = 0
      for d in 0..<(rank - 1) {
        aOffset += index[d] * aStrides[d]
        bOffset += index[d] * bStrides[d]
      }
      aek_binary(op, inner, a.baseAddress! + aOffset, aStrides[rank - 1], b.baseAddress! + bOffset, bStrides[rank - 1],
                 out.baseAddress! + row * inner)
      var d = rank - 2
      while d >= 0 {
        index[d] += 1
        if index[d] < outShape[d] { break }
        index[d] = 0
        d -= 1
      }
    }
  }

  /// Element strides of `shape` left-padded to `rank`, zero along broadcast dimensions.
  private static func broadcastStrides(_ shape: [Int], rank: Int, outShape: [Int]) -> [Int] {
    let padded = Array(repeating: 1, count: rank - shape.count) + shape
    var strides = [Int](repeating: 0, count: rank)
    var step = 1
    for d in (0..<rank).reversed() {
      strides[d] = padded[d] == 1 && outShape[d] != 1 ? 0 : step
      step *= padded[d]
    }
    return strides
  }

  /// Element-wise sum, broadcasting.
  public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.applying(.add, rhs) }
  /// Element-wise difference, broadcasting.
  public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.applying(.subtract, rhs) }
  /// Element-wise product, broadcasting.
  public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.applying(.multiply, rhs) }
  /// Element-wise quotient, broadcasting.
  public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.applying(.divide, rhs) }

  /// `a * self + b`, element-wise, in one pass.
  public func affine(scale a: Float, offset b: Float) -> Tensor {
    Tensor(shape: shape) { out in withUnsafeBufferPointer { aek_affine(count, a, b, $0.baseAddress, out.baseAddress) } }
  }

  public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.affine(scale: 1, offset: rhs) }
  public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs.affine(scale: 1, offset: lhs) }
  public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.affine(scale: 1, offset: -rhs) }
  public static func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.affine(scale: -1, offset: lhs) }
  public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.affine(scale: rhs, offset: 0) }
  public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.affine(scale: lhs, offset: 0) }
  public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.affine(scale: 1 / rhs, offset: 0) }
  public static prefix func - (operand: Tensor) -> Tensor { operand.affine(scale: -1, offset: 0) }

  /// Adds `other` (same shape) into `self`, in place: the gradient accumulator's `+=`.
  public static func += (lhs: inout Tensor, rhs: Tensor) { lhs.add(rhs) }

  /// Adds `other` (same shape) into `self`, in place, split across threads where each gets at
  /// least `minimumPerThread` elements.
  public mutating func add(_ other: Tensor, minimumPerThread: Int = Parallel.minimumPerThread) {
    precondition(shape == other.shape, "+= of shapes \(shape) and \(other.shape)")
    other.withUnsafeBufferPointer { b in
      withUnsafeMutableBufferPointer { a in
        Parallel.forEachChunk(a.count, minimumPerThread: minimumPerThread) { r in
          aek_binary(AEK_ADD, r.count, a.baseAddress! + r.lowerBound, 1, b.baseAddress! + r.lowerBound, 1, a.baseAddress! + r.lowerBound)
        }
      }
    }
  }

  /// The sum of `parts` (one shape), added in their order (as `+=` one at a time would) in one
  /// pass over each, split across threads as `add` is.
  public static func sum(of parts: [Tensor], minimumPerThread: Int = Parallel.minimumPerThread) -> Tensor {
    precondition(!parts.isEmpty && parts.allSatisfy { $0.shape == parts[0].shape }, "a sum of shapes \(parts.map(\.shape))")
    guard parts.count > 1 else { return parts[0] }
    return Tensor(shape: parts[0].shape) { out in
      let storages = parts.map(\.storage)  // alive through the pass below
      withExtendedLifetime(storages) {
        let pointers = storages.map { UnsafePointer($0.base) }
        pointers.withUnsafeBufferPointer { p in
          Parallel.forEachChunk(out.count, minimumPerThread: minimumPerThread) { r in
            let shifted = p.map { Optional($0 + r.lowerBound) }
            shifted.withUnsafeBufferPointer { aek_add_parts(r.count, parts.count, $0.baseAddress, out.baseAddress! + r.lowerBound) }
          }
        }
      }
    }
  }
}

