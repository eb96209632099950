import TensorCore

// Recurrent layers' operations over batches of sequences `[n, T, features]`, each with its pullback
// (the LSTM's time loops are in TensorCore's Tensor+Recurrent.swift).

extension Variable {
  /// The LSTM of the batch `self` (`[n, T, D]`) with `kernel` `[D, 4U]`, `recurrentKernel`
  /// `[U, 4U]` and `bias` `[4U]` (Keras's gate order i, f, c, o): every step's hidden state
  /// `[n, T, U]` with `returningSequences`, else the last `[n, U]`. Gradients by backpropagation
  /// through time.
  public func lstm(kernel: Variable, recurrentKernel: Variable, bias: Variable?, returningSequences: Bool) -> Variable {
    let (sequences, tape) = Tensor.lstm(value, kernel: kernel.value, recurrentKernel: recurrentKernel.value, bias: bias?.value)
    let steps = sequences.shape[1]
    let output = returningSequences ? sequences : Tensor.lastSteps(of: sequences)
    let inputs = [self, kernel, recurrentKernel] + (bias.map { [$0] } ?? [])
    return Variable.record(output, operation: "lstm", inputs: inputs) { g in
      let full = returningSequences ? g : Tensor.everyStep(fromLast: g, steps: steps)
      let gradients = Tensor.lstmGradients(input: self.value, kernel: kernel.value, recurrentKernel: recurrentKernel.value, tape: tape,
                                           outputGradient: full, forInput: self.requiresGradient, forKernel: kernel.requiresGradient,
                                           forRecurrentKernel: recurrentKernel.requiresGradient, forBias: bias?.requiresGradient == true)
      return [gradients.input, gradients.kernel, gradients.recurrentKernel] + (bias == nil ? [] : [gradients.bias])
    }
  }

  /// The GRU of the batch `self` (`[n, T, D]`) with `kernel` `[D, 3U]`, `recurrentKernel`
  /// `[U, 3U]` and `bias` `[2, 3U]` (Keras's gate order z, r, h and `reset_after`): every step's
  /// hidden state `[n, T, U]` with `returningSequences`, else the last `[n, U]`.
  public func gru(kernel: Variable, recurrentKernel: Variable, bias: Variable?, returningSequences: Bool) -> Variable {
    let (sequences, tape) = Tensor.gru(value, kernel: kernel.value, recurrentKernel: recurrentKernel.value, bias: bias?.value)
    let output = returningSequences ? sequences : Tensor.lastSteps(of: sequences)
    let inputs = [self, kernel, recurrentKernel] + (bias.map { [$0] } ?? [])
    return Variable.record(output, operation: "gru", inputs: inputs) { g in
      let full = returningSequences ? g : Tensor.everyStep(fromLast: g, steps: sequences.shape[1])
      let gradients = Tensor.gruGradients(input: self.value, kernel: kernel.value, recurrentKernel: recurrentKernel.value, tape: tape,
                                          outputGradient: full, forInput: self.requiresGradient, forKernel: kernel.requiresGradient,
                                          forRecurrentKernel: recurrentKernel.requiresGradient, forBias: bias?.requiresGradient == true)
      return [gradients.input, gradients.kernel, gradients.recurrentKernel] + (bias == nil ? [] : [gradients.bias])
    }
  }

  /// Each example of the batch `self` (`[n, U]`) repeated over `steps` steps, `[n, steps, U]`
  /// (Keras's `RepeatVector`): `∂/∂input` sums over the steps.
  public func repeated(steps: Int) -> Variable {
    let (n, units) = (shape[0], shape[1])
    let output = Tensor(shape: [n, steps, units]) { out in
      value.withUnsafeBufferPointer { x in
        for example in 0..<n {
          for step in 0..<steps { (out.baseAddress! + (example * steps + step) * units).update(from: x.baseAddress! + example * units, count: units) }
        }
      }
    }
    return Variable.record(output, operation: "repeat", inputs: [self]) { g in
      [g.sum(alongAxis: 1).reshaped(to: [n, units])]
    }
  }
}

extension Tensor {
  /// The gradient of every step `[n, steps, U]` from the last step's `[n, U]`: zeros before it.
  static func everyStep(fromLast last: Tensor, steps: Int) -> Tensor {
    let (n, units) = (last.shape[0], last.shape[1])
    return Tensor(shape: [n, steps, units]) { out in
      out.initialize(repeating: 0)
      last.withUnsafeBufferPointer { g in
        for example in 0..<n { (out.baseAddress! + (example * steps + steps - 1) * units).update(from: g.baseAddress! + example * units, count: units) }
      }
    }
  }

  /// The last step of each sequence of `[n, T, U]`, `[n, U]`.
  static func lastSteps(of sequences: Tensor) -> Tensor {
    let (n, steps, units) = (sequences.shape[0], sequences.shape[1], sequences.shape[2])
    return Tensor(shape: [n, units]) { out in
      sequences.withUnsafeBufferPointer { s in
        for example in 0..<n { (out.baseAddress! + example * units).update(from: s.baseAddress! + (example * steps + steps - 1) * units, count: units) }
      }
    }
  }
}
