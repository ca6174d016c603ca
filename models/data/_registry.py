"""load() and available(): dataset names, their options, validation, and the per-process cache."""

from __future__ import annotations

import functools
import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _mnist, _mnist_5k, _teacher
from ._dataset import Canonical, Dataset, fingerprint, float_dtype, make_dataset
from ._errors import DataError


@dataclass(frozen=True)
class _Spec:
    build: Callable[..., Canonical]
    options: dict  # every allowed option -> its default; n_train / n_val / n_test are in all of them
    sized: bool  # True: n_train / n_test are generation sizes passed to build; False: first-n subset


# n_val: the validation split, held out of the stored training split (its last n_val examples;
# binary_teacher generates n_train + n_val). MNIST and Fashion-MNIST keep 50,000 to train on, as
# is usual; mnist_5k keeps 3,000 (300 a digit on average; its train split is a stratified shuffle).
_SPECS = {
    "mnist": _Spec(_mnist.mnist, {"n_train": None, "n_val": 10000, "n_test": None, "cache_dir": None},
                   sized=False),
    "mnist_5k": _Spec(_mnist_5k.mnist_5k, {"n_train": None, "n_val": 1000, "n_test": None}, sized=False),
    "fashion_mnist": _Spec(
        _mnist.fashion_mnist, {"n_train": None, "n_val": 10000, "n_test": None, "path": None},
        sized=False,
    ),
    "binary_teacher": _Spec(
        _teacher.binary_teacher,
        {"n_train": 1000, "n_val": 1000, "n_test": 1000, "label_noise": 0.05, "data_seed": 0},
        sized=True,
    ),
}

# binary_teacher holds every example it generates in memory: 10**7 of them take 7.5 GiB.
MAX_GENERATED = 10**7


def available() -> list[str]:
    """Names accepted by load()."""
    return list(_SPECS)


def load(name: str, *, dtype="float32", seed: int = 0, **options) -> Dataset:
    """Load dataset ``name`` with features as ``dtype`` (float32 or float64).

    ``seed`` is the training seed of the caller's trial. It is accepted so that every loader has one
    signature, and deliberately ignored: a dataset's content depends only on its name and options
    (``data_seed`` for binary_teacher), so all trials of a study see the same data.

    The stored arrays of the last four (name, options) loaded are kept for the life of the process,
    so files changed on disk after a load are not re-read until another process starts.

    Options for every dataset: ``n_val`` is the size of the validation split, held out of the
    training split (its last ``n_val`` examples; fixed, whatever the seed); ``n_train`` / ``n_test``
    then keep the first n examples of the remaining training split / the test split.
    mnist: ``cache_dir``; fashion_mnist: ``path``; binary_teacher: ``label_noise``, ``data_seed``.
    """
    spec = _SPECS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise DataError(f"unknown dataset {name!r}; known datasets: {', '.join(_SPECS)}.")
    dtype = float_dtype(dtype)
    if not _is_int(seed):
        raise DataError(f"seed={seed!r} must be an int (it does not change the data).")
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise DataError(
            f"unknown option {', '.join(map(repr, unknown))} for dataset {name!r}; "
            f"allowed: {', '.join(spec.options)} (and dtype, seed)."
        )
    resolved = _validated(name, {**spec.options, **options})
    data, fp = _canonical(name, tuple(sorted(resolved.items())))
    return make_dataset(name, data, fp, dtype)


@functools.lru_cache(maxsize=4)  # full Fashion-MNIST is ~55 MB stored; a sweep reuses one or two sets
def _canonical(name: str, options: tuple) -> tuple[Canonical, str]:
    spec = _SPECS[name]
    kwargs = dict(options)
    n_train, n_val, n_test = kwargs.pop("n_train"), kwargs.pop("n_val"), kwargs.pop("n_test")
    if spec.sized:
        data = spec.build(n_train=n_train + n_val, n_test=n_test, **kwargs).hold_out(n_val)
    else:
        data = spec.build(**kwargs)
        _check_subset(name, "n_val", n_val, data.x_train.shape[0] - 1)
        data = data.hold_out(n_val)
        _check_subset(name, "n_train", n_train, data.x_train.shape[0])
        _check_subset(name, "n_test", n_test, data.x_test.shape[0])
        data = data.first(n_train, n_test)
    arrays = {k: np.ascontiguousarray(a) for k, a in data._asdict().items() if k != "num_classes"}
    data = data._replace(**arrays)
    for k, array in arrays.items():
        array.flags.writeable = False  # cached and shared by every Dataset made from it
    return data, fingerprint(name, data)


def _validated(name: str, options: dict) -> dict:
    for key in "n_train", "n_test":
        value = options[key]
        if value is not None and (not _is_int(value) or value < 1):
            raise DataError(f"{name}: {key}={value!r} must be a positive int (or None for the whole split).")
        options[key] = None if value is None else int(value)
    n_val = options["n_val"]
    if not _is_int(n_val) or n_val < 1:
        raise DataError(f"{name}: n_val={n_val!r} must be a positive int: studies tune on the "
                        "validation split, held out of the training split.")
    options["n_val"] = int(n_val)
    if name == "binary_teacher":
        for key in "n_train", "n_test":
            if options[key] is None:
                raise DataError(f"binary_teacher: {key}=None is not allowed; give how many examples to make.")
        noise = options["label_noise"]
        if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0 <= noise < 0.5:
            raise DataError(
                f"binary_teacher: label_noise={noise!r} must be a float in [0, 0.5) "
                "(the probability that a label is flipped)."
            )
        options["label_noise"] = float(noise)
        seed = options["data_seed"]
        if not _is_int(seed) or seed < 0:
            raise DataError(f"binary_teacher: data_seed={seed!r} must be a non-negative int.")
        options["data_seed"] = int(seed)
        total = options["n_train"] + options["n_val"] + options["n_test"]
        if total > MAX_GENERATED:
            raise DataError(
                f"binary_teacher: n_train + n_val + n_test = {total:,} examples is more than the "
                f"{MAX_GENERATED:,} it generates ({_teacher.N_FEATURES} float64 features each, "
                f"{MAX_GENERATED * _teacher.N_FEATURES * 8 / 2**30:.0f} GiB); ask for fewer."
            )
    for key in "cache_dir", "path":
        value = options.get(key)
        if value is not None:
            if not isinstance(value, (str, os.PathLike)):
                raise DataError(f"{name}: {key}={value!r} must be a path (str or os.PathLike).")
            options[key] = str(Path(value).expanduser().resolve())
    if name == "mnist" and options["cache_dir"] is None:
        # Resolve env var / default now, so the cache key changes when $GAMMASWEEP_DATA_DIR does.
        options["cache_dir"] = str(_mnist.mnist_cache_dir(None).resolve())
    return options


def _check_subset(name: str, key: str, value: int | None, size: int) -> None:
    if value is not None and value > size:
        raise DataError(
            f"{name}: {key}={value} exceeds the {size} examples of its split; allowed: 1..{size} or None."
        )


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
