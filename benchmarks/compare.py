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


MODELS = ["dense", "deep", "sparse", "conv", "conv-transpose", "vae", "vae-pytorch", "conv-vae"]
CONV_MODELS = {"conv", "conv-transpose"}
VAE_MODELS = {"vae", "vae-pytorch", "conv-vae"}


def script(framework, model):
    """The PyTorch or Keras script that trains this model: *_dense.py, *_conv.py or *_vae.py."""
    prefix = "pytorch" if framework == "pytorch" else "keras"
    family = "vae" if model in VAE_MODELS else "conv" if model in CONV_MODELS else "dense"
    return os.path.join(HERE, f"{prefix}_{family}.py")


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
    parser.add_argument("--seeds", default="0", help="with --quality: comma-separated seeds to average, e.g. 0,1,2")
    parser.add_argument("--latent", type=int, default=None, help="a variational model's latent size (default: the preset's)")
    parser.add_argument("--nll", type=int, default=0, metavar="K",
                        help="with --quality and a variational model: also the test NLL with K importance samples (AutoencoderKit, PyTorch)")
    args = parser.parse_args()
    machine_is_quiet()
    frameworks = args.frameworks.split(",")
    latent = ["--latent", str(args.latent)] if args.latent else []
    common = ["--model", args.model, "--epochs", str(args.epochs), "--threads", str(args.threads)] + latent
    results = []
    if args.quality:
        return quality(args, frameworks, common)
    for framework in frameworks:
        if framework == "autoencoderkit":
            results.append(run([args.autoencoder, "benchmark", "--model", args.model, "--epochs", str(args.epochs),
                                "--threads", str(args.threads), "--json"] + latent))
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
    system = ours.get("system", {}) if ours else {}
    if system:
        print(f"AutoencoderKit's BLAS kernels: {system.get('blasCore', '?')} ({system.get('blasCoreSource', '?')})")
    if system.get("blasCoreWithoutOverride"):
        print(f"  note: OPENBLAS_CORETYPE={system['blasCore']} holds them below this CPU's {system['blasCoreWithoutOverride']}; "
              "`env -u OPENBLAS_CORETYPE benchmarks/compare ...` measures AutoencoderKit's own choice")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", f"speed-{args.model}.json"), "w") as f:
        json.dump(results, f, indent=1)


def quality(args, frameworks, common):
    """Validation loss per epoch for each framework, averaged over --seeds (seed-to-seed spread of a
    5-epoch run is about 1%, so one seed cannot settle a 1% comparison)."""
    seeds = [int(s) for s in args.seeds.split(",")]
    variational = args.model in VAE_MODELS
    latent = ["--latent", str(args.latent)] if args.latent else []
    rows, likelihoods, activations = [], [], []
    for framework in frameworks:
        runs = []
        for seed in seeds:
            if framework == "autoencoderkit":
                import tempfile
                with tempfile.TemporaryDirectory() as directory:
                    model = os.path.join(directory, "m.safetensors")
                    # The sparse model is not a preset: the blog's 784-32-784 with its L1 activity penalty.
                    choice = ["--hidden", "32", "--sparsity", "l1:1e-4"] if args.model == "sparse" else ["--model", args.model]
                    subprocess.run([args.autoencoder, "train"] + choice + ["--epochs", str(args.epochs), "--threads",
                                    str(args.threads), "--seed", str(seed), "--quiet", "--no-reconstruction", "--output", model] + latent,
                                   check=True, capture_output=True)
                    if args.model == "sparse":
                        codes = os.path.join(directory, "codes.npy")
                        subprocess.run([args.autoencoder, "encode", model, "--output", codes, "--threads", str(args.threads)],
                                       check=True, capture_output=True)
                        import numpy
                        activations.append(("AutoencoderKit", seed, float(numpy.load(codes).mean())))
                    info = json.loads(subprocess.run([args.autoencoder, "info", model, "--json"], check=True,
                                                     capture_output=True, text=True).stdout)
                    if variational and args.nll:
                        report = json.loads(subprocess.run([args.autoencoder, "evaluate", model, "--importance-samples", str(args.nll),
                                                            "--threads", str(args.threads), "--json"],
                                                           check=True, capture_output=True, text=True).stdout)
                        likelihoods.append(("AutoencoderKit", seed, report["nll"]))
                runs.append([e["val_loss"] for e in info["history"]["epochs"]])
                name = "AutoencoderKit"
            else:
                nll = ["--nll", str(args.nll)] if variational and args.nll and framework == "pytorch" else []
                result = run([sys.executable, script(framework, args.model), "--quality", "--seed", str(seed)] + common + nll)
                runs.append([e["val_loss"] for e in result["history"]])
                name = result["framework"]
                if "nll" in result:
                    likelihoods.append((name, seed, result["nll"]))
                if "mean_code_activation" in result:
                    activations.append((name, seed, result["mean_code_activation"]))
        rows.append((name, runs))
    marks = sorted({e for e in (1, 5, 10, 20, 50) if e <= args.epochs} | {args.epochs})
    what = ("negative ELBO (nats/image, one latent sample per image)" if variational else
            "binary cross-entropy + L1 activity penalty (nats/pixel)" if args.model == "sparse" else "binary cross-entropy (nats/pixel)")
    print(f"validation {what} on the 10,000 test images, {args.model} model, "
          f"{'seed ' if len(seeds) == 1 else 'mean of seeds '}{args.seeds}")
    print(f"{'framework':34}" + "".join(f"{'epoch ' + str(m):>11}" for m in marks)
          + ("   each seed at the last epoch" if len(seeds) > 1 else ""))
    reference = rows[-1][1]
    for name, runs in rows:
        means = [sum(run[m - 1] for run in runs) / len(runs) for m in marks]
        line = f"{name[:34]:34}" + "".join(f"{value:11.4f}" for value in means)
        if len(seeds) > 1:
            line += "   " + " ".join(f"{run[args.epochs - 1]:.4f}" for run in runs)
        print(line)
    if len(rows) > 1:
        last = lambda runs: sum(run[args.epochs - 1] for run in runs) / len(runs)
        for name, runs in rows[:-1]:
            print(f"{name} vs {rows[-1][0]} at epoch {args.epochs}: {100 * (last(runs) / last(reference) - 1):+.2f}%")
    for name, seed, mean in activations:
        print(f"{name[:34]:34} seed {seed}: mean code activation {mean:.4f} on the test images")
    for name, seed, nll in likelihoods:
        print(f"{name[:34]:34} seed {seed}: test NLL {nll:.2f} nats/image (importance-weighted bound, K = {args.nll})")


if __name__ == "__main__":
    main()
