"""Lossless text compression: AutoencoderKit's text model against gzip -9, bzip2 -9 and xz -9.

The corpus is Debian's fortune cookies (the `fortunes` and `fortunes-min` packages: every
non-offensive fortune file in /usr/share/games/fortunes, about 2.6 MB of English). Each file's
fortunes (separated by "%" lines) are split in order: the first 90% go to train.txt, the last 10%
to test.txt, so the held-out text is from the same corpus and never seen in training. The model
(`--model text`: a byte embedding of 32, a GRU of 256 over every step, a dense layer to the next
byte's logits) trains on train.txt; test.txt is then compressed and decompressed (checked byte for
byte) with it and with each classic compressor at its strongest setting. Reported: compressed
bytes, bits per character (whole files, headers included), and compress and decompress speed in
KB/s of text (the median of `--repeats` runs).

    sudo apt-get install fortunes fortunes-min gzip bzip2 xz-utils
    swift build -c release --product autoencoder
    python3 benchmarks/text.py [--model text.safetensors] [--epochs 12] [--threads 2] [--work /tmp/text-bench]

With --model, that model is used (no training); otherwise one is trained into the work folder
(about 12 epochs of 70 s on two cores).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, ".build", "release", "autoencoder")
CORPUS = "/usr/share/games/fortunes"


def split_corpus(folder, work):
    """Every fortune file's first 90% of fortunes to train.txt, its last 10% to test.txt."""
    train, test = [], []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.endswith(".dat") or os.path.islink(path) or not os.path.isfile(path):
            continue
        parts = open(path, "rb").read().split(b"\n%\n")
        kept = len(parts) - max(1, len(parts) // 10)
        train.append(b"\n%\n".join(parts[:kept]) + b"\n%\n")
        test.append(b"\n%\n".join(parts[kept:]))
    paths = os.path.join(work, "train.txt"), os.path.join(work, "test.txt")
    for path, chunks in zip(paths, (train, test)):
        with open(path, "wb") as f:
            f.write(b"".join(chunks))
    return paths


def timed(command, **kwargs):
    start = time.perf_counter()
    result = subprocess.run(command, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - start, result


def classic(name, level_flag, test, repeats):
    data = open(test, "rb").read()
    compress, decompress = [], []
    for _ in range(repeats):
        seconds, packed = timed([name, level_flag, "-c", test])
        compress.append(seconds)
        seconds, unpacked = timed([name, "-d", "-c"], input=packed.stdout)
        decompress.append(seconds)
        assert unpacked.stdout == data, f"{name} did not round-trip"
    return len(packed.stdout), statistics.median(compress), statistics.median(decompress)


def ours(model, test, work, threads, repeats):
    data = open(test, "rb").read()
    packed, unpacked = os.path.join(work, "test.aec"), os.path.join(work, "test.out")
    compress, decompress = [], []
    for _ in range(repeats):
        seconds, _ = timed([BINARY, "compress", model, test, "-o", packed, "--threads", str(threads)])
        compress.append(seconds)
        seconds, _ = timed([BINARY, "decompress", model, packed, "-o", unpacked, "--threads", str(threads)])
        decompress.append(seconds)
        assert open(unpacked, "rb").read() == data, "AutoencoderKit did not round-trip"
    return os.path.getsize(packed), statistics.median(compress), statistics.median(decompress)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a trained text model (default: train one)")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", default="/tmp/text-bench")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    if not os.path.isdir(CORPUS):
        sys.exit(f"{CORPUS} is missing: sudo apt-get install fortunes fortunes-min")
    os.makedirs(args.work, exist_ok=True)
    train, test = split_corpus(CORPUS, args.work)
    size = os.path.getsize(test)
    print(f"corpus: {os.path.getsize(train):,} bytes of training text, {size:,} bytes held out ({test})")
    model = args.model
    if model is None:
        model = os.path.join(args.work, "text.safetensors")
        command = [BINARY, "train", "--model", "text", "--data", train, "--validation-split", "0.05", "--epochs", str(args.epochs),
                   "--learning-rate", "0.003", "--lr-schedule", "cosine", "--threads", str(args.threads), "-o", model, "--quiet"]
        print("training:", " ".join(command), flush=True)
        seconds, result = timed(command)
        print(result.stdout.decode().strip(), f"({seconds / 60:.1f} min)", flush=True)
    rows = [("AutoencoderKit (--model text)",) + ours(model, test, args.work, args.threads, args.repeats)]
    for name in ("gzip", "bzip2", "xz"):
        rows.append((f"{name} -9",) + classic(name, "-9", test, args.repeats))
    print()
    print(f"held-out text: {size:,} bytes; speeds in KB/s of text, median of {args.repeats} runs, {args.threads} threads for ours")
    print("| compressor | bytes | bits per character | compress KB/s | decompress KB/s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, packed, compress, decompress in rows:
        print(f"| {name} | {packed:,} | {packed * 8 / size:.3f} | {size / 1000 / compress:,.0f} | {size / 1000 / decompress:,.0f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([dict(zip(("compressor", "bytes", "compress_seconds", "decompress_seconds"), row)) for row in rows], f, indent=1)


if __name__ == "__main__":
    main()
