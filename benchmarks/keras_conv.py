"""TensorFlow/Keras training the same convolutional autoencoder as `autoencoder benchmark --model conv`
(or conv-transpose), with the Keras examples' code: Conv2D, MaxPooling2D, UpSampling2D and
Conv2DTranspose layers (Glorot-uniform, zero bias) on N x 28 x 28 x 1 images, Adam() defaults,
binary_crossentropy, model.fit(x, x, batch_size, shuffle=True). Prints one JSON line."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import common  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras_dense import fit_and_report  # noqa: E402


def build(model):
    inputs = keras.Input(shape=common.IMAGE)
    h = inputs
    for layer in common.CONV_PRESETS[model]:
        kind = layer[0]
        if kind == "conv":
            _, filters, padding, activation = layer
            h = keras.layers.Conv2D(filters, common.KERNEL, padding=padding, activation=activation)(h)
        elif kind == "transpose":
            _, filters, padding, activation = layer
            h = keras.layers.Conv2DTranspose(filters, common.KERNEL, strides=2, padding=padding, activation=activation)(h)
        elif kind == "pool":
            h = keras.layers.MaxPooling2D(2, padding=layer[1])(h)
        elif kind == "up":
            h = keras.layers.UpSampling2D(2)(h)
    autoencoder = keras.Model(inputs, h)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    return autoencoder


def main():
    args = common.arguments(__doc__, "conv")
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    x = common.load(args.data, "train", "nhwc", args.limit)
    test = common.load(args.data, "test", "nhwc") if args.quality else None
    autoencoder = build(args.model)
    parameters = autoencoder.count_params()
    if parameters != common.conv_parameters(args.model):
        raise SystemExit(f"{args.model}: {parameters} parameters, expected {common.conv_parameters(args.model)}")
    if tuple(autoencoder.output.shape[1:]) != common.IMAGE:
        raise SystemExit(f"{args.model}: outputs {autoencoder.output.shape}, expected {common.IMAGE}")
    fit_and_report(autoencoder, x, test, args)

if __name__ == "__main__":
    main()
