"""The rate-trained codec's training step (`--model codec`), AutoencoderKit and PyTorch side by side: seconds
per epoch on the 60,000 Fashion-MNIST training images, same model, loss, batch and threads, one run.

The model (Ballé et al. 2017's shape): analysis conv 32 5x5 stride 2, GDN, conv 32 5x5 stride 2, GDN, conv 16
3x3 (the code, 7x7x16); its entropy bottleneck, a mixture of 3 logistics per code channel under which the code
plus uniform noise costs -log2 P bits (P the mass of the unit interval around it, at least 1e-9); synthesis
transposed conv 32 3x3, IGDN, 32 5x5 stride 2, IGDN, 1 5x5 stride 2 sigmoid. GDN divides each pixel's channels
by sqrt(beta + gamma^T x^2), IGDN multiplies; beta and gamma are kept as squares of the parameters (+1e-6 on
beta), as AutoencoderKit's `GDN` does; PyTorch computes the norms as a 1x1 convolution of the squares, as
CompressAI's GDN does. (Before December 2026 the preset used relu in GDN's places: --relu times that model.) Loss: mean
squared error + λ·bits per pixel, λ 0.01; Adam 1e-3 (eps 1e-7), batch 128. PyTorch runs the same layers
(NHWC memory, Glorot weights) and the same density in a tight loop over a random permutation each epoch;
ours is timed from its model file's history (the training steps). Median of `--epochs` epochs after a
warm-up epoch.

With --rounds R the two alternate R times (ours, PyTorch, ours, ...) and each round's figures are
printed, then the median and range of the rounds' ratios: on a shared machine a busy minute falls on
one framework's run, and alternating lets both meet the same minutes.

    ~/bench-venv/bin/python benchmarks/codec_step.py [--epochs 2] [--threads 2] [--relu] [--rounds 1]
"""
import argparse
import os
import subprocess

import numpy as np

from common import FASHION_MNIST, history_of, read_idx, side_by_side, threads_everywhere, torch_epochs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, ".build", "release", "autoencoder")


RELU_SPEC = ("conv 32 5 stride 2 relu, conv 32 5 stride 2 relu, conv 16 3, bottleneck | convt 32 3 relu, convt 32 5 stride 2 relu, "
             "convt 1 5 stride 2 sigmoid")


def ours(args):
    model = os.path.join(args.work, "codec.safetensors")
    preset = ["--architecture", RELU_SPEC, "--loss", "mse", "--batch-size", "128"] if args.relu else ["--model", "codec"]
    command = [BINARY, "train"] + preset + ["--lambda", "0.01", "--epochs", str(args.epochs + 1), "--threads", str(args.threads),
               "--no-reconstruction", "-o", model]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return history_of(model)  # each epoch's seconds (the training steps) and loss


def pytorch(args):
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    images = read_idx(os.path.join(FASHION_MNIST, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255
    x = torch.from_numpy(images[:, None]).contiguous(memory_format=torch.channels_last)

    def conv(cin, cout, k, stride, transposed=False):
        layer = (torch.nn.ConvTranspose2d(cin, cout, k, stride=stride, padding=k // 2, output_padding=stride - 1) if transposed
                 else torch.nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2))
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
        return layer

    class GDN(torch.nn.Module):
        def __init__(self, channels, inverse):
            super().__init__()
            self.inverse = inverse
            self.beta = torch.nn.Parameter(torch.ones(channels))
            gamma = torch.full((channels, channels), 0.01)
            gamma.fill_diagonal_(0.1 ** 0.5)
            self.gamma = torch.nn.Parameter(gamma)  # [j, i]: channel j's square into channel i's norm

        def forward(self, x):
            weight = (self.gamma ** 2).t()[:, :, None, None]
            norm = torch.sqrt(torch.nn.functional.conv2d(x * x, weight, self.beta ** 2 + 1e-6))
            return x * norm if self.inverse else x / norm

    if args.relu:
        gdn = igdn = lambda channels: torch.nn.ReLU()
    else:
        gdn, igdn = (lambda channels: GDN(channels, False)), (lambda channels: GDN(channels, True))
    encoder = torch.nn.Sequential(conv(1, 32, 5, 2), gdn(32), conv(32, 32, 5, 2), gdn(32), conv(32, 16, 3, 1))
    decoder = torch.nn.Sequential(conv(16, 32, 3, 1, True), igdn(32), conv(32, 32, 5, 2, True), igdn(32), conv(32, 1, 5, 2, True),
                                  torch.nn.Sigmoid())
    logits = torch.zeros(16, 3, requires_grad=True)
    means = torch.tensor([[-2.0, 0.0, 2.0]] * 16, requires_grad=True)
    log_scales = torch.zeros(16, 3, requires_grad=True)
    encoder, decoder = encoder.to(memory_format=torch.channels_last), decoder.to(memory_format=torch.channels_last)
    parameters = list(encoder.parameters()) + list(decoder.parameters()) + [logits, means, log_scales]

    def bits(code):  # code: [B, 16, 7, 7]; each channel's mixture
        y = code.permute(0, 2, 3, 1)[..., None]  # [B, 7, 7, 16, 1]
        scale = torch.exp(log_scales.clamp(-7, 7))
        upper = torch.sigmoid((y + 0.5 - means) / scale)
        lower = torch.sigmoid((y - 0.5 - means) / scale)
        p = (torch.softmax(logits, dim=1) * (upper - lower)).sum(-1)
        return -torch.log2(p.clamp_min(1e-9)).sum()

    def objective(batch):
        code = encoder(batch)
        noisy = code + torch.rand_like(code) - 0.5
        return torch.mean((decoder(noisy) - batch) ** 2) + 0.01 * bits(noisy) / (batch.shape[0] * 784)

    return torch_epochs(x, args.epochs, objective, parameters, prepare=lambda batch: batch.contiguous(memory_format=torch.channels_last))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs, after one warm-up epoch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", default="/tmp/aek-codec-step")
    parser.add_argument("--relu", action="store_true", help="the preset before December 2026: relu in GDN's places")
    parser.add_argument("--rounds", type=int, default=1, help="alternate the two this many times")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    threads_everywhere(args.threads)
    title = (f"codec ({'relu' if args.relu else 'GDN'}, λ 0.01) on Fashion-MNIST's 60,000 training images, batch 128, {args.threads} threads, "
             f"median of {args.epochs} epochs after a warm-up")
    ratios = []
    for round in range(args.rounds):
        results = ours(args), pytorch(args)
        side_by_side(title + (f", round {round + 1} of {args.rounds}" if args.rounds > 1 else ""), *results)
        ratios.append(results[1][0] / results[0][0])
    if args.rounds > 1:
        print(f"PyTorch's s/epoch over ours in {args.rounds} alternating rounds: median {np.median(ratios):.2f}x, "
              f"from {min(ratios):.2f}x to {max(ratios):.2f}x ({', '.join(f'{r:.2f}x' for r in ratios)})")


if __name__ == "__main__":
    main()
