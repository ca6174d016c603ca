"""MNIST (downloaded, checksum-verified, cached) and Fashion-MNIST (read from a local directory)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ._dataset import Canonical
from ._download import fetch_verified
from ._errors import DataError
from ._idx import read_idx

# The standard file names, shared by MNIST and Fashion-MNIST.
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

# Tried in order. The first is torchvision's mirror (torchvision/datasets/mnist.py), the second the
# one TensorFlow Datasets downloads from. yann.lecun.com is left out: since 2024 it answers the .gz
# files with HTTP 403 (e.g. datapythonista/mnist#20, cvdfoundation/mnist#4).
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

# SHA-256 of the gzip files, from tensorflow/datasets tensorflow_datasets/url_checksums/mnist.txt
# (which also records their sizes: 9912422, 28881, 1648877, 4542 bytes). torchvision checks the same
# files by MD5: f68b3c2d..., d53e105e..., 9fb629c4..., ec29112d... respectively.
MNIST_SHA256 = {
    TRAIN_IMAGES: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    TRAIN_LABELS: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    TEST_IMAGES: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    TEST_LABELS: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

DATA_DIR_ENV = "GAMMASWEEP_DATA_DIR"
DEFAULT_CACHE_DIR = Path("~/.cache/gammasweep/mnist")
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian package dataset-fashion-mnist

_SIZES = {"mnist": (60_000, 10_000), "fashion_mnist": (60_000, 10_000)}


def mnist_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The MNIST directory: ``cache_dir`` if given, else $GAMMASWEEP_DATA_DIR, else ~/.cache/gammasweep/mnist.

    It holds the four .gz files directly (no subdirectory).
    """
    if cache_dir is None:
        cache_dir = os.environ.get(DATA_DIR_ENV) or DEFAULT_CACHE_DIR
    return Path(cache_dir).expanduser()


def download_mnist(
    cache_dir: str | os.PathLike | None = None,
    *,
    mirrors: Sequence[str] = MNIST_MIRRORS,
    checksums: Mapping[str, str] = MNIST_SHA256,
    timeout: float = 60.0,
) -> dict[str, Path]:
    """Make sure each file in ``checksums`` is in the cache with its SHA-256; return filename -> path.

    Files already there with the right hash are used without touching the network.
    """
    directory = mnist_cache_dir(cache_dir)
    hint = (
        f"If this machine is offline, copy the files {', '.join(checksums)} into a directory and pass "
        f"load('mnist', cache_dir=DIR) or set {DATA_DIR_ENV}=DIR; or use the bundled offline sample "
        "load('mnist_5k')."
    )
    return {
        name: fetch_verified(name, sha256, directory, mirrors, timeout=timeout, hint=hint)
        for name, sha256 in checksums.items()
    }


def mnist(*, cache_dir=None) -> Canonical:
    """The 60,000 / 10,000 MNIST digits, downloaded on first use."""
    # Module globals are looked up here, at call time, so tests can point them at a local mirror.
    paths = download_mnist(cache_dir, mirrors=MNIST_MIRRORS, checksums=MNIST_SHA256)
    return read_image_set("mnist", [paths[f] for f in FILES])


def fashion_mnist(*, path=None) -> Canonical:
    """Zalando's Fashion-MNIST, 60,000 / 10,000, from the Debian package's directory or ``path``."""
    directory = Path(path).expanduser() if path is not None else FASHION_MNIST_DIR
    missing = [f for f in FILES if not (directory / f).is_file()]
    if missing:
        if directory.is_dir():
            where = f"{directory} lacks {', '.join(missing)}"
        else:
            where = f"directory {directory} does not exist"
        raise DataError(
            f"fashion_mnist: {where}. Install the Debian package (apt install dataset-fashion-mnist, "
            f"which puts the four files in {FASHION_MNIST_DIR}) or pass path= a directory holding "
            f"{', '.join(FILES)}."
        )
    return read_image_set("fashion_mnist", [directory / f for f in FILES])


def read_image_set(name: str, paths: Sequence[Path]) -> Canonical:
    """Read train images, train labels, test images, test labels; check shapes, sizes and label range."""
    train_images, train_labels, test_images, test_labels = (read_idx(p) for p in paths)
    n_train, n_test = _SIZES.get(name, (None, None))
    x_train = _images(train_images, paths[0], n_train)
    x_test = _images(test_images, paths[2], n_test)
    y_train = _labels(train_labels, paths[1], x_train.shape[0], paths[0])
    y_test = _labels(test_labels, paths[3], x_test.shape[0], paths[2])
    return Canonical(x_train, y_train, x_test, y_test, num_classes=10)


def _images(array: np.ndarray, path: Path, count: int | None) -> np.ndarray:
    if array.ndim != 3 or array.shape[1:] != (28, 28) or array.dtype != np.uint8:
        raise DataError(
            f"{path} holds a {array.dtype} array of shape {array.shape}; expected uint8 images of "
            "shape (n, 28, 28). Is this an images file (*-images-idx3-ubyte)?"
        )
    if count is not None and array.shape[0] != count:
        raise DataError(f"{path} holds {array.shape[0]} images; the standard file holds {count}. Replace it.")
    return array.reshape(array.shape[0], 28 * 28)  # (n, 784)


def _labels(array: np.ndarray, path: Path, count: int, images_path: Path) -> np.ndarray:
    if array.ndim != 1 or array.dtype != np.uint8:
        raise DataError(
            f"{path} holds a {array.dtype} array of shape {array.shape}; expected uint8 labels of "
            "shape (n,). Is this a labels file (*-labels-idx1-ubyte)?"
        )
    if array.shape[0] != count:
        raise DataError(f"{path} holds {array.shape[0]} labels but {images_path} holds {count} images.")
    if array.size and array.max() > 9:
        raise DataError(f"{path} holds label {int(array.max())}; digit and fashion labels are 0..9.")
    return array.astype(np.int64)
