import TensorCore

extension Variable {
  /// The rows of this table `[vocabulary, width]` that token ids pick: `ids` `[batchSize, steps]`
  /// (whole numbers in `0 ..< vocabulary`, stored as floats) give `[batchSize, steps, width]`,
  /// `output[b, t] = table[ids[b, t]]`.
  /// `∂/∂table[v] = Σ g[b, t]` over the steps holding token `v`; ids take no gradient.
  ///
  /// - Precondition: every id is a whole number in `0 ..< vocabulary` (data readers check it).
  public func embedding(of ids: Tensor) -> Variable {
    precondition(shape.count == 2 && ids.rank == 2, "embedding of ids \(ids.shape) in a table \(shape)")
    let (vocabulary, width) = (shape[0], shape[1])
    let rows = ids.count
    let tokens = ids.withUnsafeBufferPointer { ids in
      ids.map { id -> Int in
        precondition(id >= 0 && id < Float(vocabulary) && id == id.rounded(.down), "token id \(id) beyond an embedding of \(vocabulary)")
        return Int(id)
      }
    }
    let output = Tensor(shape: ids.shape + [width]) { out in
      value.withUnsafeBufferPointer { table in
        for (row, token) in tokens.enumerated() {
          (out.baseAddress! + row * width).update(from: table.baseAddress! + token * width, count: width)
        }
      }
    }
    return Variable.record(output, operation: "embedding", inputs: [self]) { g in
      var gradient = Tensor.zeros(shape: [vocabulary, width])
      gradient.withUnsafeMutableBufferPointer { dt in
        g.withUnsafeBufferPointer { g in
          for row in 0..<rows {
            let to = dt.baseAddress! + tokens[row] * width, from = g.baseAddress! + row * width
            for column in 0..<width { to[column] += from[column] }
          }
        }
      }
      return [gradient]
    }
  }
}
