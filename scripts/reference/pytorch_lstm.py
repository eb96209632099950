"""Reference values for LSTMTests: PyTorch's nn.LSTM on weights given in Keras's layouts.

The inputs are formulas (the Swift test builds the same ones): x[k] = sin(0.7 k) for the input
[2, 3, 2]; the kernel [2, 12] k-th value 0.5 cos(0.3 k), the recurrent kernel [3, 12] 0.4 sin(0.5 k + 1),
the bias [12] 0.1 k − 0.5 (Keras's gate order i, f, c, o is PyTorch's i, f, g, o; PyTorch's weights
are the transposes, and its two biases sum to Keras's one). Prints the outputs (every step's hidden
state) and the gradients of sum(outputs · u), u[k] = cos(0.9 k), as Swift arrays.

    ~/bench-venv/bin/python scripts/reference/pytorch_lstm.py
"""
import math

import torch

n, steps, features, units = 2, 3, 2, 3
def values(count, f):
    return torch.tensor([f(k) for k in range(count)], dtype=torch.float64)

x = values(n * steps * features, lambda k: math.sin(0.7 * k)).reshape(n, steps, features).requires_grad_()
kernel = values(features * 4 * units, lambda k: 0.5 * math.cos(0.3 * k)).reshape(features, 4 * units).requires_grad_()
recurrent = values(units * 4 * units, lambda k: 0.4 * math.sin(0.5 * k + 1)).reshape(units, 4 * units).requires_grad_()
bias = values(4 * units, lambda k: 0.1 * k - 0.5).requires_grad_()

lstm = torch.nn.LSTM(features, units, batch_first=True).double()
with torch.no_grad():
    lstm.weight_ih_l0.zero_(); lstm.weight_hh_l0.zero_(); lstm.bias_ih_l0.zero_(); lstm.bias_hh_l0.zero_()
# Differentiable through the mapping: weight_ih = kernelᵀ, weight_hh = recurrentᵀ, bias_ih = bias.
output, _ = torch.func.functional_call(lstm, {"weight_ih_l0": kernel.t(), "weight_hh_l0": recurrent.t(), "bias_ih_l0": bias,
                                              "bias_hh_l0": torch.zeros(4 * units, dtype=torch.float64)}, (x,))
upstream = values(n * steps * units, lambda k: math.cos(0.9 * k)).reshape(n, steps, units)
(output * upstream).sum().backward()

def swift(name, tensor):
    print(f"  static let {name}: [Float] = [" + ", ".join(f"{v:.9g}" for v in tensor.detach().reshape(-1).tolist()) + "]")
swift("outputs", output)
swift("inputGradient", x.grad)
swift("kernelGradient", kernel.grad)
swift("recurrentGradient", recurrent.grad)
swift("biasGradient", bias.grad)
