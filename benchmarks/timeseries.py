"""Time-series anomaly detection on a real series, AutoencoderKit beside Keras running the same recipe.

The recipe is keras-io's "Timeseries anomaly detection using an Autoencoder": standardize with the
training series' mean and deviation, cut sliding windows (stride 1), train the Conv1D autoencoder
(Conv1D 32 and 16, kernel 7, stride 2, relu, dropout 0.2; Conv1DTranspose back; MSE, Adam 1e-3,
batch 128, validation_split 0.1, early stopping with patience 5 on val_loss, 50 epochs at most),
take the largest training window's MAE as the threshold, and flag a step when every window
covering it scores above it.

The series: hourly temperatures in Seattle for 2010 (`seattle-temps.csv` from Debian's
python3-vega-datasets). January to August train (normal); September and October (temperatures
the training months span) are the test series, into which anomalies of known positions are injected (a spike, a level shift, a stuck
sensor, a noise burst, a drop, a missing daily cycle), labelled step by step. Reported per
framework: epochs run, seconds per epoch, the last val_loss, the threshold, and per step the
ROC-AUC of the scores, and precision, recall and F1 at the threshold.

    sudo apt-get install python3-vega-datasets
    ~/bench-venv/bin/python benchmarks/timeseries.py [--window 72] [--frameworks autoencoderkit,keras] [--plot Docs/images/timeseries-anomalies.png]
"""
import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, ".build", "release", "autoencoder")
SERIES = "/usr/lib/python3/dist-packages/vega_datasets/_data/seattle-temps.csv"


