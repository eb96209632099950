"""TensorFlow/Keras training the same dense autoencoder as `autoencoder benchmark`, with the
Keras tutorial's code: Dense layers (Glorot-uniform, zero bias), Adam() defaults,
binary_crossentropy, model.fit(x, x, batch_size, shuffle=True). Prints one JSON line."""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import common  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds, self.history = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)
        self.history.append({"epoch": epoch + 1, **{name: float(value) for name, value in logs.items()}})


def fit_and_report(autoencoder, x, test, args):
    """model.fit on `x` (an epoch of warm-up first unless --quality), then the report."""
    timer = EpochTimer()
    epochs = args.epochs if args.quality else args.epochs + 1
    autoencoder.fit(x, x, epochs=epochs, batch_size=args.batch_size, shuffle=True, verbose=0, callbacks=[timer],
                    validation_data=(test, test) if args.quality else None)
    timed = timer.seconds if args.quality else timer.seconds[1:]
    extra = {"parameters": autoencoder.count_params()}
    if args.quality:
        extra["history"] = timer.history
        if hasattr(autoencoder, "encoder"):
            codes = autoencoder.encoder.predict(test, batch_size=1024, verbose=0)
            extra["mean_code_activation"] = float(codes.mean())
    common.report(f"TensorFlow {tf.__version__} / Keras {keras.__version__}", args, timed, x.shape[0],
                  timer.history[-1]["loss"], extra)


def build(model):
    sizes = common.layer_sizes(model)
    inputs = keras.Input(shape=(sizes[0],))
    h = inputs
    code = None
    for index, units in enumerate(sizes[1:]):
        # The code layer of the sparse model carries the blog's L1 activity regularizer.
        regularizer = keras.regularizers.L1(common.SPARSE_L1[model]) if model in common.SPARSE_L1 and index == len(sizes) // 2 - 1 else None
        h = keras.layers.Dense(units, activation="sigmoid" if index == len(sizes) - 2 else "relu", activity_regularizer=regularizer)(h)
        if index == len(sizes) // 2 - 1:
            code = h
    autoencoder = keras.Model(inputs, h)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    autoencoder.encoder = keras.Model(inputs, code)
    return autoencoder


def main():
    args = common.arguments(__doc__, "dense")
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    x = common.load(args.data, "train", limit=args.limit)
    test = common.load(args.data, "test") if args.quality else None
    autoencoder = build(args.model)
    fit_and_report(autoencoder, x, test, args)

if __name__ == "__main__":
    main()
