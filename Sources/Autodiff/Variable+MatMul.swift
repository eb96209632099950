import TensorCore

extension Variable {
  /// The matrix product `self · other` of `[m, k]` and `[k, n]` matrices:
  /// `∂/∂self = g·otherᵀ`, `∂/∂other = selfᵀ·g`, with the transposes passed to BLAS as flags.
  public func matmul(_ other: Variable) -> Variable {
    Variable.record(Tensor.matmul(value, other.value), operation: "matmul", inputs: [self, other]) { g in
      [self.requiresGradient ? Tensor.matmul(g, other.value, transposeB: true) : nil,
       other.requiresGradient ? Tensor.matmul(self.value, g, transposeA: true) : nil]
    }
  }

  /// The affine map `x·W + b` of a dense layer, as one operation (BLAS's `C = A·B + C` with `C`
  /// pre-filled with the bias rows, like PyTorch's `addmm`):
  /// `∂/∂x = g·Wᵀ`, `∂/∂W = xᵀ·g`, `∂/∂b = Σ_rows g`.
  ///
  /// - Parameters:
  ///   - weight: `[inputSize, outputSize]`.
  ///   - bias: `[outputSize]`, or nil.
  /// - Returns: `[batch, outputSize]` for `self` of shape `[batch, inputSize]`.
  public func linear(weight: Variable, bias: Variable?) -> Variable {
    precondition(value.rank == 2 && weight.value.rank == 2, "linear of \(value.shape) with weight \(weight.value.shape)")
    let rows = value.shape[0], columns = weight.value.shape[1]
    var output: Tensor
    if let bias {
      precondition(bias.value.shape == [columns], "bias \(bias.value.shape) for weight \(weight.value.shape)")
      output = Tensor(shape: [rows, columns]) { out in
        bias.value.withUnsafeBufferPointer { b in
          Parallel.forEachChunk(rows * columns) { chunk in  // whole rows per chunk, as chunks are multiples of 64
            for r in (chunk.lowerBound / columns)..<((chunk.upperBound + columns - 1) / columns) {
              let start = max(r * columns, chunk.lowerBound), end = min((r + 1) * columns, chunk.upperBound)
              (out.baseAddress! + start).initialize(from: b.baseAddress! + (start - r * columns), count: end - start)
            }
          }
        }
      }
      Tensor.matmul(value, weight.value, accumulatingInto: &output, beta: 1)
    } else {
      output = Tensor.matmul(value, weight.value)
    }
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    return Variable.record(output, operation: "linear", inputs: inputs) { g in
      [self.requiresGradient ? Tensor.matmul(g, weight.value, transposeB: true) : nil,
       weight.requiresGradient ? Tensor.matmul(self.value, g, transposeA: true) : nil,
       bias?.requiresGradient == true ? g.sum(alongAxis: 0).reshaped(to: [columns]) : nil]
    }
  }
}
