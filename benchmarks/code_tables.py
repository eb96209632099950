"""How many bits a rate-trained codec's rounded code would take under tables fitted to the training set's codes,
by what each table is conditioned on: the code channel alone (what the codec's density gives), the position in the
code (row, column and channel), and the position with the already-decoded neighbourhood (|left| + |up| of the same
channel, capped at 3). Empirical entropies: each table counts the 60,000 training codes (add-1/2 smoothing over the
values seen in either split) and is scored on the 10,000 test codes, in bits per image pixel. An estimate of what
per-position or context tables stored in a model file would save, before building them.

    benchmarks/code_tables.py MODEL [--data /usr/share/datasets/fashion-mnist] [--work /tmp/aek-code-tables]
"""
import argparse
import os
import subprocess

import numpy as np

from common import FASHION_MNIST

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, ".build", "release", "autoencoder")


def codes(model, data, split, work):
    path = os.path.join(work, f"{split}.npy")
    subprocess.run([BINARY, "encode", model, "--data", data, "--split", split, "-o", path], check=True, capture_output=True)
    return np.round(np.load(path)).astype(np.int64)


def conditional_bits(train_values, train_contexts, test_values, test_contexts):
    """Bits of the test values under per-context tables counted on the training values."""
    low = min(train_values.min(), test_values.min())
    size = max(train_values.max(), test_values.max()) - low + 1
    contexts = max(train_contexts.max(), test_contexts.max()) + 1
    table = np.full((contexts, size), 0.5)
    np.add.at(table, (train_contexts, train_values - low), 1)
    probabilities = table / table.sum(axis=1, keepdims=True)
    return -np.log2(probabilities[test_contexts, test_values - low]).sum()


def neighbourhood(code, channel):
    """|left| + |up| of `channel` at each position (0 outside), capped at 3."""
    values = np.abs(code[..., channel])
    left, up = np.zeros_like(values), np.zeros_like(values)
    left[:, :, 1:], up[:, 1:, :] = values[:, :, :-1], values[:, :-1, :]
    return np.minimum(left + up, 3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--data", default=FASHION_MNIST)
    parser.add_argument("--work", default="/tmp/aek-code-tables")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    train, test = codes(args.model, args.data, "train", args.work), codes(args.model, args.data, "test", args.work)
    assert train.ndim == 4, f"a codec's code is [rows, columns, channels]; this one is {train.shape[1:]}"
    pixels = test.shape[0] * 784  # Fashion-MNIST's 28x28 images
    rows, columns, channels = train.shape[1:]
    position = lambda code: np.broadcast_to(np.arange(rows * columns).reshape(1, rows, columns), code.shape[:3])
    conditions = {
        "the channel alone": lambda code, c: np.zeros(code.shape[:3], dtype=np.int64),
        "the position": lambda code, c: position(code),
        "the position and the neighbourhood": lambda code, c: position(code) * 4 + neighbourhood(code, c),
    }
    base = None
    for name, context in conditions.items():
        bits = sum(conditional_bits(train[..., c].ravel(), context(train, c).ravel(), test[..., c].ravel(), context(test, c).ravel())
                   for c in range(channels))
        base = base or bits
        print(f"tables by {name:36s} {bits / pixels:.4f} bits per pixel ({100 * (bits / base - 1):+.1f}%)")


if __name__ == "__main__":
    main()
