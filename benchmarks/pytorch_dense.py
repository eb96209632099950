"""PyTorch (CPU) training the same dense autoencoder as `autoencoder benchmark`, in a tight loop:
data preloaded as one tensor, a shuffled index per epoch, no DataLoader. Keras's settings:
Glorot-uniform weights, zero biases, Adam(lr 1e-3, eps 1e-7), binary cross-entropy on logits.
Prints one JSON line."""
import time

import common
import numpy as np
import torch


def build(model):
    sizes = common.layer_sizes(model)
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        linear = torch.nn.Linear(fan_in, fan_out)
        torch.nn.init.xavier_uniform_(linear.weight)
        torch.nn.init.zeros_(linear.bias)
        layers.append(linear)
        if index < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)  # outputs logits; the loss applies the sigmoid


def main():
    args = common.arguments(__doc__, "dense")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x = torch.from_numpy(common.load(args.data, "train", limit=args.limit))
    test = torch.from_numpy(common.load(args.data, "test")) if args.quality else None
    model = build(args.model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_function = torch.nn.BCEWithLogitsLoss()
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
            loss = loss_function(model(batch), batch)
            loss.backward()
            optimizer.step()
            total += loss.item() * batch.shape[0]
        seconds.append(time.perf_counter() - start)
        if args.quality:
            with torch.no_grad():
                val = float(loss_function(model(test), test))
            history.append({"epoch": epoch + 1, "loss": total / n, "val_loss": val})
    timed = seconds if args.quality else seconds[1:]
    extra = {"parameters": sum(p.numel() for p in model.parameters())}
    if args.quality:
        extra["history"] = history
    common.report(f"PyTorch {torch.__version__}", args, timed, n, total / n, extra)


if __name__ == "__main__":
    main()
