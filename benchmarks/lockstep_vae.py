"""keras-io's conv VAE in Keras, in lock step with `autoencoder train --model conv-vae --seed S`: the same
initial weights, the same order of examples and the same latent noise at every step, drawn here from
AutoencoderKit's generator (SplitMix64) as its trainer draws them. What is left to differ is the arithmetic,
so where the two runs end apart (the loss, which units of the 16-unit dense layer died), the frameworks'
updates differ; where they end together, a difference between their runs over seeds is the draw of the
random numbers.

    benchmarks/lockstep_vae.py [--seeds 0-17] [--epochs 1] [--threads 2] [--limit N] [--record FILE] [--autoencoder PATH]
    benchmarks/lockstep_vae.py --numpy-draws [KINDS] [--seeds 0-17] [--epochs 1] [--threads 2] [--record FILE]

Per seed: trains ours (`autoencoder train --model conv-vae --epochs E --seed S`), regenerates its initial
weights here and checks them against ours after one step of learning rate 1e-30 (the weights ours starts
from, to rounding), then trains the Keras model from them for E epochs with our batches and noise, and
prints both runs' mean training loss of each epoch, the validation negative ELBO of each final model
evaluated here on the test images with one fixed noise draw, the dead units (zero on every test image) of
the 16-unit layer, by index, and how far apart the final weights are (each weight's ||ours - Keras|| / ||ours||);
then a summary: in how many seeds the two ended with the same dead units, which way the others went, and
the two means. With --record FILE the seeds accumulate over sessions (records/conv-vae-lockstep.jsonl).

The draws follow AutoencoderKit's trainer: weights in parameter order, one draw per weight (Glorot uniform,
24-bit uniforms); each epoch a Fisher-Yates shuffle of the running order (Swift's `shuffle(using:)`, with
Lemire's bounded draws); each step one draw as the step's seed; example r of a batch takes its two normals
from stream r of that seed (`SplitMix64(seed:stream:)`, Box-Muller).

--numpy-draws is the control: Keras alone (no run of ours), fed numpy's draws of the same laws for the
kinds of draw named (weights, shuffle, noise; all by default; none) and ours for the rest, so one kind
at a time can be swapped. With --record (records/conv-vae-numpy-draws.jsonl) the summary is a table of
every arm in the file: the mean dead units and validation loss, and Mann-Whitney's p against the arm of
our draws throughout (which takes in the Keras runs of the lock-step record).
"""
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402
from vae_seeds import seeds_of  # noqa: E402

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
STREAM = 0xD1B54A32D192ED03
SAMPLING = 0x5A3F1ED50C0DE5ED  # BatchContext.samplingSeed: the step's seed ^ this


class SplitMix64:
    """AutoencoderKit's generator (Sources/TensorCore/Random.swift)."""

    def __init__(self, seed, stream=None):
        self.state = seed & MASK
        if stream is not None:
            self.state = SplitMix64(seed ^ ((stream * STREAM) & MASK)).next()

    def next(self):
        self.state = (self.state + GOLDEN) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def unit(self):
        return np.float32(self.next() >> 40) * np.float32(2.0 ** -24)

    def below(self, bound):
        """Swift's `next(upperBound:)` (Lemire): a uniform integer in [0, bound)."""
        product = self.next() * bound
        if product & MASK < bound:
            threshold = ((1 << 64) - bound) % bound
            while product & MASK < threshold:
                product = self.next() * bound
        return product >> 64


# The conv VAE's weights in AutoencoderKit's parameter order with their Glorot fans (fan in + fan out).
WEIGHTS = [("encoder.0", (3, 3, 1, 32)), ("encoder.1", (3, 3, 32, 64)), ("encoder.3", (3136, 16)),
           ("latent.mean", (16, 2)), ("latent.log_variance", (16, 2)), ("decoder.0", (2, 3136)),
           ("decoder.2", (3, 3, 64, 64)), ("decoder.3", (3, 3, 32, 64)), ("decoder.4", (3, 3, 1, 32))]


