"""The one-class anomaly-detection benchmark of the deep anomaly-detection papers, on Fashion-MNIST (or any
MNIST-format folder with both splits): for each class, train on that class's training images alone, score the
whole test set, and report the ROC-AUC of telling the other nine classes from it; per class and the mean.

Beside AutoencoderKit (`train --classes C`, then `score`: its default score, the squared error of the residual
smoothed by a 1-pixel Gaussian, and the plain MSE of the same model), the simple detectors an expert tries
first, on the same data: PCA reconstruction error (scikit-learn, 32 components) and the distance to the
nearest normal training image (of the images as they are, and smoothed as our score smooths residuals);
and PyOD's AutoEncoder where PyOD is installed (`pip install pyod`), whose scoring time is compared with ours. Published figures for reference (Golan & El-Yaniv 2018, GEOM: 0.935 mean; its CAE + OC-SVM
baseline: 0.917).

    benchmarks/one_class.py [--epochs 50] [--model "--hidden 64"] [--scores smoothed,mse] [--threads 2] [--classes 0,1,...] [--skip-baselines]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from common import FASHION_MNIST, read_idx

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, ".build", "release", "autoencoder")
# The scores compared, as `score` options: "smoothed" is the default (MSE of the residual smoothed by 1 px).
SCORES = {"smoothed": [], "mse": ["--score", "mse", "--smoothing", "0"]}
NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def ours(label, args, work):
    model = os.path.join(work, f"class{label}.safetensors")
    train = [BINARY, "train", "--data", args.data, "--classes", str(label), "--epochs", str(args.epochs), "--seed", "0",
             "--threads", str(args.threads), "--no-reconstruction", "-q", "-o", model] + args.model.split()
    subprocess.run(train, check=True, capture_output=True, text=True)
    reports = []
    for name in args.scores.split(","):
        out = subprocess.run([BINARY, "score", model, "--data", args.data, "--json", "--threads", str(args.threads)] + SCORES.get(name, ["--score", name]),
                             check=True, capture_output=True, text=True).stdout
        reports.append(json.loads(out))
    return [report["roc_auc"] for report in reports], reports[0]["seconds"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=FASHION_MNIST)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--model", default="--hidden 64", help="AutoencoderKit's model options")
    parser.add_argument("--scores", default="smoothed,mse", help="our scores, the first timed: smoothed, mse, mae, ssim, loss, elbo, nll")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--classes", default=",".join(map(str, range(10))))
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--work", default="/tmp/aek-one-class")
    args = parser.parse_args()
    for name in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]:
        os.environ[name] = str(args.threads)
    os.makedirs(args.work, exist_ok=True)
    train_x = read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255
    train_y = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))
    test_x = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255
    test_y = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"))
    from sklearn.decomposition import PCA
    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import NearestNeighbors
    try:
        from pyod.models.auto_encoder import AutoEncoder as PyODAutoEncoder
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        PyODAutoEncoder = None

    from scipy.ndimage import gaussian_filter

    def smoothed(x):  # as the score smooths residuals: a Gaussian of 1 pixel, zero outside, 3 sigma
        return gaussian_filter(x.reshape(-1, 28, 28), (0, 1, 1), mode="constant", truncate=3).reshape(len(x), -1)

    columns = [f"ours, {name}" for name in args.scores.split(",")] + ([] if args.skip_baselines else ["PCA-32", "nearest normal", "nearest, smoothed"]) \
        + (["PyOD AutoEncoder"] if PyODAutoEncoder and not args.skip_baselines else [])
    print(f"One-class ROC-AUC on {os.path.basename(args.data)}: train on one class, score the {len(test_x):,} test images; "
          f"ours: {args.model}, {args.epochs} epochs, scores {args.scores}")
    print(f"{'class':<14}" + "".join(f"{c:>19}" for c in columns))
    results, timings = [], []
    for label in map(int, args.classes.split(",")):
        anomalous = test_y != label
        row = []
        aucs, seconds = ours(label, args, args.work)
        row += aucs
        timings.append(("AutoencoderKit score", seconds))
        if not args.skip_baselines:
            normal = train_x[train_y == label]
            pca = PCA(n_components=32, random_state=0).fit(normal)
            reconstructed = pca.inverse_transform(pca.transform(test_x))
            row.append(roc_auc_score(anomalous, ((test_x - reconstructed) ** 2).mean(axis=1)))
            distances, _ = NearestNeighbors(n_neighbors=1, n_jobs=args.threads).fit(normal).kneighbors(test_x)
            row.append(roc_auc_score(anomalous, distances[:, 0]))
            if "fashion" in args.data or "mnist" in args.data:
                distances, _ = NearestNeighbors(n_neighbors=1, n_jobs=args.threads).fit(smoothed(normal)).kneighbors(smoothed(test_x))
                row.append(roc_auc_score(anomalous, distances[:, 0]))
            else:
                row.append(float("nan"))
            if PyODAutoEncoder:
                detector = PyODAutoEncoder(hidden_neuron_list=[64], epoch_num=args.epochs, batch_size=256, verbose=0, random_state=0)
                detector.fit(normal)
                start = time.perf_counter()
                scores = detector.decision_function(test_x)
                timings.append(("PyOD decision_function", time.perf_counter() - start))
                row.append(roc_auc_score(anomalous, scores))
        results.append(row)
        print(f"{label} {NAMES[label] if 'fashion' in args.data else label:<12}" + "".join(f"{v:19.4f}" for v in row), flush=True)
    means = np.mean(np.array(results), axis=0)
    print(f"{'mean':<14}" + "".join(f"{v:19.4f}" for v in means))
    ours_time = np.mean([t for name, t in timings if name.startswith("AutoencoderKit")])
    print(f"ours: {args.model}, {args.epochs} epochs; 'smoothed' is its default score (MSE of the residual smoothed by 1 px), 'mse' the plain one")
    print(f"\nScoring the {len(test_x):,} test images, mean per class: AutoencoderKit {ours_time:.4f} s (the model over the images, as `score --json` reports it)")
    pyod = [t for name, t in timings if name.startswith("PyOD")]
    if pyod:
        print(f"PyOD AutoEncoder.decision_function: {np.mean(pyod):.3f} s ({np.mean(pyod) / ours_time:.1f}x ours)")
    print("Published: GEOM (Golan & El-Yaniv 2018) 0.935 mean; its CAE + OC-SVM baseline 0.917")


if __name__ == "__main__":
    sys.exit(main())