def read_series(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [row["date"] for row in rows], np.array([float(row["temp"]) for row in rows], dtype=np.float64)


def inject(values, rng):
    """Anomalies at fixed places of the test series (hours from its start), each labelled."""
    values = values.copy()
    labels = np.zeros(len(values), dtype=np.int64)
    def mark(start, length):
        labels[start:start + length] = 1
    values[100:103] += 18; mark(100, 3)                                   # a spike of three hours
    values[300:348] += 9; mark(300, 48)                                   # a level shift for two days
    values[600:624] = values[600]; mark(600, 24)                          # a stuck sensor for a day
    values[850:874] += rng.normal(0, 6, 24); mark(850, 24)                # a noise burst
    values[1100:1106] -= 15; mark(1100, 6)                                # a drop
    day = values[1300:1324]; values[1300:1324] = day.mean(); mark(1300, 24)  # a day without its cycle
    return values, labels


def write_csv(path, times, values, labels):
    with open(path, "w") as f:
        f.write("date,temp,anomaly\n")
        for t, v, a in zip(times, values, labels):
            f.write(f"{t},{v:.3f},{a}\n")


def step_metrics(step_scores, labels, threshold):
    from sklearn.metrics import roc_auc_score
    flagged = step_scores > threshold
    tp = int(np.sum(flagged & (labels == 1))); fp = int(np.sum(flagged & (labels == 0))); fn = int(np.sum(~flagged & (labels == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"roc_auc": roc_auc_score(labels, step_scores), "flagged": int(flagged.sum()), "precision": precision, "recall": recall, "f1": f1}


def ours(args, work, train_csv, test_csv, test_labels):
    model = os.path.join(work, "timeseries.safetensors")
    command = [BINARY, "train", "--data", train_csv, "--value-columns", "temp", "--label-column", "anomaly", "--window", str(args.window),
               "--model", "conv1d", "--epochs", "50", "--validation-split", "0.1", "--early-stopping", "5", "--score", "mae",
               "--percentile", f"{args.percentile:g}", "--seed", str(args.seed), "--threads", str(args.threads), "-o", model, "--reconstruction",
               os.path.join(work, "reconstruction.png")]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    epochs = [(float(s), float(v)) for s, v in re.findall(r"Epoch \d+/\d+\s+([\d.]+)s.*?val_loss ([\d.]+)", out)]
    scored = os.path.join(work, "steps.csv")
    score = [BINARY, "score", model, "--data", test_csv, "--json", "--threads", str(args.threads), "-o", scored]
    if args.plot:
        score += ["--plot", args.plot]
    report = json.loads(subprocess.run(score, check=True, capture_output=True, text=True).stdout)
    steps = np.loadtxt(scored, delimiter=",", skiprows=1)
    metrics = step_metrics(steps[:, 1], test_labels[steps[:, 0].astype(int)], report["calibration"]["threshold"])
    return {"framework": "AutoencoderKit", "epochs": len(epochs), "seconds": float(np.median([s for s, _ in epochs[1:]] or [epochs[0][0]])),
            "val_loss": epochs[-1][1], "threshold": report["calibration"]["threshold"], "score_seconds": report["seconds"], **metrics}


def keras_run(args, train_values, test_values, test_labels):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    mean, std = train_values.mean(), train_values.std()
    def windows(values):
        scaled = ((values - mean) / std).astype(np.float32)
        return np.stack([scaled[i:i + args.window] for i in range(len(scaled) - args.window + 1)])[..., None]
    x_train, x_test = windows(train_values), windows(test_values)
    layers = keras.layers
    model = keras.Sequential([
        layers.Input(shape=(args.window, 1)),
        layers.Conv1D(32, 7, padding="same", strides=2, activation="relu"), layers.Dropout(0.2),
        layers.Conv1D(16, 7, padding="same", strides=2, activation="relu"),
        layers.Conv1DTranspose(16, 7, padding="same", strides=2, activation="relu"), layers.Dropout(0.2),
        layers.Conv1DTranspose(32, 7, padding="same", strides=2, activation="relu"),
        layers.Conv1DTranspose(1, 7, padding="same"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")

    class Timer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None): self.seconds = []
        def on_epoch_begin(self, epoch, logs=None): self.start = time.perf_counter()
        def on_epoch_end(self, epoch, logs=None): self.seconds.append(time.perf_counter() - self.start)
    timer = Timer()
    history = model.fit(x_train, x_train, epochs=50, batch_size=128, validation_split=0.1, verbose=0,
                        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min"), timer])
    train_mae = np.mean(np.abs(model.predict(x_train, verbose=0) - x_train), axis=(1, 2))
    threshold = float(np.percentile(train_mae, args.percentile))  # 100: the largest, keras-io's
    start = time.perf_counter()
    test_mae = np.mean(np.abs(model.predict(x_test, verbose=0) - x_test), axis=(1, 2))
    score_seconds = time.perf_counter() - start
    # A step's score: the lowest of its windows' (flagged when all of them are above the threshold).
    n = len(test_values)
    step_scores = np.array([test_mae[max(0, t - args.window + 1):min(t, len(test_mae) - 1) + 1].min() for t in range(n)])
    metrics = step_metrics(step_scores, test_labels, threshold)
    return {"framework": f"Keras {keras.__version__}", "epochs": len(timer.seconds), "seconds": float(np.median(timer.seconds[1:] or timer.seconds)),
            "val_loss": float(history.history["val_loss"][-1]), "threshold": threshold, "score_seconds": score_seconds, **metrics}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=int, default=72, help="steps per window (hours; 72 = three days)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--percentile", type=float, default=100, help="the threshold's percentile of the training windows' MAE (100: keras-io's largest)")
    parser.add_argument("--frameworks", default="autoencoderkit,keras")
    parser.add_argument("--plot", help="write our score --plot figure here")
    parser.add_argument("--work", default="/tmp/aek-timeseries")
    args = parser.parse_args()
    if not os.path.exists(SERIES):
        sys.exit(f"{SERIES}: missing; sudo apt-get install python3-vega-datasets")
    os.makedirs(args.work, exist_ok=True)
    times, values = read_series(SERIES)
    cut = next(i for i, t in enumerate(times) if t.startswith("2010/09"))
    end = next(i for i, t in enumerate(times) if t.startswith("2010/11"))
    test_values, test_labels = inject(values[cut:end], np.random.default_rng(0))
    train_csv, test_csv = os.path.join(args.work, "train.csv"), os.path.join(args.work, "test.csv")
    write_csv(train_csv, times[:cut], values[:cut], np.zeros(cut, dtype=np.int64))
    write_csv(test_csv, times[cut:end], test_values, test_labels)
    print(f"Seattle hourly temperatures 2010: {cut} training steps (Jan-Aug), {len(test_values)} test steps (Sep-Oct) with "
          f"{int(test_labels.sum())} anomalous steps in 6 injected anomalies; windows of {args.window} steps, threshold the "
          f"{args.percentile:g}th percentile of the training windows' MAE, {args.threads} threads")
    results = []
    for framework in args.frameworks.split(","):
        if framework == "autoencoderkit":
            results.append(ours(args, args.work, train_csv, test_csv, test_labels))
        elif framework == "keras":
            results.append(keras_run(args, values[:cut], test_values, test_labels))
    print(f"{'framework':<18}{'epochs':>7}{'s/epoch':>9}{'val_loss':>10}{'threshold':>11}{'score s':>9}{'ROC-AUC':>9}{'flagged':>9}{'precision':>10}{'recall':>8}{'F1':>7}")
    for r in results:
        print(f"{r['framework']:<18}{r['epochs']:>7}{r['seconds']:>9.3f}{r['val_loss']:>10.4f}{r['threshold']:>11.4f}{r['score_seconds']:>9.3f}"
              f"{r['roc_auc']:>9.4f}{r['flagged']:>9}{r['precision']:>10.3f}{r['recall']:>8.3f}{r['f1']:>7.3f}")


if __name__ == "__main__":
    main()
