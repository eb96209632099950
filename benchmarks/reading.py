"""Reading your own data: AutoencoderKit against pandas.read_csv and Keras's image_dataset_from_directory.

Makes the inputs from Fashion-MNIST (a 60,000-row, 784-column CSV of its training images with a label
column; a folder of its 10,000 test images as PNG files in a subfolder per class), then times, in one
run on the same threads:
  - pandas.read_csv (C engine) against `autoencoder benchmark --read data.csv`;
  - keras.utils.image_dataset_from_directory materialized to arrays against `autoencoder benchmark --read folder`.

    benchmarks/reading.py [--threads 2] [--work /tmp/aek-reading]
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

from common import FASHION_MNIST, read_idx

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_inputs(work):
    os.makedirs(work, exist_ok=True)
    csv_path = os.path.join(work, "fashion-train.csv")
    folder = os.path.join(work, "fashion-test-png")
    if not os.path.exists(csv_path):
        images = read_idx(os.path.join(FASHION_MNIST, "train-images-idx3-ubyte.gz")).reshape(-1, 784)
        labels = read_idx(os.path.join(FASHION_MNIST, "train-labels-idx1-ubyte.gz"))
        header = ",".join(["label"] + [f"pixel{i}" for i in range(784)])
        table = np.concatenate([labels[:, None], images], axis=1)
        np.savetxt(csv_path + ".tmp", table, fmt="%d", delimiter=",", header=header, comments="")
        os.replace(csv_path + ".tmp", csv_path)
    if not os.path.exists(folder):
        from PIL import Image
        images = read_idx(os.path.join(FASHION_MNIST, "t10k-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(FASHION_MNIST, "t10k-labels-idx1-ubyte.gz"))
        names = ["0-tshirt", "1-trouser", "2-pullover", "3-dress", "4-coat", "5-sandal", "6-shirt", "7-sneaker", "8-bag", "9-boot"]
        staging = folder + ".tmp"
        for name in names:
            os.makedirs(os.path.join(staging, name), exist_ok=True)
        for index, (image, label) in enumerate(zip(images, labels)):
            Image.fromarray(image).save(os.path.join(staging, names[label], f"{index:05d}.png"))
        os.replace(staging, folder)
    return csv_path, folder


def best_of(runs, body):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return min(times)


def ours(path, threads, runs):
    binary = os.path.join(REPO, ".build", "release", "autoencoder")
    out = subprocess.run([binary, "benchmark", "--read", path, "--threads", str(threads), "--runs", str(runs)],
                         check=True, capture_output=True, text=True).stdout
    # The last line is "seconds: S"
    return float(out.strip().splitlines()[-1].split()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default="/tmp/aek-reading")
    args = parser.parse_args()
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(args.threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(args.threads)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    csv_path, folder = make_inputs(args.work)

    import pandas as pd
    frame = pd.read_csv(csv_path, engine="c")
    assert frame.shape == (60000, 785), frame.shape
    pandas_time = best_of(args.runs, lambda: pd.read_csv(csv_path, engine="c").to_numpy(np.float32))
    ours_csv = ours(csv_path, args.threads, args.runs)

    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)

    def keras_folder():
        dataset = tf.keras.utils.image_dataset_from_directory(folder, color_mode="grayscale", image_size=(28, 28), batch_size=1024,
                                                              shuffle=False, verbose=False)
        images = np.concatenate([x.numpy() for x, _ in dataset])
        assert images.shape == (10000, 28, 28, 1), images.shape

    keras_time = best_of(args.runs, keras_folder)
    ours_folder = ours(folder, args.threads, args.runs)

    print(f"Reading, best of {args.runs} runs, {args.threads} threads")
    print(f"{'input':<42} {'reader':<38} {'seconds':>8} {'vs ours':>8}")
    rows = [("CSV 60,000 x 785 (" + f"{os.path.getsize(csv_path) / 1e6:.0f} MB)", "pandas.read_csv (C engine) + to_numpy", pandas_time, ours_csv),
            ("CSV 60,000 x 785", "AutoencoderKit", ours_csv, ours_csv),
            ("PNG folder, 10,000 28x28 in 10 classes", "keras image_dataset_from_directory", keras_time, ours_folder),
            ("PNG folder, 10,000 28x28 in 10 classes", "AutoencoderKit", ours_folder, ours_folder)]
    for name, reader, seconds, reference in rows:
        print(f"{name:<42} {reader:<38} {seconds:8.3f} {seconds / reference:7.2f}x")


if __name__ == "__main__":
    sys.exit(main())
