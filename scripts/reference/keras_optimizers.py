"""Reference values for Tests/OptimizersTests: Keras's own optimizers on a fixed problem.

Runs each optimizer for 5 steps on a parameter theta0 = [0.5, -1.0, 2.0, 0.0], with the
gradient at step t (1-based) g_t[i] = sin(t + i) * (i + 1) / 2, and prints theta after
every step. Run with TensorFlow/Keras installed (see benchmarks/README.md):

    python scripts/reference/keras_optimizers.py
"""
import math
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402

THETA0 = np.array([0.5, -1.0, 2.0, 0.0], dtype=np.float32)


def gradient(t):
    return np.array([math.sin(t + i) * (i + 1) / 2 for i in range(4)], dtype=np.float32)


def run(name, optimizer):
    variable = keras.Variable(THETA0.copy())
    print(name)
    for t in range(1, 6):
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient(t)), variable)])
        print("  step", t, [float(f"{v:.9g}") for v in np.array(variable)])


print("keras", keras.__version__)
run("adam defaults", keras.optimizers.Adam())
run("adam lr 0.1 beta1 0.8 beta2 0.99", keras.optimizers.Adam(learning_rate=0.1, beta_1=0.8, beta_2=0.99))
run("rmsprop defaults", keras.optimizers.RMSprop())
run("rmsprop lr 0.01 momentum 0.9", keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.9))
run("sgd defaults", keras.optimizers.SGD())
run("sgd momentum 0.9", keras.optimizers.SGD(momentum=0.9))
run("sgd nesterov 0.9", keras.optimizers.SGD(momentum=0.9, nesterov=True))
run("adamw weight_decay 0.1 lr 0.01", keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1))
run("sgd weight_decay 0.05 momentum 0.9", keras.optimizers.SGD(momentum=0.9, weight_decay=0.05))
run("rmsprop weight_decay 0.02", keras.optimizers.RMSprop(weight_decay=0.02))
