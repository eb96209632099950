"""The spread of a variational model's validation loss over many seeds, in AutoencoderKit and Keras, with each
run's dead relu units (units zero on every test image) in the encoder's narrowest relu layer: keras-io's conv VAE
ends in one of two places depending on how many units of its 16-unit dense layer survive, so its frameworks are
compared by their distributions over seeds, not by one seed.

    benchmarks/vae_seeds.py [--model conv-vae] [--epochs 1] [--seeds 10-29] [--threads 2] [--jobs 1] [--record FILE]

Per seed: `autoencoder train --model M --seed S` then `evaluate --json` (its `dead_units`), and
`keras_vae.py --quality --seed S`. Prints each run, then mean, median, best, worst, runs above --stall nats, the
ratio of the means with a 95% bootstrap interval (the question is whether ours is within 1% of Keras's), and the
Mann-Whitney test of the two sets of losses (scipy). With --record the runs accumulate in a file over sessions
(seeds already there are skipped) and the summary covers all of them. `--jobs 2 --threads 1` runs one run per
core; on the 2-core EPYC, Keras then took about 8 minutes per 5-epoch conv-VAE run, where one run at a time with
2 threads does a seed pair in about 3.
"""
import argparse
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading

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


def summarize(runs, args):
    """Prints the two frameworks' spreads, the ratio of their means with a bootstrap interval, and the
    Mann-Whitney test; runs maps a framework to its (loss, dead, units) tuples."""
    print(f"\n{args.model}, {args.epochs} epoch(s), {len(runs['AutoencoderKit'])} and {len(runs['Keras'])} seeds: "
          "validation negative ELBO (nats/image)")
    print(f"{'framework':15} {'mean':>8} {'median':>8} {'best':>8} {'worst':>8} {'above ' + str(int(args.stall)):>10} {'dead units':>14}")
    for name, values in runs.items():
        if not values:
            continue
        losses, dead = [v[0] for v in values], [v[1] for v in values]
        print(f"{name:15} {statistics.mean(losses):8.2f} {statistics.median(losses):8.2f} {min(losses):8.2f} {max(losses):8.2f} "
              f"{sum(l > args.stall for l in losses):10} {statistics.mean(dead):7.2f} ({min(dead)}-{max(dead)})")
    ours, theirs = ([v[0] for v in runs[name]] for name in ("AutoencoderKit", "Keras"))
    if len(ours) < 2 or len(theirs) < 2:
        return
    import numpy as np
    import common
    # The ratio of the means, and its 95% interval from 10,000 resamplings of each framework's seeds.
    a, b = np.array(ours), np.array(theirs)
    low, high = common.ratio_of_means_interval(a, b)
    print(f"mean over Keras's: {a.mean() / b.mean():.4f} (95% bootstrap interval {low:.4f} to {high:.4f}); "
          f"medians {np.median(a) / np.median(b):.4f}")
    try:
        from scipy.stats import mannwhitneyu
        dead_a, dead_b = [v[1] for v in runs["AutoencoderKit"]], [v[1] for v in runs["Keras"]]
        print(f"Mann-Whitney two-sided p: losses {mannwhitneyu(ours, theirs).pvalue:.2f}, "
              f"dead units {mannwhitneyu(dead_a, dead_b).pvalue:.2f}")
    except ImportError:
        pass


def recorded(path, args):
    """The runs in the record file for this model and epochs: {(framework, seed): (loss, dead, units)}."""
    found = {}
    if path and os.path.exists(path):
        with open(path) as file:
            for line in file:
                r = json.loads(line)
                if r["model"] == args.model and r["epochs"] == args.epochs:
                    found[(r["framework"], r["seed"])] = (r["val_loss"], r["dead"], r["units"])
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--autoencoder", default=BINARY)
    parser.add_argument("--model", default="conv-vae", choices=["vae", "vae-pytorch", "conv-vae"])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seeds", default="10-29", help="first-last or a comma-separated list")
    parser.add_argument("--threads", type=int, default=2, help="threads of each run")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (with --threads 1, one per core)")
    parser.add_argument("--record", default=None, metavar="FILE",
                        help="append each run to FILE (JSON lines), skip the seeds it holds, and summarize every seed it holds for both")
    parser.add_argument("--stall", type=float, default=300, help="count the runs whose loss ends above this (nats/image)")
    args = parser.parse_args()
    done = recorded(args.record, args)
    jobs = [(seed, name) for seed in seeds_of(args.seeds) for name in ("AutoencoderKit", "Keras") if (name, seed) not in done]
    lock = threading.Lock()

    def run(job):
        seed, name = job
        with tempfile.TemporaryDirectory() as directory:
            loss, (dead, units) = ours(args, seed, directory) if name == "AutoencoderKit" else keras(args, seed)
        with lock:
            done[(name, seed)] = (loss, dead, units)
            print(f"seed {seed:3} {name:15} val_loss {loss:8.2f}  dead {dead:2} of {units}", flush=True)
            if args.record:
                with open(args.record, "a") as file:
                    file.write(json.dumps({"model": args.model, "epochs": args.epochs, "framework": name, "seed": seed,
                                           "threads": args.threads, "val_loss": round(loss, 4), "dead": dead, "units": units}) + "\n")

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for future in [pool.submit(run, job) for job in jobs]:
            future.result()
    # The seeds both frameworks ran (with --record, all the file holds; else the ones asked for).
    both = {seed for name, seed in done if ("AutoencoderKit", seed) in done and ("Keras", seed) in done}
    if not args.record:
        both &= set(seeds_of(args.seeds))
    runs = {name: [done[(name, seed)] for seed in sorted(both)] for name in ("AutoencoderKit", "Keras")}
    summarize(runs, args)


if __name__ == "__main__":
    main()
