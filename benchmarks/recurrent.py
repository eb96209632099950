"""The `--model lstm` preset (the LSTM autoencoder of Keras's tutorials), or its GRU twin, trained by
AutoencoderKit and PyTorch side by side: seconds per epoch, same windows, same threads, one run.

The model: a recurrent layer of 64 units reads a window to its last state, the state is repeated
over the window's steps, a recurrent layer of 64 units returns every step, and a dense layer at
each step gives the channel (`--decoder one-unit`: the Keras blog's snippet, a recurrent layer of
one unit back, tanh).
MSE, Adam 1e-3, batch 128, windows of `--window` steps (stride 1) of Seattle's hourly temperatures
(`seattle-temps.csv`, Debian's python3-vega-datasets), standardized with their mean and deviation.
PyTorch runs `nn.LSTM`/`nn.GRU` (batch_first) in a tight loop over a random permutation each epoch.

    ~/bench-venv/bin/python benchmarks/recurrent.py [--cell lstm|gru] [--window 72] [--epochs 3] [--threads 2]
"""
import argparse
import os
import subprocess

import numpy as np

from common import history_of, side_by_side, threads_everywhere, torch_epochs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, ".build", "release", "autoencoder")
SERIES = "/usr/lib/python3/dist-packages/vega_datasets/_data/seattle-temps.csv"


def ours(args):
    spec = (f"{args.cell} 64 | repeat {args.window}, {args.cell} 64 sequences, dense 1" if args.decoder == "preset"
            else f"{args.cell} 64 | repeat {args.window}, {args.cell} 1 sequences")
    model = os.path.join(args.work, f"{args.cell}.safetensors")
    command = [BINARY, "train", "--data", SERIES, "--value-columns", "temp", "--window", str(args.window), "--architecture", spec,
               "--epochs", str(args.epochs + 1), "--batch-size", "128", "--threads", str(args.threads), "--loss", "mse", "-o", model]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return history_of(model)  # each epoch's seconds (the training steps) and loss


def pytorch(args):
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    values = np.loadtxt(SERIES, delimiter=",", skiprows=1, usecols=1)
    scaled = ((values - values.mean()) / values.std()).astype(np.float32)
    windows = torch.from_numpy(np.stack([scaled[i:i + args.window] for i in range(len(scaled) - args.window + 1)])[..., None])
    cell = torch.nn.LSTM if args.cell == "lstm" else torch.nn.GRU

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            preset = args.decoder == "preset"
            self.encoder, self.decoder = cell(1, 64, batch_first=True), cell(64, 64 if preset else 1, batch_first=True)
            self.dense = torch.nn.Linear(64, 1) if preset else None
        def forward(self, x):
            _, state = self.encoder(x)
            last = (state[0] if isinstance(state, tuple) else state)[-1]
            out, _ = self.decoder(last[:, None, :].expand(-1, x.shape[1], -1).contiguous())
            return self.dense(out) if self.dense is not None else out
    model = Model()
    return torch_epochs(windows, args.epochs, lambda batch: torch.mean((model(batch) - batch) ** 2), model.parameters())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    parser.add_argument("--window", type=int, default=72)
    parser.add_argument("--decoder", choices=["preset", "one-unit"], default="preset")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs, after one warm-up epoch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", default="/tmp/aek-recurrent")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    threads_everywhere(args.threads)
    decoder = "64 units back, a dense layer at each step" if args.decoder == "preset" else "1 unit back"
    side_by_side(f"{args.cell.upper()} autoencoder (64 units, repeat, {decoder}), windows of {args.window} steps of seattle-temps.csv, "
                 f"batch 128, {args.threads} threads, median of {args.epochs} epochs after a warm-up", ours(args), pytorch(args))


if __name__ == "__main__":
    main()
