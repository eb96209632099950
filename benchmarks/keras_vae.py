"""TensorFlow/Keras training the same variational autoencoders as `autoencoder train --model vae`,
`vae-pytorch` and `conv-vae`, with keras-io's VAE code: an encoder giving z_mean and z_log_var, a
Sampling layer, a decoder, and a Model whose train_step and test_step compute the per-image
reconstruction (binary cross-entropy summed over the pixels) plus the KL term, averaged over the
batch; Dense and Conv layers with Keras's defaults, Adam() defaults, model.fit with shuffle and
validation data. Prints one JSON line.
"""
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import common  # noqa: E402
from keras_dense import EpochTimer  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers, ops  # noqa: E402


class Sampling(layers.Layer):
    """z = z_mean + exp(z_log_var / 2) * epsilon, as keras-io's."""

    def __init__(self, seed, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(shape=ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def build(model, seed):
    hidden, latent = common.VAE_PRESETS[model]
    if hidden is not None:
        inputs = keras.Input(shape=(784,))
        h = inputs
        for units in hidden:
            h = layers.Dense(units, activation="relu")(h)
    else:
        inputs = keras.Input(shape=(28, 28, 1))
        h = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(inputs)
        h = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(h)
        h = layers.Flatten()(h)
        h = layers.Dense(16, activation="relu")(h)
    z_mean = layers.Dense(latent, name="z_mean")(h)
    z_log_var = layers.Dense(latent, name="z_log_var")(h)
    z = Sampling(seed)([z_mean, z_log_var])
    encoder = keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")
    codes = keras.Input(shape=(latent,))
    if hidden is not None:
        h = codes
        for units in hidden[::-1]:
            h = layers.Dense(units, activation="relu")(h)
        outputs = layers.Dense(784, activation="sigmoid")(h)
    else:
        h = layers.Dense(7 * 7 * 64, activation="relu")(codes)
        h = layers.Reshape((7, 7, 64))(h)
        h = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(h)
        h = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(h)
        outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(h)
    decoder = keras.Model(codes, outputs, name="decoder")
    return encoder, decoder


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "reconstruction", "kl")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def terms(self, data):
        x = data[0] if isinstance(data, tuple) else data
        z_mean, z_log_var, z = self.encoder(x)
        reconstruction = self.decoder(z)
        # Binary cross-entropy per pixel, summed over each image's pixels, mean over the batch. The
        # decoder's sigmoid output goes to the loss as it is, as keras-io's code passes it, so Keras
        # computes the loss from its logits; any op in between (an expand_dims) makes Keras clip the
        # probabilities to [1e-7, 1 - 1e-7] instead, capping each pixel's loss at 16.1 nats and
        # zeroing its gradient there (an earlier version of this script did that).
        if len(reconstruction.shape) == 2:  # dense: the loss averages over the 784 values; times 784 is their sum
            per_image = reconstruction.shape[-1] * keras.losses.binary_crossentropy(x, reconstruction)
        else:  # images (batch, 28, 28, 1): per pixel over the channel axis, summed over the image
            per_image = ops.sum(keras.losses.binary_crossentropy(x, reconstruction), axis=(1, 2))
        reconstruction_loss = ops.mean(per_image)
        kl = ops.mean(ops.sum(-0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)), axis=1))
        return reconstruction_loss, kl

    def train_step(self, data):
        with tf.GradientTape() as tape:
            reconstruction, kl = self.terms(data)
            loss = reconstruction + kl
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return self.track(loss, reconstruction, kl)

    def test_step(self, data):
        reconstruction, kl = self.terms(data)
        return self.track(reconstruction + kl, reconstruction, kl)

    def track(self, loss, reconstruction, kl):
        for name, value in (("loss", loss), ("reconstruction", reconstruction), ("kl", kl)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def dead_units(encoder, images):
    """Each relu layer of the encoder: its units and how many are zero on every one of `images`, as
    `autoencoder evaluate` lists them (`dead_units`)."""
    found = []
    for layer in encoder.layers:
        if getattr(layer, "activation", None) is keras.activations.relu:
            outputs = keras.Model(encoder.input, layer.output).predict(images, batch_size=1024, verbose=0)
            fired = (outputs.reshape(-1, outputs.shape[-1]) > 0).any(axis=0)
            found.append({"layer": layer.name, "units": int(fired.size), "dead": int((~fired).sum())})
    return found


def main():
    args = common.arguments(__doc__, "vae")
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    hidden, _ = common.VAE_PRESETS[args.model]
    layout = "flat" if hidden is not None else "nhwc"
    x = common.load(args.data, "train", layout=layout, limit=args.limit)
    test = common.load(args.data, "test", layout=layout) if args.quality else None
    encoder, decoder = build(args.model, args.seed)
    vae = VAE(encoder, decoder)
    vae.compile(optimizer=keras.optimizers.Adam())
    timer = EpochTimer()
    epochs = args.epochs if args.quality else args.epochs + 1
    vae.fit(x, epochs=epochs, batch_size=args.batch_size, shuffle=True, verbose=0, callbacks=[timer],
            validation_data=(test,) if args.quality else None)
    timed = timer.seconds if args.quality else timer.seconds[1:]
    extra = {"parameters": encoder.count_params() + decoder.count_params()}
    if args.quality:
        extra["history"] = timer.history
        extra["dead_units"] = dead_units(encoder, test)
    common.report(f"TensorFlow {tf.__version__} / Keras {keras.__version__}", args, timed, x.shape[0],
                  timer.history[-1]["loss"], extra)


if __name__ == "__main__":
    main()
