"""PyTorch (CPU) training the same dense autoencoder as `autoencoder benchmark`, in a tight loop:
data preloaded as one tensor, a shuffled index per epoch, no DataLoader. Keras's settings:
Glorot-uniform weights, zero biases, Adam(lr 1e-3, eps 1e-7), binary cross-entropy on logits.
Prints one JSON line."""
import common
import torch
import torch_loop


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
    torch_loop.train_and_report(model, x, test, args)

if __name__ == "__main__":
    main()
