"""The IDX reader on files written here, byte by byte from the format description."""

import gzip
import struct

import numpy as np
import pytest

from models.data import DataError
from models.data._idx import read_idx
from models.data._mnist import read_image_set

_CODES = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype(">i2"): 0x0B, np.dtype(">i4"): 0x0C,
          np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    header = struct.pack(">HBB", 0, _CODES[big.dtype], array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + big.tobytes()


def write(path, payload: bytes, gz: bool):
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("gz", [True, False])
def test_images_and_labels_round_trip(tmp_path, rng, gz):
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    got_images = read_idx(write(tmp_path / "img", idx_bytes(images), gz))
    got_labels = read_idx(write(tmp_path / "lab", idx_bytes(labels), gz))
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert got_images.dtype == np.uint8 and got_images.shape == (7, 28, 28)


@pytest.mark.parametrize("dtype", [">i2", ">i4", ">f4", ">f8", "i1"])
def test_multibyte_types_are_big_endian_on_disk_native_in_memory(tmp_path, rng, dtype):
    array = (rng.standard_normal((3, 4)) * 100).astype(dtype)
    got = read_idx(write(tmp_path / "a.gz", idx_bytes(array), gz=True))
    np.testing.assert_array_equal(got, array)
    assert got.dtype.isnative


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_data_names_the_file_and_sizes(tmp_path, gz):
    payload = idx_bytes(np.zeros((5, 28, 28), np.uint8))[:-100]
    path = write(tmp_path / "t10k-images-idx3-ubyte", payload, gz)
    with pytest.raises(DataError, match=r"(?s)t10k-images-idx3-ubyte.*3920 data bytes.*3820.*truncated"):
        read_idx(path)


def test_extra_bytes_are_rejected(tmp_path):
    path = write(tmp_path / "x", idx_bytes(np.zeros(4, np.uint8)) + b"\0", gz=False)
    with pytest.raises(DataError, match="longer than its header says"):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = write(tmp_path / "x", idx_bytes(np.zeros((2, 28, 28), np.uint8))[:9], gz=False)
    with pytest.raises(DataError, match="inside its 16-byte header"):
        read_idx(path)


@pytest.mark.parametrize("head", [b"\x12\x34\x08\x01", b"\x00\x00\x07\x01", b"\x00\x00\x08\x00", b"PK\x03\x04"])
def test_wrong_magic_number(tmp_path, head):
    path = write(tmp_path / "x", head + b"\0" * 64, gz=False)
    with pytest.raises(DataError, match=f"magic number 0x{head.hex().upper()}"):
        read_idx(path)


def test_shorter_than_magic(tmp_path):
    with pytest.raises(DataError, match="2 bytes long"):
        read_idx(write(tmp_path / "x", b"\0\0", gz=False))


def test_corrupt_gzip_stream(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(1000, dtype=np.uint8) % 7))
    path = tmp_path / "x.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match=r"x\.gz is gzip-compressed but cannot be decompressed"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot read IDX file .*nope"):
        read_idx(tmp_path / "nope")


def _set(tmp_path, rng, train_labels=None, train_images=None):
    arrays = [
        train_images if train_images is not None else rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        train_labels if train_labels is not None else rng.integers(0, 10, 6, dtype=np.uint8),
        rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, 2, dtype=np.uint8),
    ]
    return [write(tmp_path / f"f{i}.gz", idx_bytes(a), gz=True) for i, a in enumerate(arrays)], arrays


def test_image_set_flattens_and_keeps_labels(tmp_path, rng):
    paths, arrays = _set(tmp_path, rng)
    data = read_image_set("local", paths)
    assert data.x_train.shape == (6, 784) and data.x_test.shape == (2, 784) and data.num_classes == 10
    np.testing.assert_array_equal(data.x_train[3], arrays[0][3].ravel())
    assert data.y_train.dtype == np.int64
    np.testing.assert_array_equal(data.y_test, arrays[3])


@pytest.mark.parametrize(
    "kind, match",
    [("count", "holds 5 labels but .* holds 6 images"), ("range", "label 10; digit and fashion labels are 0..9"),
     ("shape", r"shape \(6, 14, 56\); expected uint8 images"), ("swapped", "expected uint8 labels")],
)
def test_image_set_consistency_errors(tmp_path, rng, kind, match):
    kwargs = {
        "count": {"train_labels": np.zeros(5, np.uint8)},
        "range": {"train_labels": np.array([0, 1, 2, 3, 4, 10], np.uint8)},
        "shape": {"train_images": np.zeros((6, 14, 56), np.uint8)},
        "swapped": {"train_labels": np.zeros((6, 28, 28), np.uint8)},
    }[kind]
    paths, _ = _set(tmp_path, rng, **kwargs)
    with pytest.raises(DataError, match=match):
        read_image_set("local", paths)
