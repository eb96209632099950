"""How fast an epoch of a dense preset could possibly run on this machine: the epoch's matrix
products alone, timed through numpy's OpenBLAS and PyTorch's own kernels, with nothing else.

A step of a dense layer (in -> out) on a batch of B is three products: the forward B x in . in x out,
the weight gradient in x B . B x out, and the input gradient B x out . out x in (skipped for the first
layer, whose input needs none). The latent head's two layers count as one of twice the width, as
AutoencoderKit counts. No implementation whose products run at the best speed these BLAS reach
here runs an epoch in less time than the products take at that speed, so its speed-up over PyTorch
is bounded by PyTorch's epoch over that floor.

    ~/bench-venv/bin/python benchmarks/product_floor.py --model vae --threads 2 [--against 3.49]
"""
import argparse
import time

import common


def products(model, batch):
    """(m, k, n) of each product of a training step on a full batch."""
    shapes = []
    for index, (fan_in, fan_out) in enumerate(common.dense_layers(model)):
        shapes.append((batch, fan_in, fan_out))        # forward
        shapes.append((fan_in, batch, fan_out))        # weight gradient
        if index > 0:
            shapes.append((batch, fan_out, fan_in))    # input gradient
    return shapes


def seconds_per_call(shape, multiply, make, repeats):
    """The median time of one product of this shape, after a warm-up."""
    m, k, n = shape
    a, b = make((m, k)), make((k, n))
    for _ in range(20):
        multiply(a, b)
    calls = []
    for _ in range(repeats):
        start = time.perf_counter()
        multiply(a, b)
        calls.append(time.perf_counter() - start)
    return sorted(calls)[len(calls) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="vae", choices=list(common.DENSE_PRESETS) + ["vae", "vae-pytorch"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--examples", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--against", type=float, default=None, metavar="SECONDS",
                        help="a PyTorch epoch measured in the same run (benchmarks/compare): the speed-up the floor allows")
    args = parser.parse_args()
    common.threads_everywhere(args.threads)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)

    batch = common.BATCH_SIZES[args.model]
    steps, rest = divmod(args.examples, batch)
    shapes = products(args.model, batch)
    last = products(args.model, rest) if rest else []
    flop = common.gflop_per_epoch(args.model, args.examples) * 1e9
    generator = np.random.default_rng(0)

    def numpy_array(shape):
        return generator.standard_normal(shape, dtype=np.float32)

    def torch_tensor(shape):
        return torch.from_numpy(numpy_array(shape))

    print(f"{args.model}: {len(shapes)} products a step, {steps} steps of {batch}" + (f" and one of {rest}" if rest else "")
          + f", {flop / 1e9:.1f} GFLOP an epoch, {args.threads} threads")
    print("as timed: each product at its own measured speed; at the best: every product at the speed of the fastest one")
    print(f"{'products through':28} {'as timed':>9} {'at the best':>12} {'best GFLOP/s':>13}" + (f" {'PyTorch epoch / floor':>22}" if args.against else ""))
    for name, make, multiply in [("numpy " + np.__version__ + " (OpenBLAS)", numpy_array, np.matmul),
                                 ("PyTorch " + torch.__version__, torch_tensor, torch.matmul)]:
        timed = {shape: seconds_per_call(shape, multiply, make, args.repeats) for shape in set(shapes + last)}
        seconds = sum(timed[shape] for shape in shapes) * steps + sum(timed[shape] for shape in last)
        best = max(2 * m * k * n / timed[(m, k, n)] for m, k, n in timed)
        line = f"{name:28} {seconds:8.3f}s {flop / best:11.3f}s {best / 1e9:13.1f}"
        if args.against:
            line += f" {args.against / (flop / best):21.2f}x"
        print(line)


if __name__ == "__main__":
    main()
