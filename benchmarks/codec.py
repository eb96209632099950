"""Image compression, rate against distortion, on the Fashion-MNIST test set (10,000 images of 28x28):
AutoencoderKit's rate-trained codec (`train --model codec --lambda L` for each L, which ends by fitting its context
tables, then `compress --report`; a codec in --work from before context tables gets them from `fit-tables`), the
baseline path (a dense 784-64-784 autoencoder's codes quantized to B bits and entropy-coded), and the codecs people
use, through Pillow: JPEG (libjpeg-turbo, optimized Huffman tables) and WebP (lossy, method 6), qualities 5 to 95;
PNG and xz for reference.

Two ways, as the issue asks. Payloads: ours is one .aec file for all 10,000 images (its header amortized); JPEG's
is each file's entropy-coded data alone (the bytes between its SOS header and EOI: tables and headers stripped),
WebP's each VP8 frame's data (the RIFF, chunk and frame headers stripped). One file per image: every codec's whole
files; ours on the first --sample test images, each compressed alone by the CLI with --strip (no model or image
name in the file, as JPEG and WebP files hold none; their mean file size; their PSNR and SSIM are the whole set's,
the same decoder on the same images). Rates are bits per pixel of real bytes, never a
model's estimate (the estimate is printed beside the file's). PSNR is the mean of each image's (peak 1), SSIM the
mean of each image's (11x11 Gaussian window of 1.5, as `ImageQuality.ssim`; the script checks its figures against
the tool's on our decoded images).

Writes <work>/points.csv (codec, bits_per_pixel, psnr, ssim, encode/decode images per second), draws
<work>/rate-distortion.png with `autoencoder rate-distortion`, prints the Bjontegaard delta rates of our one-file
codec against JPEG's payloads and of our per-image files against WebP's (over the range both cover, and over 22 to 32 dB
in PSNR, the issue's), and writes a strip of the first 10 test
images at matched rates (<work>/strip.png: original, ours, JPEG and WebP at the nearest payload rates).

    benchmarks/codec.py [--epochs 30] [--lambdas 0.0002,...,0.02] [--bits 3,4,5,6,8] [--sample 200] [--work /tmp/aek-codec]
                        [--filters 64 --lr-schedule step:16:0.1]

--filters N trains the preset's layers with N filters in place of 32 (as the spec string `codec_spec(N)` writes them);
--lr-schedule passes a learning-rate schedule to `train`.
"""
import argparse
import csv
import io
import json
import lzma
import os
import subprocess
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from common import FASHION_MNIST, read_idx

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, ".build", "release", "autoencoder")


def gaussian_ssim(a, b):
    """Mean SSIM of each pair of images (n x h x w in [0, 1]), as ImageQuality.ssim: 11x11 Gaussian window of 1.5
    at every position where it fits, K1 0.01, K2 0.03, range 1."""
    size, sigma = 11, 1.5
    x = np.arange(size) - (size - 1) / 2
    g = np.exp(-x * x / (2 * sigma * sigma))
    w = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    out = []
    for start in range(0, len(a), 500):
        pa = np.lib.stride_tricks.sliding_window_view(a[start:start + 500].astype(np.float64), (size, size), axis=(1, 2))
        pb = np.lib.stride_tricks.sliding_window_view(b[start:start + 500].astype(np.float64), (size, size), axis=(1, 2))
        mu_a, mu_b = (pa * w).sum((-1, -2)), (pb * w).sum((-1, -2))
        var_a = (pa * pa * w).sum((-1, -2)) - mu_a ** 2
        var_b = (pb * pb * w).sum((-1, -2)) - mu_b ** 2
        cov = (pa * pb * w).sum((-1, -2)) - mu_a * mu_b
        s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
        out.append(s.mean((1, 2)))
    return np.concatenate(out)


