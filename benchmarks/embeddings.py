"""What codes are for, side by side: AutoencoderKit's t-SNE, k-NN and linear probe against scikit-learn's
(and openTSNE's, where installed) on the same codes, on this machine and the same threads.

Trains nothing: give it a model file (the README's: `autoencoder train --model deep -o deep.safetensors`).
It writes the test split's codes with `autoencoder encode`, maps them with `autoencoder embed --projection tsne`,
then runs scikit-learn's TSNE (Barnes-Hut, PCA initialization, perplexity 30, 1000 iterations, as ours) and
openTSNE's on the same codes, and scores every map with scikit-learn's trustworthiness (k = 10). It also checks
`embed --knn 5`'s accuracies with scikit-learn's KNeighborsClassifier and LogisticRegression.

    benchmarks/embeddings.py deep.safetensors [--threads 2] [--work /tmp/aek-embeddings]
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


def run(arguments):
    return subprocess.run([BINARY] + arguments, check=True, capture_output=True, text=True).stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", default="/tmp/aek-embeddings")
    parser.add_argument("--skip-separation", action="store_true")
    args = parser.parse_args()
    threads = str(args.threads)
    for name in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]:
        os.environ[name] = threads
    os.makedirs(args.work, exist_ok=True)
    codes_path = os.path.join(args.work, "codes.npy")
    train_codes_path = os.path.join(args.work, "train-codes.npy")
    ours_map = os.path.join(args.work, "ours-tsne.npy")
    run(["encode", args.model, "-o", codes_path, "--threads", threads])
    codes = np.load(codes_path)
    labels = read_idx(os.path.join(FASHION_MNIST, "t10k-labels-idx1-ubyte.gz"))

    from sklearn.manifold import TSNE, trustworthiness
    rows = []
    start = time.perf_counter()
    run(["embed", args.model, "--projection", "tsne", "-o", ours_map, "--threads", threads])
    rows.append(("AutoencoderKit (Barnes-Hut)", time.perf_counter() - start, np.load(ours_map)))
    start = time.perf_counter()
    sklearn_map = TSNE(n_components=2, perplexity=30, max_iter=1000, init="pca", method="barnes_hut", angle=0.5,
                       random_state=0, n_jobs=args.threads).fit_transform(codes)
    rows.append(("scikit-learn TSNE (Barnes-Hut)", time.perf_counter() - start, sklearn_map))
    try:
        import openTSNE
        start = time.perf_counter()
        open_map = np.asarray(openTSNE.TSNE(perplexity=30, n_iter=750, early_exaggeration_iter=250, initialization="pca",
                                            n_jobs=args.threads, random_state=0).fit(codes))
        rows.append(("openTSNE (FFT-interpolated)", time.perf_counter() - start, open_map))
    except ImportError:
        pass
    ours_seconds = rows[0][1]
    print(f"t-SNE of the {len(codes):,} test codes ({codes.shape[1]} values) of {os.path.basename(args.model)}, {args.threads} threads")
    print(f"{'':34} {'seconds':>8} {'vs ours':>8} {'trustworthiness k=10':>22}")
    for name, seconds, embedding in rows:
        trust = trustworthiness(codes, embedding, n_neighbors=10)
        print(f"{name:34} {seconds:8.1f} {seconds / ours_seconds:7.2f}x {trust:22.4f}")

    if args.skip_separation:
        return
    run(["encode", args.model, "--split", "train", "-o", train_codes_path, "--threads", threads])
    train_codes = np.load(train_codes_path)
    train_labels = read_idx(os.path.join(FASHION_MNIST, "train-labels-idx1-ubyte.gz"))
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler
    ours = json.loads(run(["embed", args.model, "--knn", "5", "--json", "--threads", threads]))
    knn = KNeighborsClassifier(n_neighbors=5, n_jobs=args.threads).fit(train_codes, train_labels).score(codes, labels)
    scaler = StandardScaler().fit(train_codes)
    probe = LogisticRegression(max_iter=1000).fit(scaler.transform(train_codes), train_labels).score(scaler.transform(codes), labels)
    print()
    print(f"Separation of the codes (train codes against test codes)   AutoencoderKit   scikit-learn")
    print(f"  5-NN accuracy                                            {ours['knn_accuracy']:14.4f} {knn:14.4f}")
    print(f"  linear probe accuracy (standardized, C = 1)              {ours['probe_accuracy']:14.4f} {probe:14.4f}")


if __name__ == "__main__":
    sys.exit(main())
