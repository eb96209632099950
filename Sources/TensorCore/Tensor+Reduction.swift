import CKernels

extension Tensor {
  /// The sum of all elements (accumulated in double precision).
  public func sum() -> Float { withUnsafeBufferPointer { Float(aek_sum($0.count, $0.baseAddress)) } }

  /// The mean of all elements.
  public func mean() -> Float { count == 0 ? .nan : sum() / Float(count) }

  /// The sum of squared elements (accumulated in double precision).
  public func sumOfSquares() -> Float {
    withUnsafeBufferPointer { Float(aek_sum_squares($0.count, $0.baseAddress)) }
  }

  /// Sums along one axis, keeping it with size 1: `[2, 3, 4]` along axis 1 gives `[2, 1, 4]`.
  public func sum(alongAxis axis: Int) -> Tensor {
    precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
    let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
    var outShape = shape
    outShape[axis] = 1
    return Tensor(shape: outShape) { out in
      withUnsafeBufferPointer { aek_sum_axis(outer, shape[axis], inner, $0.baseAddress, out.baseAddress) }
    }
  }

  /// Sums over the dimensions that broadcasting stretched, so a gradient of the broadcast shape
  /// becomes a gradient of `target`: `[batch, features]` summed to `[features]` sums the rows.
  public func summed(toShape target: [Int]) -> Tensor {
    if shape == target { return self }
    precondition(Tensor.broadcastShape(target, shape) == shape, "cannot sum \(shape) to \(target)")
    let padded = Array(repeating: 1, count: rank - target.count) + target
    var result = self
    for axis in (0..<rank).reversed() where padded[axis] == 1 && shape[axis] != 1 {
      result = result.sum(alongAxis: axis)
    }
    return result.reshaped(to: target)
  }
}