def quality(decoded, images):
    """Mean PSNR (per image, capped at 100 dB) and mean SSIM of decoded uint8 images against the originals."""
    a, b = decoded.astype(np.float64) / 255, images.astype(np.float64) / 255
    mse = ((a - b) ** 2).mean((1, 2))
    psnr = np.where(mse > 0, np.minimum(100, 10 * np.log10(1 / np.maximum(mse, 1e-30))), 100)
    return float(psnr.mean()), float(gaussian_ssim(a, b).mean())


def tiled(images, columns=100):
    n, h, w = images.shape
    rows = n // columns
    return images[:rows * columns].reshape(rows, columns, h, w).transpose(0, 2, 1, 3).reshape(rows * h, columns * w)


def untiled(mosaic, h=28, w=28, columns=100):
    rows = mosaic.shape[0] // h
    return mosaic.reshape(rows, h, columns, w).transpose(0, 2, 1, 3).reshape(rows * columns, h, w)


def jpeg_payload(blob):
    """The entropy-coded bytes of a baseline JPEG: after the SOS segment's header, before EOI."""
    position = 2
    while position < len(blob):
        marker, length = blob[position + 1], int.from_bytes(blob[position + 2:position + 4], "big")
        if marker == 0xDA:  # SOS: its header, then the scan's data up to EOI
            return len(blob) - (position + 2 + length) - 2
        position += 2 + length
    raise ValueError("no SOS segment")


def webp_payload(blob):
    """The VP8 frame data of a lossy WebP: the file less its RIFF (12 bytes), chunk (8) and frame (10) headers."""
    assert blob[12:16] == b"VP8 ", blob[12:16]
    return len(blob) - 30


def pillow(images, fmt, q):
    """Whole-file bytes, payload bytes and decoded images of each image through Pillow at quality q, one file each."""
    options = {"quality": q, "optimize": True} if fmt == "JPEG" else {"quality": q, "method": 6}
    start = time.perf_counter()
    blobs = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, fmt, **options)
        blobs.append(buffer.getvalue())
    encode = time.perf_counter() - start
    start = time.perf_counter()
    decoded = np.stack([np.asarray(Image.open(io.BytesIO(blob)).convert("L")) for blob in blobs])
    decode = time.perf_counter() - start
    payload = jpeg_payload if fmt == "JPEG" else webp_payload
    return sum(map(len, blobs)), sum(map(payload, blobs)), decoded, len(images) / encode, len(images) / decode


def ours(model, args, extra, images):
    output = os.path.join(args.work, os.path.basename(model).replace(".safetensors", ".aec"))
    report = json.loads(subprocess.run([BINARY, "compress", model, args.data, "--report", "--json", "--threads", str(args.threads), "-o", output]
                                       + extra, check=True, capture_output=True, text=True).stdout)
    folder = output.replace(".aec", "-idx3-ubyte")
    subprocess.run([BINARY, "decompress", model, output, "-o", folder, "--threads", str(args.threads)], check=True, capture_output=True)
    decoded = read_idx(folder)
    psnr, ssim = quality(decoded, images)
    assert abs(ssim - report["ssim"]) < 1e-4 and abs(psnr - report["psnr"]) < 1e-3, (psnr, ssim, report)  # the same measures
    return report, decoded


def codec_spec(filters):
    """The codec preset's layers (`--model codec`) with `filters` filters."""
    return (f"conv {filters} 5 stride 2, gdn, conv {filters} 5 stride 2, gdn, conv 16 3, bottleneck | "
            f"convt {filters} 3, igdn, convt {filters} 5 stride 2, igdn, convt 1 5 stride 2 sigmoid")


def codec_options(args):
    """`train`'s options for a codec of --filters filters (the preset's loss and batch size with a spec)."""
    model = ["--model", "codec"] if args.filters == 32 else ["--architecture", codec_spec(args.filters), "--loss", "mse", "--batch-size", "128"]
    return model + (["--lr-schedule", args.lr_schedule] if args.lr_schedule else [])


