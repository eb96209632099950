"""Reference values for GRUTests: PyTorch's nn.GRU on weights given in Keras's layouts.

Inputs are formulas the Swift test builds too: x[k] = sin(0.7 k) for [2, 3, 2]; the kernel [2, 9]
0.5 cos(0.3 k); the recurrent kernel [3, 9] 0.4 sin(0.5 k + 1); the biases [2, 9] 0.1 k − 0.5
(input bias first). Keras's gate order z, r, h is PyTorch's r, z, n reordered; PyTorch's weights
are the transposes; Keras's reset_after GRU is PyTorch's. Prints the outputs and the gradients of
sum(outputs · u), u[k] = cos(0.9 k), as Swift arrays in Keras's layouts.

    ~/bench-venv/bin/python scripts/reference/pytorch_gru.py
"""
import math

import torch

n, steps, features, units = 2, 3, 2, 3
def values(count, f):
    return torch.tensor([f(k) for k in range(count)], dtype=torch.float64)

x = values(n * steps * features, lambda k: math.sin(0.7 * k)).reshape(n, steps, features).requires_grad_()
kernel = values(features * 3 * units, lambda k: 0.5 * math.cos(0.3 * k)).reshape(features, 3 * units).requires_grad_()
recurrent = values(units * 3 * units, lambda k: 0.4 * math.sin(0.5 * k + 1)).reshape(units, 3 * units).requires_grad_()
bias = values(2 * 3 * units, lambda k: 0.1 * k - 0.5).reshape(2, 3 * units).requires_grad_()

def torch_order(keras):  # columns z, r, h (Keras) to rows r, z, n (PyTorch), transposed
    z, r, h = keras[..., :units], keras[..., units:2 * units], keras[..., 2 * units:]
    return torch.cat([r, z, h], dim=-1).t() if keras.dim() == 2 else torch.cat([r, z, h], dim=-1)

gru = torch.nn.GRU(features, units, batch_first=True).double()
output, _ = torch.func.functional_call(gru, {"weight_ih_l0": torch_order(kernel), "weight_hh_l0": torch_order(recurrent),
                                             "bias_ih_l0": torch_order(bias[0]), "bias_hh_l0": torch_order(bias[1])}, (x,))
upstream = values(n * steps * units, lambda k: math.cos(0.9 * k)).reshape(n, steps, units)
(output * upstream).sum().backward()

def swift(name, tensor):
    print(f"  static let {name}: [Float] = [" + ", ".join(f"{v:.9g}" for v in tensor.detach().reshape(-1).tolist()) + "]")
swift("outputs", output)
swift("inputGradient", x.grad)
swift("kernelGradient", kernel.grad)
swift("recurrentGradient", recurrent.grad)
swift("biasGradient", bias.grad)
