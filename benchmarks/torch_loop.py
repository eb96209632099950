"""The PyTorch training loop both PyTorch scripts time: data preloaded, a shuffled index per epoch,
no DataLoader, Adam(lr 1e-3, eps 1e-7) and binary cross-entropy on logits, as Keras's settings."""
import time

import common
import torch


def validation_loss(model, loss_function, test, prepare, chunk=1000):
    total = 0.0
    with torch.no_grad():
        for begin in range(0, test.shape[0], chunk):
            batch = prepare(test[begin:begin + chunk])
            total += float(loss_function(model(batch), batch)) * batch.shape[0]
    return total / test.shape[0]


def train_and_report(model, x, test, args, prepare=lambda batch: batch, extra=None):
    """Trains `model` on `x` (an epoch of warm-up first unless --quality) and prints the report;
    `prepare` puts a batch in the model's memory format."""
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
            batch = prepare(x[order[begin:begin + args.batch_size]])
            optimizer.zero_grad(set_to_none=True)
            loss = loss_function(model(batch), batch)
            loss.backward()
            optimizer.step()
            total += loss.item() * batch.shape[0]
        seconds.append(time.perf_counter() - start)
        if args.quality:
            history.append({"epoch": epoch + 1, "loss": total / n,
                            "val_loss": validation_loss(model, loss_function, test, prepare)})
    timed = seconds if args.quality else seconds[1:]
    extra = dict(extra or {}, parameters=sum(p.numel() for p in model.parameters()))
    if args.quality:
        extra["history"] = history
    common.report(f"PyTorch {torch.__version__}", args, timed, n, total / n, extra)
