"""PyTorch (CPU) training the same variational autoencoders as `autoencoder train --model vae`,
`vae-pytorch` and `conv-vae`, in the tight loop of torch_loop.py: data preloaded, a shuffled index
per epoch, no DataLoader; Glorot-uniform weights and zero biases (Keras's), Adam(lr 1e-3, eps 1e-7).

The loss is PyTorch's `vae` example's, per image: binary cross-entropy summed over the pixels
(on logits) plus the KL divergence of q(z|x) from N(0, I) in closed form, averaged over the batch
(the example sums over the batch; Adam's steps are the same either way but for epsilon). The
validation loss is the same on the test split, one latent sample per image.

--nll K also estimates the test negative log-likelihood with K importance samples per image (the
importance-weighted bound, as `autoencoder evaluate --importance-samples K`). Prints one JSON line.
"""
import math
import time

import common
import torch

F = torch.nn.functional


def glorot(layer):
    torch.nn.init.xavier_uniform_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    return layer


class DenseVAE(torch.nn.Module):
    def __init__(self, hidden, latent):
        super().__init__()
        sizes = [784] + hidden
        self.encoder = torch.nn.Sequential(*[m for a, b in zip(sizes, sizes[1:]) for m in (glorot(torch.nn.Linear(a, b)), torch.nn.ReLU())])
        self.mean = glorot(torch.nn.Linear(sizes[-1], latent))
        self.log_variance = glorot(torch.nn.Linear(sizes[-1], latent))
        up = [latent] + hidden[::-1]
        layers = [m for a, b in zip(up, up[1:]) for m in (glorot(torch.nn.Linear(a, b)), torch.nn.ReLU())]
        self.decoder = torch.nn.Sequential(*layers, glorot(torch.nn.Linear(up[-1], 784)))  # logits

    def encode(self, x):
        h = self.encoder(x)
        return self.mean(h), self.log_variance(h)

    def decode(self, z):
        return self.decoder(z)


class ConvVAE(torch.nn.Module):
    """keras-io's convolutional VAE, NCHW; 'same' stride-2 convolutions pad as TensorFlow does
    (the extra row and column at the bottom and right)."""

    def __init__(self, latent):
        super().__init__()
        self.conv1, self.conv2 = glorot(torch.nn.Conv2d(1, 32, 3, stride=2)), glorot(torch.nn.Conv2d(32, 64, 3, stride=2))
        self.dense = glorot(torch.nn.Linear(7 * 7 * 64, 16))
        self.mean, self.log_variance = glorot(torch.nn.Linear(16, latent)), glorot(torch.nn.Linear(16, latent))
        self.up = glorot(torch.nn.Linear(latent, 7 * 7 * 64))
        self.deconv1 = glorot(torch.nn.ConvTranspose2d(64, 64, 3, stride=2, padding=1, output_padding=1))
        self.deconv2 = glorot(torch.nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1))
        self.deconv3 = glorot(torch.nn.ConvTranspose2d(32, 1, 3, stride=1, padding=1))

    def encode(self, x):
        h = F.relu(self.conv1(F.pad(x, (0, 1, 0, 1))))
        h = F.relu(self.conv2(F.pad(h, (0, 1, 0, 1))))
        # Flatten in Keras's NHWC order, so the dense layer sees the same layout.
        h = F.relu(self.dense(h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)))
        return self.mean(h), self.log_variance(h)

    def decode(self, z):
        h = F.relu(self.up(z)).reshape(-1, 7, 7, 64).permute(0, 3, 1, 2)
        h = F.relu(self.deconv1(h))
        h = F.relu(self.deconv2(h))
        return self.deconv3(h).reshape(z.shape[0], -1)  # logits, 784 per image


def terms(model, x):
    """The batch's mean reconstruction (BCE summed per image) and KL terms, one sample each."""
    mean, log_variance = model.encode(x)
    z = mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
    logits = model.decode(z)
    reconstruction = F.binary_cross_entropy_with_logits(logits, x.reshape(x.shape[0], -1), reduction="sum") / x.shape[0]
    kl = -0.5 * torch.sum(1 + log_variance - mean.pow(2) - log_variance.exp()) / x.shape[0]
    return reconstruction, kl


def validation(model, test, chunk=1000):
    totals = [0.0, 0.0]
    with torch.no_grad():
        for begin in range(0, test.shape[0], chunk):
            batch = test[begin:begin + chunk]
            reconstruction, kl = terms(model, batch)
            totals[0] += float(reconstruction) * batch.shape[0]
            totals[1] += float(kl) * batch.shape[0]
    return [t / test.shape[0] for t in totals]


def negative_log_likelihood(model, test, samples, rows=8192):
    """Mean -log p(x) over `test` by the importance-weighted bound with `samples` draws per image."""
    total = 0.0
    per_batch = max(1, rows // samples)
    with torch.no_grad():
        for begin in range(0, test.shape[0], per_batch):
            x = test[begin:begin + per_batch]
            n = x.shape[0]
            mean, log_variance = model.encode(x)
            eps = torch.randn(n, samples, mean.shape[1])
            z = mean[:, None, :] + torch.exp(0.5 * log_variance)[:, None, :] * eps
            logits = model.decode(z.reshape(n * samples, -1))
            targets = x.reshape(n, 1, -1).expand(n, samples, 784).reshape(n * samples, 784)
            log_likelihood = -F.binary_cross_entropy_with_logits(logits, targets, reduction="none").sum(1).reshape(n, samples)
            log_prior = -0.5 * z.pow(2).sum(2)
            log_posterior = -0.5 * (eps.pow(2) + log_variance[:, None, :]).sum(2)
            log_weights = (log_likelihood + log_prior - log_posterior).double()
            total -= float((torch.logsumexp(log_weights, 1) - math.log(samples)).sum())
    return total / test.shape[0]


def main():
    args = common.arguments(__doc__, "vae", add=lambda p: p.add_argument("--nll", type=int, default=0, metavar="K",
                                                                         help="estimate the test NLL with K importance samples"))
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    hidden, latent = common.VAE_PRESETS[args.model]
    layout = "nchw" if hidden is None else "flat"
    x = torch.from_numpy(common.load(args.data, "train", layout=layout, limit=args.limit))
    test = torch.from_numpy(common.load(args.data, "test", layout=layout)) if args.quality or args.nll else None
    model = DenseVAE(hidden, latent) if hidden is not None else ConvVAE(latent)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    n = x.shape[0]
    epochs = args.epochs if args.quality else args.epochs + 1
    seconds, history = [], []
    for epoch in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(n)
        total = 0.0
        for begin in range(0, n, args.batch_size):
            batch = x[order[begin:begin + args.batch_size]]
            optimizer.zero_grad(set_to_none=True)
            reconstruction, kl = terms(model, batch)
            loss = reconstruction + kl
            loss.backward()
            optimizer.step()
            total += loss.item() * batch.shape[0]
        seconds.append(time.perf_counter() - start)
        if args.quality:
            val_reconstruction, val_kl = validation(model, test)
            history.append({"epoch": epoch + 1, "loss": total / n, "val_loss": val_reconstruction + val_kl,
                            "val_reconstruction": val_reconstruction, "val_kl": val_kl})
    timed = seconds if args.quality else seconds[1:]
    extra = {"parameters": sum(p.numel() for p in model.parameters())}
    if args.quality:
        extra["history"] = history
    if args.nll:
        extra["nll"] = negative_log_likelihood(model, test, args.nll)
        extra["nll_samples"] = args.nll
    common.report(f"PyTorch {torch.__version__}", args, timed, n, total / n, extra)


if __name__ == "__main__":
    main()
