"""The spread of a variational model's validation loss over many seeds, in AutoencoderKit and Keras, with each
run's dead relu units (units zero on every test image) in the encoder's narrowest relu layer: keras-io's conv VAE
ends in one of two places depending on how many units of its 16-unit dense layer survive, so its frameworks are
compared by their distributions over seeds, not by one seed.

    benchmarks/vae_seeds.py [--model conv-vae] [--epochs 1] [--seeds 10-29] [--threads 2]

Per seed: `autoencoder train --model M --seed S` then `evaluate --json` (its `dead_units`), and
`keras_vae.py --quality --seed S`. Prints each run, then mean, median, best, worst, runs above --stall nats, and
the Mann-Whitney test of the two sets of losses (scipy).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = os.path.join(os.path.dirname(HERE), ".build", "release", "autoencoder")


def seeds_of(text):
    if "-" in text:
        first, last = map(int, text.split("-"))
        return list(range(first, last + 1))
    return [int(s) for s in text.split(",")]


def narrowest(dead_units):
    """The relu layer with the fewest units (the conv VAE's 16-unit dense layer) as (dead, units)."""
    layer = min(dead_units, key=lambda u: u["units"])
    return layer["dead"], layer["units"]


def ours(args, seed, directory):
    model = os.path.join(directory, f"s{seed}.safetensors")
    subprocess.run([args.autoencoder, "train", "--model", args.model, "--epochs", str(args.epochs), "--seed", str(seed),
                    "--threads", str(args.threads), "--quiet", "--no-reconstruction", "-o", model], check=True, capture_output=True)
    report = json.loads(subprocess.run([args.autoencoder, "evaluate", model, "--no-likelihood", "--json", "--threads", str(args.threads)],
                                       check=True, capture_output=True, text=True).stdout)
    encoder = [u for u in report["dead_units"] if u["layer"].startswith("encoder.")]
    return report["negative_elbo"], narrowest(encoder)


def keras(args, seed):
    completed = subprocess.run([sys.executable, os.path.join(HERE, "keras_vae.py"), "--model", args.model, "--quality",
                                "--epochs", str(args.epochs), "--seed", str(seed), "--threads", str(args.threads)],
                               check=True, capture_output=True, text=True)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result["history"][-1]["val_loss"], narrowest(result["dead_units"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--autoencoder", default=BINARY)
    parser.add_argument("--model", default="conv-vae", choices=["vae", "vae-pytorch", "conv-vae"])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seeds", default="10-29", help="first-last or a comma-separated list")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--stall", type=float, default=300, help="count the runs whose loss ends above this (nats/image)")
    args = parser.parse_args()
    runs = {"AutoencoderKit": [], "Keras": []}
    with tempfile.TemporaryDirectory() as directory:
        for seed in seeds_of(args.seeds):
            for name, run in (("AutoencoderKit", lambda: ours(args, seed, directory)), ("Keras", lambda: keras(args, seed))):
                loss, (dead, units) = run()
                runs[name].append((loss, dead, units))
                print(f"seed {seed:3} {name:15} val_loss {loss:8.2f}  dead {dead:2} of {units}", flush=True)
    print(f"\n{args.model}, {args.epochs} epoch(s), seeds {args.seeds}: validation negative ELBO (nats/image)")
    print(f"{'framework':15} {'mean':>8} {'median':>8} {'best':>8} {'worst':>8} {'above ' + str(int(args.stall)):>10} {'dead units':>14}")
    for name, values in runs.items():
        losses, dead = [v[0] for v in values], [v[1] for v in values]
        print(f"{name:15} {statistics.mean(losses):8.2f} {statistics.median(losses):8.2f} {min(losses):8.2f} {max(losses):8.2f} "
              f"{sum(l > args.stall for l in losses):10} {statistics.mean(dead):7.2f} ({min(dead)}-{max(dead)})")
    try:
        from scipy.stats import mannwhitneyu
        a, b = ([v[i] for v in runs["AutoencoderKit"]] for i in (0, 1)), ([v[i] for v in runs["Keras"]] for i in (0, 1))
        (losses_a, dead_a), (losses_b, dead_b) = a, b
        print(f"Mann-Whitney two-sided p: losses {mannwhitneyu(losses_a, losses_b).pvalue:.2f}, "
              f"dead units {mannwhitneyu(dead_a, dead_b).pvalue:.2f}")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
