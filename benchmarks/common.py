"""Shared by the PyTorch and Keras benchmark scripts: data, model presets, FLOP counts, output."""
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
DENSE_PRESETS = {"dense": [64], "deep": [128, 64], "sparse": [32]}

# The Keras blog's sparse autoencoder: 784-32-784 with an L1 activity penalty on the code,
# written there as l1(10e-5), which is 1e-4 (AutoencoderKit: --hidden 32 --sparsity l1:1e-4).
SPARSE_L1 = {"sparse": 1e-4}

# Layers of the convolutional presets on 28x28x1 images, as AutoencoderKit's --model. Every conv is
# 3x3: ("conv", filters, padding, activation) has stride 1, ("transpose", filters, padding,
# activation) stride 2; ("pool", padding) is a 2x2 max pool of stride 2; ("up",) repeats each pixel
# 2x2 (nearest neighbour). Padding is Keras's: "same" or "valid".
CONV_PRESETS = {
    # The Keras blog's convolutional autoencoder: a 4x4x8 code.
    "conv": [
        ("conv", 16, "same", "relu"), ("pool", "valid"),        # 28x28x16 -> 14x14x16
        ("conv", 8, "same", "relu"), ("pool", "valid"),         # 14x14x8 -> 7x7x8
        ("conv", 8, "same", "relu"), ("pool", "same"),          # 7x7x8 -> 4x4x8
        ("conv", 8, "same", "relu"), ("up",),                   # 4x4x8 -> 8x8x8
        ("conv", 8, "same", "relu"), ("up",),                   # 8x8x8 -> 16x16x8
        ("conv", 16, "valid", "relu"), ("up",),                 # 14x14x16 -> 28x28x16
        ("conv", 1, "same", "sigmoid"),                         # 28x28x1
    ],
    # keras-io's denoising autoencoder (trained here on clean images): a 7x7x32 code.
    "conv-transpose": [
        ("conv", 32, "same", "relu"), ("pool", "same"),         # 28x28x32 -> 14x14x32
        ("conv", 32, "same", "relu"), ("pool", "same"),         # 14x14x32 -> 7x7x32
        ("transpose", 32, "same", "relu"),                      # 14x14x32
        ("transpose", 32, "same", "relu"),                      # 28x28x32
        ("conv", 1, "same", "sigmoid"),                         # 28x28x1
    ],
}
KERNEL = 3
IMAGE = (28, 28, 1)  # height, width, channels

# Variational presets, as AutoencoderKit's --model: (hidden sizes, latent size) for the dense ones.
# "conv-vae" is keras-io's: conv 32 and 64 (3x3, stride 2, same, relu), flatten, dense 16 relu,
# the latent head; dense 7*7*64 relu, reshape, transposed conv 64 and 32 (stride 2) relu, and a
# transposed conv 1 (stride 1) sigmoid.
VAE_PRESETS = {"vae": ([512], 2), "vae-pytorch": ([400], 20), "conv-vae": (None, 2)}

# Default batch size of each preset.
BATCH_SIZES = {"dense": 256, "deep": 256, "sparse": 256, "conv": 128, "conv-transpose": 128, "vae": 128, "vae-pytorch": 128, "conv-vae": 128}


def is_conv(model):
    return model in CONV_PRESETS


def is_vae(model):
    return model in VAE_PRESETS


def family_of(model):
    return "vae" if is_vae(model) else "conv" if is_conv(model) else "dense"


