"""binary_teacher: deterministic per data_seed, balanced, noisy as asked, and learnable."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from models.data import DataError, load


def test_shapes_and_defaults():
    ds = load("binary_teacher")
    assert ds.x_train.shape == (1000, 100) and ds.x_test.shape == (1000, 100)
    assert ds.x_val.shape == (1000, 100)
    assert ds.num_classes == 2 and ds.y_train.dtype == np.int64
    assert set(np.unique(ds.y_train)) == {0, 1}
    assert ds.fingerprint.startswith("binary_teacher:1000+1000+1000x100:")
    # x ~ N(0, 1): loose moment checks on 100,000 numbers
    assert abs(ds.x_train.mean()) < 0.02 and abs(ds.x_train.std() - 1) < 0.02


def test_deterministic_per_data_seed_and_independent_of_training_seed():
    a = load("binary_teacher", seed=1)
    b = load("binary_teacher", seed=2, dtype="float64")
    assert a.fingerprint == b.fingerprint
    np.testing.assert_array_equal(a.y_train, b.y_train)
    np.testing.assert_allclose(a.x_train, b.x_train, rtol=1e-7)
    other = load("binary_teacher", data_seed=1)
    assert other.fingerprint != a.fingerprint and not np.array_equal(other.y_train, a.y_train)


def test_smaller_n_train_is_a_prefix_and_test_set_unchanged():
    full, small = load("binary_teacher"), load("binary_teacher", n_train=300)
    np.testing.assert_array_equal(small.x_train, full.x_train[:300])
    np.testing.assert_array_equal(small.y_train, full.y_train[:300])
    np.testing.assert_array_equal(small.x_test, full.x_test)
    assert not np.isin(small.x_val[:, 0], small.x_train[:, 0]).any()  # held out, not shared


@pytest.mark.parametrize("data_seed", [0, 1, 2])
def test_classes_are_balanced(data_seed):
    ds = load("binary_teacher", data_seed=data_seed, n_train=4000)
    assert 0.46 < ds.y_train.mean() < 0.54 and 0.44 < ds.y_test.mean() < 0.56


def test_label_noise_flips_that_fraction():
    clean = load("binary_teacher", label_noise=0.0, n_train=5000)
    noisy = load("binary_teacher", label_noise=0.2, n_train=5000)
    np.testing.assert_array_equal(clean.x_train, noisy.x_train)  # same inputs, same teacher
    assert 0.18 < np.mean(clean.y_train != noisy.y_train) < 0.22


def test_learnable_well_above_chance():
    ds = load("binary_teacher")
    model = LogisticRegression(max_iter=1000).fit(ds.x_train, ds.y_train)
    assert model.score(ds.x_test, ds.y_test) > 0.7  # ~0.85 for data_seed 0: the teacher is mostly linear
    clean = load("binary_teacher", label_noise=0.0)
    model = LogisticRegression(max_iter=1000).fit(clean.x_train, clean.y_train)
    assert model.score(clean.x_test, clean.y_test) > 0.8


@pytest.mark.parametrize(
    "options, match",
    [({"label_noise": 0.5}, r"label_noise=0.5 must be a float in \[0, 0.5\)"),
     ({"label_noise": -0.1}, "label_noise=-0.1"), ({"data_seed": -1}, "data_seed=-1 must be a non-negative int"),
     ({"data_seed": 1.5}, "data_seed=1.5"), ({"n_train": None}, "n_train=None is not allowed"),
     ({"n_val": 10**9}, r"n_train \+ n_val \+ n_test = 1,000,002,000 examples is more than the 10,000,000")],
)
def test_bad_options(options, match):
    with pytest.raises(DataError, match=match):
        load("binary_teacher", **options)
