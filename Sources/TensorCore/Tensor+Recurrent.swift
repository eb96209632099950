import CKernels

// The LSTM over a batch of sequences, forward and backward through time, as Keras computes it:
// gates in the order input, forget, cell, output; sigmoid gates, tanh cell and output; zero
// initial state.
//
//   z_t = x_t·W + h_{t−1}·R + b          i, f, o = σ(z_i, z_f, z_o),  g = tanh(z_g)
//   c_t = f ⊙ c_{t−1} + i ⊙ g            h_t = o ⊙ tanh(c_t)
//
// Every step's input projection is one BLAS product over all steps at once ([n·T, D]·[D, 4U]);
// each step then adds h_{t−1}·R (a product over the batch, not per example) and applies the gates
// in place. Batch-major layout throughout ([n, T, ·]): a step's rows are strided, which BLAS's
// leading dimensions take as they are. Backward runs the steps in reverse for the gates' gradients
// and h_{t−1}'s; the weights' gradients are then one product each over all steps.

/// What an LSTM's forward pass keeps for its backward pass.
public struct LSTMTape: Sendable {
  /// The gates after their activations, `[n, T, 4U]` (i, f, g, o).
  public let gates: Tensor
  /// The cell states `[n, T, U]`, their tanh, and the hidden states (the outputs) `[n, T, U]`.
  public let cells: Tensor, cellTanh: Tensor, hidden: Tensor
}

extension Tensor {
  /// The LSTM of `input` (`[n, T, D]`) with `kernel` `[D, 4U]`, `recurrentKernel` `[U, 4U]` and
  /// `bias` `[4U]` (Keras's layouts and gate order): every step's hidden state `[n, T, U]`, and
  /// the tape its gradients need.
  public static func lstm(_ input: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor?) -> (output: Tensor, tape: LSTMTape) {
    let (n, steps, features) = (input.shape[0], input.shape[1], input.shape[2]), units = recurrentKernel.shape[0]
    precondition(kernel.shape == [features, 4 * units] && recurrentKernel.shape == [units, 4 * units] && (bias?.shape ?? [4 * units]) == [4 * units],
                 "LSTM weights \(kernel.shape), \(recurrentKernel.shape), \(bias?.shape ?? []) for input \(input.shape)")
    let width = 4 * units
    // Every step's input projection and bias at once.
    var gates = Tensor(shape: [n * steps, width]) { out in
      if let bias { bias.withUnsafeBufferPointer { b in for row in 0..<(n * steps) { (out.baseAddress! + row * width).update(from: b.baseAddress!, count: width) } } }
      else { out.initialize(repeating: 0) }
    }
    matmul(input.reshaped(to: [n * steps, features]), kernel, accumulatingInto: &gates, beta: 1)
    var cells = Tensor(shape: [n, steps, units]) { _ in }, cellTanh = Tensor(shape: [n, steps, units]) { _ in }
    var hidden = Tensor(shape: [n, steps, units]) { _ in }
    let zeros = [Float](repeating: 0, count: units)
    BLAS.ensureLoaded()
    gates.withUnsafeMutableBufferPointer { z in
      cells.withUnsafeMutableBufferPointer { c in
        cellTanh.withUnsafeMutableBufferPointer { tc in
          hidden.withUnsafeMutableBufferPointer { h in
            recurrentKernel.withUnsafeBufferPointer { r in
              zeros.withUnsafeBufferPointer { zeros in
                for t in 0..<steps {
                  if t > 0 {  // z_t += h_{t−1}·R, over the batch's rows of step t
                    recurrentProduct(n, units, width, h.baseAddress! + (t - 1) * units, steps * units, r.baseAddress!, z.baseAddress! + t * width,
                                     steps * width)
                  }
                  for example in 0..<n {
                    let row = (example * steps + t) * units
                    aek_lstm_cell(units, z.baseAddress! + (example * steps + t) * width, t > 0 ? UnsafePointer(c.baseAddress! + row - units) : zeros.baseAddress,
                                  c.baseAddress! + row, tc.baseAddress! + row, h.baseAddress! + row)
                  }
                }
              }
            }
          }
        }
      }
    }
    return (hidden, LSTMTape(gates: gates.reshaped(to: [n, steps, width]), cells: cells, cellTanh: cellTanh, hidden: hidden))
  }

