"""Reference values for Tests/OptimizersTests/LearningRateScheduleTests and
Tests/NNTests/RegularizationTests: Keras's schedules, ReduceLROnPlateau and activity regularizer.

    python scripts/reference/keras_schedules.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402

print("keras", keras.__version__)
cosine = keras.optimizers.schedules.CosineDecay(0.01, decay_steps=100, alpha=0.1)
print("cosine 0.01 decay_steps 100 alpha 0.1:", [float(f"{float(cosine(t)):.9g}") for t in (0, 1, 25, 50, 99, 100, 150)])
step = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=30, decay_rate=0.5, staircase=True)
print("exponential 0.01 steps 30 rate 0.5 staircase:", [float(f"{float(step(t)):.9g}") for t in (0, 29, 30, 59, 60, 95)])

# ReduceLROnPlateau on a sequence of validation losses.
model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mse")
plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_delta=1e-4, cooldown=1, min_lr=0.02)
plateau.set_model(model)
plateau.on_train_begin()
losses = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.93, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
rates = []
for epoch, loss in enumerate(losses):
    plateau.on_epoch_end(epoch, {"val_loss": loss})
    rates.append(float(f"{float(model.optimizer.learning_rate):.9g}"))
print("plateau factor 0.5 patience 2 cooldown 1 min_lr 0.02 on", losses, ":", rates)

# How Keras 3 scales an activity regularizer: summed over the batch, not averaged.
layer = keras.layers.Dense(2, activation="relu", kernel_initializer="ones", activity_regularizer=keras.regularizers.L1(0.1))
x = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], dtype=np.float32)
layer(x)
print("activity l1 0.1 on relu([[3,3],[2,2],[1,1]]):", [float(v) for v in layer.losses])
