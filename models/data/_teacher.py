"""binary_teacher: Gaussian inputs labelled by a fixed random tanh network, with label noise."""

from __future__ import annotations

import numpy as np

from ._dataset import Canonical

N_FEATURES = 100
N_HIDDEN = 10


def binary_teacher(
    *, n_train: int = 1000, n_test: int = 1000, label_noise: float = 0.05, data_seed: int = 0
) -> Canonical:
    """x ~ N(0, I_100); y = [f(x) > 0], then each label flipped with probability ``label_noise``.

    The teacher is f(x) = v . tanh(W x) with W (10, 100) ~ N(0, 1/100), so each hidden pre-activation
    is ~N(0, 1) (tanh neither linear nor saturated), and v (10,) ~ N(0, 1/10). f has no biases, so it
    is odd, and x is symmetric: the median of f(x) is 0, and thresholding at 0 is thresholding at the
    median, giving balanced classes without a sample-dependent threshold.

    Everything comes from ``data_seed`` through independent child streams (teacher, train inputs,
    train noise, test inputs, test noise), so the teacher and test set do not change with n_train,
    and a smaller n_train gives a prefix of a larger one.
    """
    teacher, train_x, train_flip, test_x, test_flip = (
        np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(data_seed).spawn(5)
    )
    w = teacher.standard_normal((N_HIDDEN, N_FEATURES)) / np.sqrt(N_FEATURES)  # (10, 100)
    v = teacher.standard_normal(N_HIDDEN) / np.sqrt(N_HIDDEN)  # (10,)

    def sample(n: int, x_rng: np.random.Generator, flip_rng: np.random.Generator):
        x = x_rng.standard_normal((n, N_FEATURES))  # (n, 100)
        clean = (np.tanh(x @ w.T) @ v > 0).astype(np.int64)  # (n,)
        flipped = flip_rng.random(n) < label_noise
        return x, clean ^ flipped

    x_tr, y_tr = sample(n_train, train_x, train_flip)
    x_te, y_te = sample(n_test, test_x, test_flip)
    return Canonical(x_tr, y_tr, x_te, y_te, num_classes=2)
