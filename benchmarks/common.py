"""Shared by the PyTorch and Keras benchmark scripts: data, model sizes, FLOP counts, output."""
import argparse
import gzip
import json
import os
import resource
import struct
import sys

import numpy as np

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"

# Hidden sizes of the dense presets (the decoder mirrors them), as AutoencoderKit's --model.
DENSE_PRESETS = {"dense": [64], "deep": [128, 64]}


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", default="dense", choices=sorted(DENSE_PRESETS))
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs, after one warm-up epoch")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", default=FASHION_MNIST)
    parser.add_argument("--quality", action="store_true",
                        help="train --epochs epochs from scratch with validation on the test split and report val_loss per epoch")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def read_idx(path):
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    rank = magic & 0xFF
    shape = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def load(folder, split):
    """Images of a split as float32 in [0, 1], flattened to 784 (as Keras's tutorial does)."""
    stem = "train" if split == "train" else "t10k"
    for name in (f"{stem}-images-idx3-ubyte.gz", f"{stem}-images-idx3-ubyte"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            images = read_idx(path)
            return (images.reshape(len(images), -1).astype(np.float32) / 255.0)
    sys.exit(f"{folder}: no {split} images")


def layer_sizes(model, input_size=784):
    hidden = DENSE_PRESETS[model]
    return [input_size] + hidden + hidden[-2::-1] + [input_size]


def gflop_per_epoch(model, examples):
    """Matrix-product GFLOP of an epoch: each layer's forward product and weight gradient, and the
    input gradient of every layer but the first (2 FLOP per multiply-add), as AutoencoderKit counts."""
    sizes = layer_sizes(model)
    total = 0
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        total += 2 * fan_in * fan_out * (2 if index == 0 else 3)
    return total * examples / 1e9


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(framework, args, epoch_seconds, examples, final_loss, extra=None):
    timed = sorted(epoch_seconds)
    median = timed[len(timed) // 2]
    gflop = gflop_per_epoch(args.model, examples)
    sizes = layer_sizes(args.model)
    result = {
        "framework": framework, "model": "-".join(map(str, sizes)), "examples": examples,
        "batch_size": args.batch_size, "threads": args.threads, "epoch_seconds": epoch_seconds,
        "seconds_per_epoch": median, "images_per_second": examples / median, "gflop_per_epoch": gflop,
        "gflop_per_second": gflop / median, "final_loss": final_loss, "peak_rss_mb": peak_rss_mb(),
    }
    result.update(extra or {})
    print(json.dumps(result))