def initial_weights(uniform):
    """The conv VAE's initial weights: Glorot uniform kernels from `uniform(limit, shape)` (a float32
    array in [-limit, limit)) in parameter order, zero biases."""
    weights = {}
    for name, shape in WEIGHTS:
        receptive = int(np.prod(shape[:-2])) if len(shape) == 4 else 1
        limit = np.sqrt(np.float32(6) / np.float32(receptive * (shape[-2] + shape[-1])), dtype=np.float32)
        weights[name + ".weight"] = uniform(limit, shape)
        # A transposed convolution's kernel is Keras's [height, width, filters, channels].
        weights[name + ".bias"] = np.zeros(shape[2] if name.startswith("decoder.") and len(shape) == 4 else shape[-1], np.float32)
    return weights


def our_uniform(generator):
    """Our draws of U(-limit, limit): `low + width * u` over 24-bit uniforms, as Tensor.randomUniform."""
    def uniform(limit, shape):
        low, width = -limit, limit - (-limit)
        draws = np.array([generator.unit() for _ in range(int(np.prod(shape)))], dtype=np.float32)
        return (low + width * draws).astype(np.float32).reshape(shape)
    return uniform


def shuffle(order, generator):
    """Swift's MutableCollection.shuffle(using:), in place."""
    for current in range(len(order) - 1):
        other = current + generator.below(len(order) - current)
        order[current], order[other] = order[other], order[current]


def normals(seed, rows):
    """Each row's two standard normals: stream r of the step's sampling seed, Box-Muller as
    aek_normal_from_uniform (radius from 1 - u1, angle from u2 wrapped to [-pi, pi])."""
    out = np.empty((rows, 2), np.float32)
    for row in range(rows):
        generator = SplitMix64(seed ^ SAMPLING, stream=row)
        u1, u2 = generator.unit(), generator.unit()
        radius = np.sqrt(-2.0 * np.log(1.0 - np.float64(u1)))
        theta = 2 * np.pi * (u2 - np.round(u2))
        out[row] = (radius * np.cos(theta), radius * np.sin(theta))
    return out


KINDS = ("weights", "shuffle", "noise")


def numpy_kinds(text, parser):
    """--numpy-draws's KINDS as a sorted list: all, none, or a comma list of KINDS."""
    kinds = {"all": list(KINDS), "none": []}.get(text, [k.strip() for k in text.split(",") if k.strip()])
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not text.strip():
        parser.error(f"--numpy-draws: {','.join(unknown) or repr(text)} is not one of all, none, {', '.join(KINDS)}")
    return sorted(set(kinds), key=KINDS.index)


def mixed_draws(seed, numpy_kinds):
    """The initial weights, the shuffle and the noise of one run, each kind from numpy's generator
    (`default_rng(seed)`, drawn in the run's order) if it is in numpy_kinds, else from ours. Our generator
    makes every draw of ours whichever source a kind takes, so the kinds kept ours are exactly our run's."""
    rng, generator = np.random.default_rng(seed), SplitMix64(seed)
    ours = initial_weights(our_uniform(generator))
    weights = initial_weights(lambda limit, shape: rng.uniform(-limit, limit, shape).astype(np.float32)) \
        if "weights" in numpy_kinds else ours

    def shuffle_order(order):
        if "shuffle" in numpy_kinds:
            shuffle(list(order), generator)
            rng.shuffle(order)
        else:
            shuffle(order, generator)

    def draw_noise(rows):
        step_seed = generator.next()
        return rng.standard_normal((rows, 2)).astype(np.float32) if "noise" in numpy_kinds else normals(step_seed, rows)
    return weights, shuffle_order, draw_noise


def summarize_control(runs, lockstep):
    """Each arm of the control (which kinds of draw were numpy's) over the seeds it holds: the dead
    units and the validation loss, their means, and Mann-Whitney's two-sided p against the arm of our
    draws throughout, which takes the Keras runs of the lock-step record too (the same bits: the same
    draws, the same arithmetic)."""
    for epochs in sorted({run["epochs"] for run in runs}):
        summarize_arms([run for run in runs if run["epochs"] == epochs], [run for run in lockstep if run["epochs"] == epochs], epochs)