  /// The gradients of `lstm` given the gradient of every step's hidden state (`[n, T, U]`; zero
  /// where only the last state is used): the input's `[n, T, D]`, the kernel's, the recurrent
  /// kernel's and the bias's, each only where asked for.
  public static func lstmGradients(input: Tensor, kernel: Tensor, recurrentKernel: Tensor, tape: LSTMTape, outputGradient: Tensor,
                                   forInput: Bool, forKernel: Bool, forRecurrentKernel: Bool, forBias: Bool)
    -> (input: Tensor?, kernel: Tensor?, recurrentKernel: Tensor?, bias: Tensor?)
  {
    let (n, steps, features) = (input.shape[0], input.shape[1], input.shape[2]), units = recurrentKernel.shape[0], width = 4 * units
    precondition(outputGradient.shape == [n, steps, units], "LSTM output gradient \(outputGradient.shape) for \([n, steps, units])")
    // The pre-activation gradients of every step, [n·T, 4U].
    var dz = Tensor(shape: [n * steps, width]) { _ in }
    BLAS.ensureLoaded()
    var dh = [Float](repeating: 0, count: n * units), dc = [Float](repeating: 0, count: n * units)
    let zeros = [Float](repeating: 0, count: units)
    dz.withUnsafeMutableBufferPointer { dz in
      tape.gates.withUnsafeBufferPointer { gates in
        tape.cells.withUnsafeBufferPointer { c in
          tape.cellTanh.withUnsafeBufferPointer { tc in
            outputGradient.withUnsafeBufferPointer { dy in
              recurrentKernel.withUnsafeBufferPointer { r in
                dh.withUnsafeMutableBufferPointer { dh in
                  dc.withUnsafeMutableBufferPointer { dc in
                    zeros.withUnsafeBufferPointer { zeros in
                      for t in (0..<steps).reversed() {
                        for example in 0..<n {
                          let offset = (example * steps + t) * width, row = (example * steps + t) * units
                          aek_lstm_cell_backward(units, gates.baseAddress! + offset, t > 0 ? UnsafePointer(c.baseAddress! + row - units) : zeros.baseAddress,
                                                 tc.baseAddress! + row, dy.baseAddress! + row, dh.baseAddress! + example * units,
                                                 dc.baseAddress! + example * units, dz.baseAddress! + offset)
                        }
                        // dh_{t−1} = dz_t·Rᵀ, over the batch's rows of step t.
                        if t > 0 {
                          stateGradient(n, units, width, dz.baseAddress! + t * width, steps * width, r.baseAddress!, dh.baseAddress!, accumulate: false)
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    let inputGradient = forInput ? matmul(dz, kernel, transposeB: true).reshaped(to: [n, steps, features]) : nil
    let kernelGradient = forKernel ? matmul(input.reshaped(to: [n * steps, features]), dz, transposeA: true) : nil
    let recurrentGradient = forRecurrentKernel ? matmul(previousSteps(of: tape.hidden), dz, transposeA: true) : nil
    let biasGradient = forBias ? dz.sum(alongAxis: 0).reshaped(to: [width]) : nil
    return (inputGradient, kernelGradient, recurrentGradient, biasGradient)
  }

}

// The GRU as Keras computes it by default (`reset_after=True`, as cuDNN and PyTorch): gates in
// the order update, reset, candidate; an input bias and a recurrent bias.
//
//   a = x_t·W + b_in,  m = h_{t−1}·R + b_rec          (each split into z, r, h parts)
//   z = σ(a_z + m_z),  r = σ(a_r + m_r),  ĥ = tanh(a_h + r ⊙ m_h)
//   h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ

/// What a GRU's forward pass keeps for its backward pass.
public struct GRUTape: Sendable {
  /// The activated gates `[n, T, 3U]` (z, r, ĥ), and each step's recurrent products `m` `[n, T, 3U]`.
  public let gates: Tensor, recurrent: Tensor
  /// The hidden states (the outputs) `[n, T, U]`.
  public let hidden: Tensor
}

extension Tensor {
  /// The GRU of `input` (`[n, T, D]`) with `kernel` `[D, 3U]`, `recurrentKernel` `[U, 3U]` and
  /// `bias` `[2, 3U]` (input bias, recurrent bias; Keras's layouts and gate order): every step's
  /// hidden state `[n, T, U]`, and the tape its gradients need.
  public static func gru(_ input: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor?) -> (output: Tensor, tape: GRUTape) {
    let (n, steps, features) = (input.shape[0], input.shape[1], input.shape[2]), units = recurrentKernel.shape[0], width = 3 * units
    precondition(kernel.shape == [features, width] && recurrentKernel.shape == [units, width] && (bias?.shape ?? [2, width]) == [2, width],
                 "GRU weights \(kernel.shape), \(recurrentKernel.shape), \(bias?.shape ?? []) for input \(input.shape)")
    func biasRows(_ part: Int, count: Int) -> Tensor {
      Tensor(shape: [count, width]) { out in
        if let bias { bias.withUnsafeBufferPointer { b in for row in 0..<count { (out.baseAddress! + row * width).update(from: b.baseAddress! + part * width, count: width) } } }
        else { out.initialize(repeating: 0) }
      }
    }
    var gates = biasRows(0, count: n * steps)
    matmul(input.reshaped(to: [n * steps, features]), kernel, accumulatingInto: &gates, beta: 1)
    var recurrent = biasRows(1, count: n * steps), hidden = Tensor(shape: [n, steps, units]) { _ in }
    let zeroStates = [Float](repeating: 0, count: units)
    BLAS.ensureLoaded()
    gates.withUnsafeMutableBufferPointer { a in
      recurrent.withUnsafeMutableBufferPointer { m in
        hidden.withUnsafeMutableBufferPointer { h in
          recurrentKernel.withUnsafeBufferPointer { r in
            zeroStates.withUnsafeBufferPointer { zeros in
            for t in 0..<steps {
              if t > 0 {  // m_t += h_{t−1}·R over the batch's rows of step t
                recurrentProduct(n, units, width, h.baseAddress! + (t - 1) * units, steps * units, r.baseAddress!, m.baseAddress! + t * width,
                                 steps * width)
              }
              for example in 0..<n {
                let offset = (example * steps + t) * width, row = (example * steps + t) * units
                aek_gru_cell(units, a.baseAddress! + offset, m.baseAddress! + offset, t > 0 ? UnsafePointer(h.baseAddress! + row - units) : zeros.baseAddress,
                             h.baseAddress! + row)
              }
            }
            }
          }
        }
      }
    }
    return (hidden, GRUTape(gates: gates.reshaped(to: [n, steps, width]), recurrent: recurrent.reshaped(to: [n, steps, width]), hidden: hidden))
  }

  /// The gradients of `gru` given the gradient of every step's hidden state (`[n, T, U]`): the
  /// input's, the kernel's, the recurrent kernel's and the bias's (`[2, 3U]`), each where asked for.
  public static func gruGradients(input: Tensor, kernel: Tensor, recurrentKernel: Tensor, tape: GRUTape, outputGradient: Tensor,
                                  forInput: Bool, forKernel: Bool, forRecurrentKernel: Bool, forBias: Bool)
    -> (input: Tensor?, kernel: Tensor?, recurrentKernel: Tensor?, bias: Tensor?)
  {
    let (n, steps, features) = (input.shape[0], input.shape[1], input.shape[2]), units = recurrentKernel.shape[0], width = 3 * units
    precondition(outputGradient.shape == [n, steps, units], "GRU output gradient \(outputGradient.shape) for \([n, steps, units])")
    // The gradients of every step's input part a and recurrent part m, [n·T, 3U] each.
    var da = Tensor(shape: [n * steps, width]) { _ in }, dm = Tensor(shape: [n * steps, width]) { _ in }
    var dh = [Float](repeating: 0, count: n * units), carried = [Float](repeating: 0, count: n * units)
    let zeros = [Float](repeating: 0, count: units)
    BLAS.ensureLoaded()
    da.withUnsafeMutableBufferPointer { da in
      dm.withUnsafeMutableBufferPointer { dm in
        tape.gates.withUnsafeBufferPointer { gates in
          tape.recurrent.withUnsafeBufferPointer { m in
            tape.hidden.withUnsafeBufferPointer { h in
              outputGradient.withUnsafeBufferPointer { dy in
                recurrentKernel.withUnsafeBufferPointer { r in
                  for t in (0..<steps).reversed() {
                    for example in 0..<n {
                      let offset = (example * steps + t) * width, row = (example * steps + t) * units
                      dh.withUnsafeBufferPointer { dh in
                        carried.withUnsafeMutableBufferPointer { carried in
                          zeros.withUnsafeBufferPointer { zeros in
                            aek_gru_cell_backward(units, gates.baseAddress! + offset, m.baseAddress! + offset,
                                                  t > 0 ? UnsafePointer(h.baseAddress! + row - units) : zeros.baseAddress, dy.baseAddress! + row,
                                                  dh.baseAddress! + example * units, da.baseAddress! + offset, dm.baseAddress! + offset,
                                                  carried.baseAddress! + example * units)
                          }
                        }
                      }
                    }
                    // dh_{t−1} = dh through z, plus dm_t·Rᵀ.
                    if t > 0 {
                      dh.withUnsafeMutableBufferPointer { dh in
                        carried.withUnsafeBufferPointer { dh.baseAddress!.update(from: $0.baseAddress!, count: n * units) }
                        stateGradient(n, units, width, dm.baseAddress! + t * width, steps * width, r.baseAddress!, dh.baseAddress!, accumulate: true)
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    let inputGradient = forInput ? matmul(da, kernel, transposeB: true).reshaped(to: [n, steps, features]) : nil
    let kernelGradient = forKernel ? matmul(input.reshaped(to: [n * steps, features]), da, transposeA: true) : nil
    let recurrentGradient = forRecurrentKernel ? matmul(previousSteps(of: tape.hidden), dm, transposeA: true) : nil
    let biasGradient = forBias
      ? Tensor(shape: [2, width], scalars: da.sum(alongAxis: 0).scalars + dm.sum(alongAxis: 0).scalars) : nil
    return (inputGradient, kernelGradient, recurrentGradient, biasGradient)
  }

  /// `out[row] += h[row]·R` for the `n` rows of one step (`h` rows `hStride` apart, `out` rows
  /// `outStride` apart; R `[units, width]`): BLAS, or a plain loop for a few units, where a BLAS
  /// call's packing costs more than the arithmetic (the one-unit output layer of an LSTM autoencoder).
  static func recurrentProduct(_ n: Int, _ units: Int, _ width: Int, _ h: UnsafePointer<Float>, _ hStride: Int, _ r: UnsafePointer<Float>,
                               _ out: UnsafeMutablePointer<Float>, _ outStride: Int) {
    guard units < 8 else {
      aek_sgemm(0, 0, Int32(n), Int32(width), Int32(units), 1, h, Int32(hStride), r, Int32(width), 1, out, Int32(outStride))
      return
    }
    for row in 0..<n {
      let state = h + row * hStride, target = out + row * outStride
      for k in 0..<units {
        let value = state[k], weights = r + k * width
        for j in 0..<width { target[j] += value * weights[j] }
      }
    }
  }

  /// `dh[row] (= or +=) d[row]·Rᵀ` for the `n` rows of one step (`d` rows `dStride` apart; dh
  /// `[n, units]`): BLAS, or a plain loop for a few units.
  static func stateGradient(_ n: Int, _ units: Int, _ width: Int, _ d: UnsafePointer<Float>, _ dStride: Int, _ r: UnsafePointer<Float>,
                                _ dh: UnsafeMutablePointer<Float>, accumulate: Bool) {
    guard units < 8 else {
      aek_sgemm(0, 1, Int32(n), Int32(units), Int32(width), 1, d, Int32(dStride), r, Int32(width), accumulate ? 1 : 0, dh, Int32(units))
      return
    }
    for row in 0..<n {
      let gradient = d + row * dStride
      for k in 0..<units {
        let weights = r + k * width
        var sum: Float = 0
        for j in 0..<width { sum += gradient[j] * weights[j] }
        dh[row * units + k] = accumulate ? dh[row * units + k] + sum : sum
      }
    }
  }

  /// Each step's previous hidden state beside it, `[n·T, U]` from `[n, T, U]` (zero before the first step).
  static func previousSteps(of hidden: Tensor) -> Tensor {
    let (n, steps, units) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
    return Tensor(shape: [n * steps, units]) { out in
      hidden.withUnsafeBufferPointer { h in
        for example in 0..<n {
          let base = example * steps * units
          (out.baseAddress! + base).initialize(repeating: 0, count: units)
          if steps > 1 { (out.baseAddress! + base + units).initialize(from: h.baseAddress! + base, count: (steps - 1) * units) }
        }
      }
    }
  }
}