def arguments(description, family, add=None):
    """Parses the shared options. family is "dense" or "conv", the presets this script trains;
    add(parser), if given, adds the script's own options."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    own = {"dense": DENSE_PRESETS, "conv": CONV_PRESETS, "vae": VAE_PRESETS}[family]
    parser.add_argument("--model", default=next(iter(own)), choices=list(DENSE_PRESETS) + list(CONV_PRESETS) + list(VAE_PRESETS),
                        help=f"this script trains {', '.join(own)}")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs, after one warm-up epoch")
    parser.add_argument("--batch-size", type=positive, default=None,
                        help="default: the preset's (256 for dense and deep, 128 for conv and conv-transpose)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", default=FASHION_MNIST)
    parser.add_argument("--limit", type=positive, default=None, metavar="N",
                        help="train on the first N training images only (quick smoke tests)")
    parser.add_argument("--quality", action="store_true",
                        help="train --epochs epochs from scratch with validation on the test split and report val_loss per epoch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latent", type=positive, default=None, help="a variational preset's latent size (default: the preset's)")
    if add:
        add(parser)
    args = parser.parse_args()
    if family_of(args.model) != family:
        script = os.path.basename(sys.argv[0])
        other = script.replace(f"_{family}", f"_{family_of(args.model)}")
        parser.error(f"--model {args.model} is a {family_of(args.model)} model, which {script} does not train: run {other}")
    if args.batch_size is None:
        args.batch_size = BATCH_SIZES[args.model]
    if args.latent is not None:
        if not is_vae(args.model):
            parser.error(f"--latent applies to the variational presets, not {args.model}")
        VAE_PRESETS[args.model] = (VAE_PRESETS[args.model][0], args.latent)
    return args


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def read_idx(path):
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    rank = magic & 0xFF
    shape = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def load(folder, split, layout="flat", limit=None):
    """Images of a split as float32 in [0, 1] (the first limit of them, if given): N x 784 for
    layout "flat" (as Keras's tutorial does), N x 28 x 28 x 1 for "nhwc" (Keras's convolutions),
    N x 1 x 28 x 28 for "nchw" (PyTorch's)."""
    stem = "train" if split == "train" else "t10k"
    for name in (f"{stem}-images-idx3-ubyte.gz", f"{stem}-images-idx3-ubyte"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            images = read_idx(path)[:limit]
            shape = {"flat": (-1,), "nhwc": (28, 28, 1), "nchw": (1, 28, 28)}[layout]
            return images.reshape((len(images),) + shape).astype(np.float32) / 255.0
    sys.exit(f"{folder}: no {split} images")


def layer_sizes(model, input_size=784):
    hidden = DENSE_PRESETS[model]
    return [input_size] + hidden + hidden[-2::-1] + [input_size]


def dense_layers(model):
    """(fan in, fan out) of each layer of a dense preset, plain or variational, in order; a variational
    one's latent head (mean and log-variance) is one layer of twice the latent width, as AutoencoderKit
    counts it."""
    if model in DENSE_PRESETS:
        sizes = layer_sizes(model)
        return list(zip(sizes, sizes[1:]))
    hidden, latent = VAE_PRESETS[model]
    if hidden is None:
        raise ValueError(f"{model} is not a dense preset")
    down, up = [784] + hidden, [latent] + hidden[::-1] + [784]
    return list(zip(down, down[1:])) + [(hidden[-1], 2 * latent)] + list(zip(up, up[1:]))


def vae_macs_per_example(model):
    """Forward multiply-adds of a variational preset's layers, in order, the latent head's two
    layers counted as one product (as AutoencoderKit counts)."""
    hidden, latent = VAE_PRESETS[model]
    if hidden is not None:
        return [fan_in * fan_out for fan_in, fan_out in dense_layers(model)]
    # conv-vae: convs over 14x14 and 7x7 outputs, dense 3136 -> 16, the head 16 -> 2 twice,
    # dense 2 -> 3136, transposed convs over their 7x7, 14x14 and 28x28 inputs.
    return [14 * 14 * 32 * 9 * 1, 7 * 7 * 64 * 9 * 32, 3136 * 16, 2 * 16 * latent, latent * 3136,
            7 * 7 * 64 * 9 * 64, 14 * 14 * 64 * 9 * 32, 28 * 28 * 32 * 9 * 1]


def conv_layers(model):
    """Each layer of a conv preset with its input and output shapes (height, width, channels)."""
    shape = IMAGE
    for layer in CONV_PRESETS[model]:
        height, width, channels = shape
        kind = layer[0]
        if kind == "conv":
            shrink = 0 if layer[2] == "same" else KERNEL - 1
            out = (height - shrink, width - shrink, layer[1])
        elif kind == "transpose":
            out = (2 * height, 2 * width, layer[1]) if layer[2] == "same" else \
                (2 * (height - 1) + KERNEL, 2 * (width - 1) + KERNEL, layer[1])
        elif kind == "pool":
            out = ((height + 1) // 2, (width + 1) // 2, channels) if layer[1] == "same" else \
                (height // 2, width // 2, channels)
        elif kind == "up":
            out = (2 * height, 2 * width, channels)
        else:
            raise ValueError(kind)
        yield layer, shape, out
        shape = out
    assert shape == IMAGE, f"{model} outputs {shape}"


def conv_parameters(model):
    """Weights and biases of a conv preset (what Keras's count_params() says)."""
    return sum(KERNEL * KERNEL * inp[2] * out[2] + out[2]
               for layer, inp, out in conv_layers(model) if layer[0] in ("conv", "transpose"))


def macs_per_example(model):
    """Forward multiply-adds of each conv or dense layer, in order. A conv layer: Hout*Wout*Cout*kh*kw*Cin;
    a transposed conv, over its input grid: Hin*Win*Cin*kh*kw*Cout. Pooling and upsampling: none."""
    if is_vae(model):
        return vae_macs_per_example(model)
    if not is_conv(model):
        return [fan_in * fan_out for fan_in, fan_out in dense_layers(model)]
    macs = []
    for layer, (hin, win, cin), (hout, wout, cout) in conv_layers(model):
        if layer[0] == "conv":
            macs.append(hout * wout * cout * KERNEL * KERNEL * cin)
        elif layer[0] == "transpose":
            macs.append(hin * win * cin * KERNEL * KERNEL * cout)
    return macs


def gflop_per_epoch(model, examples):
    """Matrix-product (or convolution) GFLOP of an epoch: each layer's forward product and weight
    gradient, and the input gradient of every layer but the first (2 FLOP per multiply-add), as
    AutoencoderKit counts."""
    total = sum(2 * macs * (2 if index == 0 else 3) for index, macs in enumerate(macs_per_example(model)))
    return total * examples / 1e9


def ratio_of_means_interval(ours, theirs, paired=False, resamples=10000):
    """The 95% bootstrap interval of mean(ours) / mean(theirs): each side's runs resampled on its own,
    or, paired, the seeds resampled with both their runs."""
    ours, theirs, rng = np.asarray(ours), np.asarray(theirs), np.random.default_rng(0)
    if paired:
        picks = rng.integers(0, ours.size, (resamples, ours.size))
        ratios = ours[picks].mean(axis=1) / theirs[picks].mean(axis=1)
    else:
        ratios = rng.choice(ours, (resamples, ours.size)).mean(axis=1) / rng.choice(theirs, (resamples, theirs.size)).mean(axis=1)
    return tuple(np.percentile(ratios, [2.5, 97.5]))


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(framework, args, epoch_seconds, examples, final_loss, extra=None):
    timed = sorted(epoch_seconds)
    median = timed[len(timed) // 2]
    gflop = gflop_per_epoch(args.model, examples)
    name = args.model if is_conv(args.model) or is_vae(args.model) else "-".join(map(str, layer_sizes(args.model)))
    result = {
        "framework": framework, "model": name, "examples": examples,
        "batch_size": args.batch_size, "threads": args.threads, "epoch_seconds": epoch_seconds,
        "seconds_per_epoch": median, "images_per_second": examples / median, "gflop_per_epoch": gflop,
        "gflop_per_second": gflop / median, "final_loss": final_loss, "peak_rss_mb": peak_rss_mb(),
    }
    result.update(extra or {})
    print(json.dumps(result))


def threads_everywhere(threads):
    """Every BLAS and OpenMP library in this process to `threads` threads (before they load)."""
    for name in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]:
        os.environ[name] = str(threads)


def history_of(model):
    """A model file's training history (its safetensors metadata): the median seconds of the epochs after the
    first (the training steps alone), and the last epoch's loss."""
    with open(model, "rb") as f:
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
    epochs = json.loads(header["__metadata__"]["history"])["epochs"]
    return float(np.median([e["seconds"] for e in epochs[1:]])), epochs[-1]["loss"]


def side_by_side(title, ours, torch_result):
    """Prints ours and PyTorch's seconds per epoch and the last epoch's mean training loss, and the ratio."""
    (ours_seconds, ours_loss), (torch_seconds, torch_loss, version) = ours, torch_result
    print(title)
    print(f"{'framework':<22}{'s/epoch':>9}{'epoch loss':>11}{'vs ours':>9}")
    print(f"{'AutoencoderKit':<22}{ours_seconds:>9.3f}{ours_loss:>11.4f}{1:>8.2f}x")
    print(f"{'PyTorch ' + version:<22}{torch_seconds:>9.3f}{torch_loss:>11.4f}{torch_seconds / ours_seconds:>8.2f}x")


def torch_epochs(data, epochs, objective, parameters, batch_size=128, prepare=lambda batch: batch):
    """PyTorch in a tight loop: `epochs` timed epochs after a warm-up one, each over a random permutation of
    `data` in batches, Adam 1e-3 (Keras's eps 1e-7) on `objective(batch)`. Returns the median seconds of the
    timed epochs, the last epoch's mean batch loss (what our history's `loss` is) and PyTorch's version."""
    import time
    import torch
    optimizer = torch.optim.Adam(parameters, lr=1e-3, eps=1e-7)
    seconds, loss = [], 0.0
    for _ in range(epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(data))
        total, batches = 0.0, 0
        for first in range(0, len(data), batch_size):
            optimizer.zero_grad()
            value = objective(prepare(data[order[first:first + batch_size]]))
            value.backward()
            optimizer.step()
            total, batches = total + float(value), batches + 1
        seconds.append(time.perf_counter() - start)
        loss = total / batches
    return float(np.median(seconds[1:])), loss, torch.__version__