def summarize_arms(runs, lockstep, epochs):
    """The control's table for the runs of one length (a seed's runs of other lengths are other runs)."""
    from scipy.stats import mannwhitneyu
    arms = {}
    for run in lockstep:
        arms.setdefault((), {})[run["seed"]] = (len(run["dead"]["Keras"]), run["val_loss"]["Keras"])
    for run in runs:
        arms.setdefault(tuple(run["numpy_draws"]), {})[run["seed"]] = (len(run["dead"]), run["val_loss"])
    ours = np.array(list(arms.get((), {}).values())).reshape(-1, 2)
    print(f"\n{epochs} epoch(s)")
    print(f"{'numpy draws of':24} {'seeds':>5} {'dead of 16':>10} {'p':>6} {'val loss':>9} {'p':>6}")
    for kinds in sorted(arms, key=lambda k: (len(k), [KINDS.index(x) for x in k])):
        values = np.array(list(arms[kinds].values()))
        tests = [mannwhitneyu(values[:, i], ours[:, i]).pvalue if kinds and len(ours) else float("nan") for i in (0, 1)]
        print(f"{', '.join(kinds) or 'nothing (our draws)':24} {len(values):5d} {values[:, 0].mean():10.2f} {tests[0]:6.3f} "
              f"{values[:, 1].mean():9.2f} {tests[1]:6.3f}")


def keras_model(weights):
    import keras
    from keras import layers
    encoder_layers = [layers.Conv2D(32, 3, activation="relu", strides=2, padding="same"),
                      layers.Conv2D(64, 3, activation="relu", strides=2, padding="same"),
                      layers.Flatten(), layers.Dense(16, activation="relu")]
    mean, log_variance = layers.Dense(2), layers.Dense(2)
    decoder_layers = [layers.Dense(7 * 7 * 64, activation="relu"), layers.Reshape((7, 7, 64)),
                      layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same"),
                      layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same"),
                      layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")]
    inputs = keras.Input(shape=(28, 28, 1))
    h = inputs
    for layer in encoder_layers:
        h = layer(h)
    encoder = keras.Model(inputs, [mean(h), log_variance(h), h])
    codes = keras.Input(shape=(2,))
    h = codes
    for layer in decoder_layers:
        h = layer(h)
    decoder = keras.Model(codes, h)
    named = {"encoder.0": encoder_layers[0], "encoder.1": encoder_layers[1], "encoder.3": encoder_layers[3],
             "latent.mean": mean, "latent.log_variance": log_variance, "decoder.0": decoder_layers[0],
             "decoder.2": decoder_layers[2], "decoder.3": decoder_layers[3], "decoder.4": decoder_layers[4]}
    for name, layer in named.items():
        layer.set_weights([weights[name + ".weight"], weights[name + ".bias"]])
    return encoder, decoder, named


def terms(encoder, decoder, x, noise):
    """keras-io's loss: binary cross-entropy summed over each image's pixels and the closed-form KL,
    each averaged over the batch (as benchmarks/keras_vae.py)."""
    import keras
    from keras import ops
    z_mean, z_log_var, features = encoder(x)
    reconstruction = decoder(z_mean + ops.exp(0.5 * z_log_var) * noise)
    bce = ops.mean(ops.sum(keras.losses.binary_crossentropy(x, reconstruction), axis=(1, 2)))
    kl = ops.mean(ops.sum(-0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)), axis=1))
    return bce, kl, features


def evaluate(encoder, decoder, test, noise):
    """The negative ELBO per test image (one fixed draw of noise) and the dead units of the 16-unit layer."""
    losses, fired = [], np.zeros(16, bool)
    for start in range(0, len(test), 500):
        bce, kl, features = terms(encoder, decoder, test[start:start + 500], noise[start:start + 500])
        losses.append((float(bce) + float(kl)) * len(test[start:start + 500]))
        fired |= (np.asarray(features) > 0).any(axis=0)
    return sum(losses) / len(test), [int(i) for i in np.flatnonzero(~fired)]


