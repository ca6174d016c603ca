"""The Dataset record, its content fingerprint, and the conversion from stored to float arrays."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._errors import DataError

_FLOAT_DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}


class Canonical(NamedTuple):
    """A dataset as stored, before the float cast: what the fingerprint hashes.

    Images are uint8 pixels (0..255), flattened; synthetic features are float64. Labels are int64.
    A loader returns train and test; ``hold_out`` then moves the validation split out of train.
    """

    x_train: np.ndarray  # (n_train, d) uint8 or float64
    y_train: np.ndarray  # (n_train,) int64
    x_test: np.ndarray  # (n_test, d)
    y_test: np.ndarray  # (n_test,)
    num_classes: int
    x_val: np.ndarray | None = None  # (n_val, d): held out of the stored training split
    y_val: np.ndarray | None = None  # (n_val,)

    def first(self, n_train: int | None, n_test: int | None) -> Canonical:
        """The first n_train / n_test examples (None keeps all)."""
        return self._replace(
            x_train=self.x_train[:n_train], y_train=self.y_train[:n_train],
            x_test=self.x_test[:n_test], y_test=self.y_test[:n_test],
        )

    def hold_out(self, n_val: int) -> Canonical:
        """The last ``n_val`` training examples become the validation split (fixed: it depends only
        on the stored order, never on a trial's seed), the rest stay training examples."""
        n = self.x_train.shape[0] - n_val
        return self._replace(x_train=self.x_train[:n], y_train=self.y_train[:n],
                             x_val=self.x_train[n:], y_val=self.y_train[n:])


@dataclass(frozen=True)
class Dataset:
    """Train, validation and test arrays of one dataset, with a fingerprint of their content.

    Studies tune on the validation split (held out of the training set); the test split is scored
    only by confirmation runs, once their settings are chosen.

    The arrays are read-only, so the fingerprint stays true to them; index or copy them to get
    arrays you may modify.
    """

    name: str
    x_train: np.ndarray  # (n_train, d) float32 or float64, C-contiguous; pixels scaled to [0, 1]
    y_train: np.ndarray  # (n_train,) int64 class labels in 0..num_classes-1
    x_test: np.ndarray  # (n_test, d)
    y_test: np.ndarray  # (n_test,)
    num_classes: int
    fingerprint: str  # "name:n_train+n_val+n_testxd:first 16 hex of sha256 of the stored arrays"
    x_val: np.ndarray  # (n_val, d)
    y_val: np.ndarray  # (n_val,)

    def astype(self, dtype) -> Dataset:
        """The same dataset with features cast to ``dtype`` (float32 or float64); same fingerprint.

        This casts the arrays held here: a float32 dataset cast to float64 carries float32 rounding.
        For exact float64 values, ``load(name, dtype="float64")`` instead.
        """
        dtype = float_dtype(dtype)
        x_train = _frozen(self.x_train.astype(dtype, order="C"))
        x_test = _frozen(self.x_test.astype(dtype, order="C"))
        x_val = _frozen(self.x_val.astype(dtype, order="C"))
        return dataclasses.replace(self, x_train=x_train, x_val=x_val, x_test=x_test)

    def __repr__(self) -> str:
        return f"Dataset({self.fingerprint}, dtype={self.x_train.dtype}, num_classes={self.num_classes})"


def float_dtype(dtype) -> np.dtype:
    """Parse a requested feature dtype; only float32 and float64 are allowed."""
    try:
        # np.dtype(None) is float64, and a dtype compares equal to None; neither may slip through.
        parsed = np.dtype(dtype) if dtype is not None else None
    except TypeError:
        parsed = None
    if parsed is None or not any(parsed == allowed for allowed in _FLOAT_DTYPES.values()):
        raise DataError(f"dtype={dtype!r} is not supported; allowed: {', '.join(map(repr, _FLOAT_DTYPES))}.")
    return parsed


def fingerprint(name: str, data: Canonical) -> str:
    """``name:n_train+n_val+n_testxd:hash``, hash = first 16 hex of sha256 over the stored arrays
    (train, validation, test) in order: a different split is a different fingerprint."""
    digest = hashlib.sha256()
    for array in data.x_train, data.y_train, data.x_val, data.y_val, data.x_test, data.y_test:
        # Hash a fixed byte layout (C order, little-endian) so the value is platform independent.
        digest.update(np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).data)
    n_train, d = data.x_train.shape
    sizes = f"{n_train}+{data.x_val.shape[0]}+{data.x_test.shape[0]}"
    return f"{name}:{sizes}x{d}:{digest.hexdigest()[:16]}"


def make_dataset(name: str, data: Canonical, fingerprint_: str, dtype) -> Dataset:
    """Cast the stored arrays to float features (uint8 pixels are divided by 255)."""
    dtype = float_dtype(dtype)
    return Dataset(
        name=name,
        x_train=_frozen(_to_float(data.x_train, dtype)),
        y_train=_frozen(data.y_train),
        x_test=_frozen(_to_float(data.x_test, dtype)),
        y_test=_frozen(data.y_test),
        num_classes=data.num_classes,
        fingerprint=fingerprint_,
        x_val=_frozen(_to_float(data.x_val, dtype)),
        y_val=_frozen(data.y_val),
    )


def _to_float(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if x.dtype == np.uint8:
        return np.divide(x, 255, dtype=dtype)
    return x.astype(dtype, order="C")


def _frozen(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view
