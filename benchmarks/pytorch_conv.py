"""PyTorch (CPU) training the same convolutional autoencoder as `autoencoder benchmark --model conv`
(or conv-transpose), in a tight loop: data preloaded as one N x 1 x 28 x 28 tensor, a shuffled
index per epoch, no DataLoader. Keras's settings: Glorot-uniform weights, zero biases, Adam(lr 1e-3,
eps 1e-7), binary cross-entropy on logits (the last conv has no sigmoid). Keras's padding: a 3x3
'same' conv is padding 1; the 'same' 7 -> 4 max pool is ceil_mode=True; a 'same' stride-2
transposed conv is padding 1, output_padding 1 (TF pads that one asymmetrically: the same output
shape, shifted by a pixel). Weights and batches use the channels_last memory format (NHWC in
memory, as Keras), about 1.4x faster than NCHW here on both presets; --contiguous-format uses NCHW.
Prints one JSON line."""
import common
import torch
import torch_loop


def build(model):
    layers, channels = [], common.IMAGE[2]
    for layer in common.CONV_PRESETS[model]:
        kind = layer[0]
        if kind == "pool":
            layers.append(torch.nn.MaxPool2d(2, ceil_mode=layer[1] == "same"))
            continue
        if kind == "up":
            layers.append(torch.nn.Upsample(scale_factor=2, mode="nearest"))
            continue
        _, filters, padding, activation = layer
        if kind == "conv":
            conv = torch.nn.Conv2d(channels, filters, common.KERNEL, padding=common.KERNEL // 2 if padding == "same" else 0)
        else:
            assert padding == "same", "only 'same' transposed convs are written for"
            conv = torch.nn.ConvTranspose2d(channels, filters, common.KERNEL, stride=2, padding=common.KERNEL // 2,
                                            output_padding=1)
        torch.nn.init.xavier_uniform_(conv.weight)
        torch.nn.init.zeros_(conv.bias)
        layers.append(conv)
        if activation == "relu":
            layers.append(torch.nn.ReLU())
        channels = filters
    return torch.nn.Sequential(*layers)  # outputs logits; the loss applies the sigmoid


def main():
    args = common.arguments(__doc__, "conv", lambda parser: parser.add_argument(
        "--contiguous-format", action="store_true", help="NCHW memory format instead of channels_last"))
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    memory_format = torch.contiguous_format if args.contiguous_format else torch.channels_last
    x = torch.from_numpy(common.load(args.data, "train", "nchw", args.limit))
    test = torch.from_numpy(common.load(args.data, "test", "nchw")) if args.quality else None
    model = build(args.model)
    parameters = sum(p.numel() for p in model.parameters())
    if parameters != common.conv_parameters(args.model):
        raise SystemExit(f"{args.model}: {parameters} parameters, expected {common.conv_parameters(args.model)}")
    with torch.no_grad():
        shape = tuple(model(x[:1]).shape)
    if shape != (1,) + tuple(x.shape[1:]):
        raise SystemExit(f"{args.model}: outputs {shape}, expected {(1,) + tuple(x.shape[1:])}")
    model = model.to(memory_format=memory_format)
    torch_loop.train_and_report(model, x, test, args, lambda batch: batch.contiguous(memory_format=memory_format),
                                {"memory_format": "contiguous" if args.contiguous_format else "channels_last"})

if __name__ == "__main__":
    main()