def ours(args, seed, directory):
    """Trains ours; returns its initial weights (after one step at learning rate 1e-30), its final
    weights and its history."""
    from safetensors.numpy import load_file
    start, final = os.path.join(directory, f"start{seed}.safetensors"), os.path.join(directory, f"final{seed}.safetensors")
    common_flags = ["--model", "conv-vae", "--seed", str(seed), "--threads", str(args.threads), "--quiet", "--no-reconstruction"]
    subprocess.run([args.autoencoder, "train", *common_flags, "--epochs", "1", "--limit", "128", "--learning-rate", "1e-30",
                    "-o", start], check=True, capture_output=True)
    limit = ["--limit", str(args.limit)] if args.limit else []
    subprocess.run([args.autoencoder, "train", *common_flags, *limit, "--epochs", str(args.epochs), "-o", final],
                   check=True, capture_output=True)
    info = json.loads(subprocess.run([args.autoencoder, "info", final, "--json"], check=True, capture_output=True,
                                     text=True).stdout)
    return load_file(start), load_file(final), info


def summarize(runs):
    """How often the two runs of a seed ended with the same dead units, which way the others went, and
    how far apart their validation losses are (with a paired bootstrap interval for the ratio of means)."""
    same = [r for r in runs if r["dead"]["AutoencoderKit"] == r["dead"]["Keras"]]
    more = sum(len(r["dead"]["AutoencoderKit"]) > len(r["dead"]["Keras"]) for r in runs)
    fewer = sum(len(r["dead"]["AutoencoderKit"]) < len(r["dead"]["Keras"]) for r in runs)
    print(f"\n{len(runs)} seeds, {runs[0]['epochs']} epoch(s) in lock step: the same dead units in {len(same)}; "
          f"ours with more dead in {more}, with fewer in {fewer}")
    for label, group in (("all seeds", runs), ("same dead units", same)):
        if not group:
            continue
        ours, theirs = (np.array([r["val_loss"][name] for r in group]) for name in ("AutoencoderKit", "Keras"))
        apart = np.abs(ours / theirs - 1) * 100
        print(f"{label:16} validation loss: means {ours.mean():.2f} and {theirs.mean():.2f} (ratio {ours.mean() / theirs.mean():.4f}); "
              f"|ours / Keras - 1|: median {np.median(apart):.3f}%, largest {apart.max():.3f}%")
    ours, theirs = (np.array([r["val_loss"][name] for r in runs]) for name in ("AutoencoderKit", "Keras"))
    low, high = common.ratio_of_means_interval(ours, theirs, paired=True)
    print(f"ratio of the means, 95% paired bootstrap interval over the seeds: {low:.4f} to {high:.4f}")
    dead = [np.mean([len(r["dead"][name]) for r in runs]) for name in ("AutoencoderKit", "Keras")]
    print(f"dead units of the 16 (mean): {dead[0]:.2f} and {dead[1]:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0,1,4", help="seeds: 0,1,4 or a range, 0-17")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", default=common.FASHION_MNIST)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only (a quick check of the lock step)")
    parser.add_argument("--autoencoder", default=os.path.join(os.path.dirname(HERE), ".build", "release", "autoencoder"))
    parser.add_argument("--record", default=None, metavar="FILE",
                        help="append each seed's result to FILE (JSON lines), skip the seeds it holds for these epochs, and summarize all of them")
    parser.add_argument("--numpy-draws", nargs="?", const="all", default=None, metavar="KINDS",
                        help="the control: train Keras only, with no run of ours, taking the draws of KINDS (a comma list of "
                             "weights, shuffle, noise; all, the default; none) from numpy's generator and the rest from ours, "
                             "regenerated here; prints each seed's Keras run, and with --record keeps it")
    parser.add_argument("--lockstep", default=os.path.join(HERE, "records", "conv-vae-lockstep.jsonl"), metavar="FILE",
                        help="with --numpy-draws: the lock-step record whose Keras runs join the control's arm of our draws in the summary")
    args = parser.parse_args()
    if args.numpy_draws is not None:
        args.numpy_draws = numpy_kinds(args.numpy_draws, parser)
    runs = []
    if args.record and os.path.exists(args.record):
        with open(args.record) as file:
            runs = [r for r in map(json.loads, file) if r["epochs"] == args.epochs and not args.limit
                    and r.get("numpy_draws") == args.numpy_draws]
    import tensorflow as tf
    import keras
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    x = common.load(args.data, "train", layout="nhwc", limit=args.limit)
    test = common.load(args.data, "test", layout="nhwc")
    test_noise = np.random.default_rng(0).standard_normal((len(test), 2)).astype(np.float32)
    batch = 128
    for seed in [s for s in seeds_of(args.seeds) if s not in {r["seed"] for r in runs}]:
        if args.numpy_draws is not None:
            # The control: no run of ours; each kind of draw from numpy's generator or from ours.
            weights, shuffle_order, draw_noise = mixed_draws(seed, args.numpy_draws)
        else:
            with tempfile.TemporaryDirectory() as directory:
                start, final, info = ours(args, seed, directory)
            generator = SplitMix64(seed)
            weights = initial_weights(our_uniform(generator))
            worst = max(float(np.abs(weights[k] - start[k]).max()) for k in weights)
            if worst > 1e-6:
                sys.exit(f"seed {seed}: the regenerated initial weights differ from ours by {worst:g}")
            shuffle_order = lambda order: shuffle(order, generator)  # noqa: E731
            draw_noise = lambda rows: normals(generator.next(), rows)  # noqa: E731
        encoder, decoder, named = keras_model(weights)
        optimizer = keras.optimizers.Adam()
        variables = encoder.trainable_variables + decoder.trainable_variables

        @tf.function
        def step(images, noise):
            with tf.GradientTape() as tape:
                bce, kl, _ = terms(encoder, decoder, images, noise)
                loss = bce + kl
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return loss

        order = list(range(len(x)))
        keras_losses = []
        for epoch in range(args.epochs):
            shuffle_order(order)
            total, seen = 0.0, 0
            for first in range(0, len(order), batch):
                rows = order[first:first + batch]
                loss = step(tf.constant(x[rows]), tf.constant(draw_noise(len(rows))))
                total, seen = total + float(loss) * len(rows), seen + len(rows)
            keras_losses.append(total / seen)
        keras_loss, keras_dead = evaluate(encoder, decoder, test, test_noise)
        if args.numpy_draws is not None:
            run = {"seed": seed, "epochs": args.epochs, "numpy_draws": args.numpy_draws, "train_loss": [round(v, 4) for v in keras_losses],
                   "val_loss": round(keras_loss, 4), "dead": keras_dead}
            print(json.dumps(run), flush=True)
            runs.append(run)
            if args.record and not args.limit:
                with open(args.record, "a") as file:
                    file.write(json.dumps(run) + "\n")
            continue
        keras_weights = {name: layer.get_weights() for name, layer in named.items()}
        encoder, decoder, _ = keras_model(final)
        our_loss, our_dead = evaluate(encoder, decoder, test, test_noise)
        # Each weight's distance between the runs, relative to its size: ||ours - Keras|| / ||ours||.
        apart = {n: round(float(np.linalg.norm(keras_weights[n][0] - final[n + ".weight"]) / np.linalg.norm(final[n + ".weight"])), 6)
                 for n in named}
        our_losses = [round(e["loss"], 4) for e in info["history"]["epochs"]]
        run = {"seed": seed, "epochs": args.epochs, "threads": args.threads,
               "train_loss": {"AutoencoderKit": our_losses, "Keras": [round(v, 4) for v in keras_losses]},
               "val_loss": {"AutoencoderKit": round(our_loss, 4), "Keras": round(keras_loss, 4)},
               "dead": {"AutoencoderKit": our_dead, "Keras": keras_dead}, "weights_apart": apart}
        print(json.dumps(run), flush=True)
        runs.append(run)
        if args.record and not args.limit:
            with open(args.record, "a") as file:
                file.write(json.dumps(run) + "\n")
    if runs and args.numpy_draws is not None:
        lockstep = []
        if os.path.exists(args.lockstep):
            with open(args.lockstep) as file:
                lockstep = [r for r in map(json.loads, file) if r["epochs"] == args.epochs]
        if args.record and not args.limit:
            with open(args.record) as file:
                runs = [r for r in map(json.loads, file) if r["epochs"] == args.epochs]
        summarize_control(runs, lockstep)
    elif runs:
        summarize(sorted(runs, key=lambda r: r["seed"]))


if __name__ == "__main__":
    main()