def metadata(path):
    """A safetensors file's metadata."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(size)).get("__metadata__", {})


def train(path, options, args, codec=True):
    """Trains the model unless --work holds it; a codec trained before context tables gets them fitted (`fit-tables`)."""
    if os.path.exists(path) and not args.retrain:
        if codec and "context_tables" not in metadata(path):
            subprocess.run([BINARY, "fit-tables", path, "--data", args.data, "--threads", str(args.threads)], check=True, capture_output=True)
        return
    subprocess.run([BINARY, "train", "--data", args.data, "--epochs", str(args.epochs), "--seed", "0", "--threads", str(args.threads),
                    "--no-reconstruction", "-q", "-o", path] + options, check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=FASHION_MNIST)
    parser.add_argument("--epochs", type=int, default=30, help="epochs per codec (and for the baseline's dense model)")
    parser.add_argument("--lambdas", default="0.0002,0.0005,0.001,0.0025,0.01,0.02")
    parser.add_argument("--bits", default="3,4,5,6,8", help="the baseline's quantization depths")
    parser.add_argument("--jpeg", default="5,10,20,35,50,75,90,95")
    parser.add_argument("--webp", default="5,10,20,35,50,75,90,95")
    parser.add_argument("--sample", type=int, default=200, help="test images compressed one file each by our CLI")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", default="/tmp/aek-codec")
    parser.add_argument("--retrain", action="store_true", help="train again even where a model file exists in --work")
    parser.add_argument("--filters", type=int, default=32, help="the codec's filters per layer (the preset's 32)")
    parser.add_argument("--lr-schedule", default="", help="a learning-rate schedule for the codecs, as train's --lr-schedule")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    images = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))
    rows, decoded_by = [], {}

    def add(codec, bpp, psnr, ssim, enc, dec, setting):
        rows.append({"codec": codec, "bits_per_pixel": bpp, "psnr": psnr, "ssim": ssim,
                     "encode_images_per_second": 0 if enc != enc else enc, "decode_images_per_second": 0 if dec != dec else dec})
        print(f"{codec:24s} {setting:>12s} {bpp:8.4f} bpp  PSNR {psnr:6.2f} dB  SSIM {ssim:.4f}  encode {enc:9.0f}/s  decode {dec:9.0f}/s", flush=True)

    sample = os.path.join(args.work, "sample")
    if not os.path.isdir(sample):  # the first --sample test images as PNG files, to compress one by one
        os.makedirs(sample)
        for index in range(args.sample):
            Image.fromarray(images[index]).save(os.path.join(sample, f"{index:05d}.png"))

    def per_image_bytes(model):
        """Mean bytes of one .aec file per image over the sample, each made by its own `compress --strip` call."""
        sizes = []
        for index in range(args.sample):
            output = os.path.join(args.work, "single.aec")
            subprocess.run([BINARY, "compress", model, os.path.join(sample, f"{index:05d}.png"), "--strip", "--threads", "1", "-o", output],
                           check=True, capture_output=True)
            sizes.append(os.path.getsize(output))
        return float(np.mean(sizes))

    for lam in args.lambdas.split(","):
        model = os.path.join(args.work, f"codec-{lam}.safetensors")
        train(model, codec_options(args) + ["--lambda", lam], args)
        report, decoded = ours(model, args, [], images)
        decoded_by[("ours", report["bits_per_pixel"])] = decoded
        add("autoencoderkit codec", report["bits_per_pixel"], report["psnr"], report["ssim"], report["encode_images_per_second"],
            report["decode_images_per_second"], f"λ {lam}")
        print(f"{'':24s} {'':>12s} payload {report['payload_bits_per_pixel']:.4f} bpp, the codec's estimate "
              f"{report['estimated_bits_per_pixel']:.4f} ({100 * (report['payload_bits_per_pixel'] / report['estimated_bits_per_pixel'] - 1):+.2f}%"
              f"{', under its context tables' if report.get('context_tables') else ''})")
        single = per_image_bytes(model)
        add("autoencoderkit codec (file per image)", single * 8 / 784, report["psnr"], report["ssim"], float("nan"), float("nan"),
            f"λ {lam}")
    dense = os.path.join(args.work, "dense.safetensors")
    train(dense, [], args, codec=False)
    for bits in args.bits.split(","):
        report, _ = ours(dense, args, ["--bits", bits], images)
        add("dense + quantization", report["bits_per_pixel"], report["psnr"], report["ssim"], report["encode_images_per_second"],
            report["decode_images_per_second"], f"{bits} bits")
    for fmt, name, qualities in [("JPEG", "jpeg", args.jpeg), ("WEBP", "webp", args.webp)]:
        for q in map(int, qualities.split(",")):
            size, payload, decoded, enc, dec = pillow(images, fmt, q)
            psnr, ssim = quality(decoded, images)
            decoded_by[(name, payload * 8 / images.size)] = decoded
            add(f"{name} (payload)", payload * 8 / images.size, psnr, ssim, enc, dec, f"q {q}")
            add(f"{name} (file per image)", size * 8 / images.size, psnr, ssim, enc, dec, f"q {q}")
    references = []
    png = 0
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "PNG", optimize=True)
        png += len(buffer.getvalue())
    references.append(("PNG, one file per image (lossless)", png * 8 / images.size))
    references.append(("xz -9 of all the pixels (lossless)", len(lzma.compress(images.tobytes(), preset=9)) * 8 / images.size))
    for name, bpp in references:
        print(f"{name:40s} {bpp:8.4f} bpp")

    points = os.path.join(args.work, "points.csv")
    with open(points, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    figure = os.path.join(args.work, "rate-distortion.png")
    for anchor in ["jpeg (payload)", "webp (file per image)"]:
        # Over the whole range both curves cover, then over the 22 to 32 dB.
        for window in [[], ["--psnr-range", "22:32"]]:
            result = subprocess.run([BINARY, "rate-distortion", points, "--anchor", anchor, "-o", figure] + window, check=True, capture_output=True,
                                    text=True)
            print(result.stdout, end="")

    # The first 10 test images at matched rates: our middle codec (its whole file), and JPEG and WebP at the payload
    # rates nearest it (per-image JPEG files cannot go that low: their headers alone are 3.5 bpp).
    ours_rates = sorted(rate for codec, rate in decoded_by if codec == "ours")
    target = ours_rates[len(ours_rates) // 2]
    strip_rows = [("original", images[:10])]
    for codec in ["ours", "jpeg", "webp"]:
        rate = min((r for c, r in decoded_by if c == codec), key=lambda r: abs(r - target))
        label = {"ours": "AutoencoderKit codec", "jpeg": "JPEG payload", "webp": "WebP payload"}[codec]
        strip_rows.append((f"{label}, {rate:.2f} bpp", decoded_by[(codec, rate)][:10]))
    scale, label_width = 3, 230
    strip = Image.new("L", (label_width + 10 * 28 * scale, len(strip_rows) * 28 * scale), 255)
    draw = ImageDraw.Draw(strip)
    try:
        font = ImageFont.load_default(size=17)
    except TypeError:  # Pillow before 10.1
        font = ImageFont.load_default()
    for row, (label, tiles) in enumerate(strip_rows):
        for line, text in enumerate(label.split(", ")):
            draw.text((8, row * 28 * scale + 22 + 22 * line), text, fill=0, font=font)
        for column, tile in enumerate(tiles):
            strip.paste(Image.fromarray(tile).resize((28 * scale, 28 * scale), Image.NEAREST), (label_width + column * 28 * scale, row * 28 * scale))
    strip.save(os.path.join(args.work, "strip.png"))
    print(f"Wrote {points}, {figure} and {os.path.join(args.work, 'strip.png')}")


if __name__ == "__main__":
    main()
