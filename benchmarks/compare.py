"""Runs the three frameworks on the same model and data and prints one table (see compare)."""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def machine_is_quiet():
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}: another process is using the CPU; timings will be noisy "
              "(PyTorch with 2 threads suffers most)", file=sys.stderr)


MODELS = ["dense", "deep", "conv", "conv-transpose"]
CONV_MODELS = {"conv", "conv-transpose"}


def script(framework, model):
    """The PyTorch or Keras script that trains this model: *_dense.py or *_conv.py."""
    prefix = "pytorch" if framework == "pytorch" else "keras"
    return os.path.join(HERE, f"{prefix}_{'conv' if model in CONV_MODELS else 'dense'}.py")


def run(command):
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--autoencoder", required=True)
    parser.add_argument("--model", default="dense", choices=MODELS)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs (after a warm-up); with --quality, epochs trained")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quality", action="store_true", help="train from scratch and compare validation losses")
    parser.add_argument("--frameworks", default="autoencoderkit,pytorch,keras")
    args = parser.parse_args()
    machine_is_quiet()
    frameworks = args.frameworks.split(",")
    common = ["--model", args.model, "--epochs", str(args.epochs), "--threads", str(args.threads)]
    results = []
    if args.quality:
        return quality(args, frameworks, common)
    for framework in frameworks:
        if framework == "autoencoderkit":
            results.append(run([args.autoencoder, "benchmark", "--model", args.model, "--epochs", str(args.epochs),
                                "--threads", str(args.threads), "--json"]))
        else:
            results.append(run([sys.executable, script(framework, args.model)] + common))
    ours = next((r for r in results if r["framework"].startswith("AutoencoderKit")), None)
    print(f"{results[0]['model']} autoencoder, {results[0]['examples']:,} Fashion-MNIST images, batch "
          f"{results[0]['batch_size']}, {args.threads} threads, median of {args.epochs} epochs after a warm-up")
    header = f"{'framework':34} {'s/epoch':>8} {'images/s':>10} {'GFLOP/s':>8} {'peak RSS':>9} {'vs AutoencoderKit':>18}"
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = r["seconds_per_epoch"] / ours["seconds_per_epoch"] if ours else float("nan")
        print(f"{r['framework'][:34]:34} {r['seconds_per_epoch']:8.3f} {r['images_per_second']:10,.0f} "
              f"{r['gflop_per_second']:8.1f} {r['peak_rss_mb']:7.0f} MB {ratio:17.2f}x")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", f"speed-{args.model}.json"), "w") as f:
        json.dump(results, f, indent=1)


def quality(args, frameworks, common):
    rows = []
    for framework in frameworks:
        if framework == "autoencoderkit":
            import tempfile
            with tempfile.TemporaryDirectory() as directory:
                model = os.path.join(directory, "m.safetensors")
                subprocess.run([args.autoencoder, "train", "--model", args.model, "--epochs", str(args.epochs), "--threads",
                                str(args.threads), "--quiet", "--no-reconstruction", "--output", model], check=True,
                               capture_output=True)
                info = json.loads(subprocess.run([args.autoencoder, "info", model, "--json"], check=True,
                                                 capture_output=True, text=True).stdout)
            history = [{"epoch": e["epoch"], "val_loss": e["val_loss"]} for e in info["history"]["epochs"]]
            rows.append((f"AutoencoderKit", history))
        else:
            result = run([sys.executable, script(framework, args.model), "--quality"] + common)
            rows.append((result["framework"], result["history"]))
    marks = sorted({e for e in (1, 5, 10, 20, 50) if e <= args.epochs} | {args.epochs})
    print(f"validation binary cross-entropy (nats/pixel) on the 10,000 test images, {args.model} model")
    print(f"{'framework':34}" + "".join(f"{'epoch ' + str(m):>11}" for m in marks))
    for name, history in rows:
        print(f"{name[:34]:34}" + "".join(f"{history[m - 1]['val_loss']:11.4f}" for m in marks))


if __name__ == "__main__":
    main()
