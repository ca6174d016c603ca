"""The numba kernels (optimizers/fused.py, models/fused.py) against the numpy path they replace."""

import os
import subprocess
import sys

import numpy as np
import pytest

import models
import optimizers
from models.data import load
from models.errors import ModelError
from models.train import train
from optimizers import fused

pytest.importorskip("numba")


@pytest.fixture
def kernels(monkeypatch):
    """Run a callable with the kernels on, then off: returns (on, off)."""
    def both(run):
        monkeypatch.setattr(fused, "ENABLED", True)
        on = run()
        monkeypatch.setattr(fused, "ENABLED", False)
        return on, run()
    return both


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", [
    {},
    {"eps_in_sqrt": True, "initial_square_avg": 1.0},
    {"bias_correction": True},
    {"gamma_schedule": "rising", "gamma_tau": 3.0, "gamma_power": 0.5, "eps": 1e-4},
    {"gamma": 1.0},
])
def test_rmsprop_kernel_is_the_numpy_step_bit_for_bit(kernels, dtype, options):
    rng = np.random.default_rng(0)
    grads = [{"w": rng.standard_normal((30, 7)).astype(dtype)} for _ in range(6)]
    grads[3]["w"][0, 0] = 0.0  # a zero gradient on the first step ever taken keeps s at s₀

    def run():
        params = {"w": np.linspace(-1, 1, 210, dtype=dtype).reshape(30, 7)}
        opt = optimizers.create("rmsprop", **({"lr": 0.01, "gamma": 0.9} | options))
        for g in grads:
            opt.update(params, g)
        return params["w"], opt.state["w"].square_avg

    (p_on, s_on), (p_off, s_off) = kernels(run)
    np.testing.assert_array_equal(p_on, p_off)
    np.testing.assert_array_equal(s_on, s_off)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_rmsprop_kernel_keeps_nan_and_inf(kernels):
    def run():
        params = {"w": np.ones(4, np.float32)}
        opt = optimizers.create("rmsprop", lr=1.0, gamma=1.0, eps=1e-45)  # s stays 0: g/ε overflows
        opt.update(params, {"w": np.array([1.0, -1.0, np.inf, np.nan], np.float32)})
        return params["w"]

    on, off = kernels(run)
    np.testing.assert_array_equal(on, off)
    assert np.isneginf(on[0]) and np.isposinf(on[1]) and np.isnan(on[2]) and np.isnan(on[3])  # inf·0


def test_per_trial_hyperparameters_stay_on_the_numpy_path():
    p, g, s = (np.ones((3, 4), np.float32) for _ in range(3))
    assert fused.flat_scalars(p, g, s, scalars=(0.1, 0.9)) == fused.ENABLED
    assert not fused.flat_scalars(p, g, s, scalars=(np.full((3, 1), 0.1), 0.9))
    assert not fused.flat_scalars(p, g, s, scalars=(np.float64(0.1),))  # would upcast in numpy
    assert not fused.flat_scalars(p[:, ::2], g[:, ::2], s[:, ::2])


@pytest.mark.parametrize("dtype, rtol", [("float32", 2e-5), ("float64", 1e-12)])
def test_mlp_step_matches_layers_py(kernels, dtype, rtol):
    rng = np.random.default_rng(1)
    net = models.create("mnist_mlp")
    params = net.init_params(rng, dtype)
    x = rng.random((128, 784)).astype(dtype)
    y = rng.integers(0, 10, 128)

    def run():
        loss, grads = net.loss_and_grads(params, x, y)
        return loss, {k: v.copy() for k, v in grads.items()}

    (loss_on, on), (loss_off, off) = kernels(run)
    assert loss_on == pytest.approx(loss_off, rel=rtol)
    for key in off:
        scale = np.abs(off[key]).max()
        np.testing.assert_allclose(on[key], off[key], rtol=0, atol=rtol * scale, err_msg=key)


def test_mlp_kernels_keep_nan(kernels):
    net = models.create("mnist_mlp")
    params = net.init_params(np.random.default_rng(0), "float32")
    x = np.ones((8, 784), np.float32)
    x[3, 5] = np.nan

    def run():
        loss, grads = net.loss_and_grads(params, x, np.zeros(8, np.int64))
        return loss, np.isnan(grads["W2"]).any()

    for loss, nan_grads in kernels(run):
        assert np.isnan(loss) and nan_grads


def test_a_label_out_of_range_is_an_error_not_a_bad_read(monkeypatch):
    monkeypatch.setattr(fused, "ENABLED", True)
    net = models.create("mnist_mlp")
    params = net.init_params(np.random.default_rng(0), "float32")
    y = np.zeros(4, np.int64)
    y[2] = 10
    with pytest.raises(ModelError, match=r"label y\[2\] = 10 is not a class; allowed: 0 to 9"):
        net.loss_and_grads(params, np.ones((4, 784), np.float32), y)


@pytest.mark.slow
def test_training_follows_the_numpy_path(kernels):
    """100 steps of a trained network in float64: the fused engine stays on the numpy path's run."""
    data = load("mnist_5k", dtype="float64")

    def run():
        r = train(models.create("mnist_mlp"), optimizers.create("rmsprop", lr=1e-3), data,
                  steps=100, eval_every=50, dtype="float64", seed=3)
        return r.history["val_loss"], r.params["W3"].copy()

    (val_on, w_on), (val_off, w_off) = kernels(run)
    np.testing.assert_allclose(val_on, val_off, rtol=1e-9)
    np.testing.assert_allclose(w_on, w_off, rtol=0, atol=1e-9)
    assert val_on[-1] < val_on[0]


def test_environment_switches_the_kernels_off():
    code = "import optimizers.fused as f; print(f.ENABLED)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, GAMMASWEEP_KERNELS="numpy")).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", [
    {},
    {"eps": np.array([1e-8, 1e-4, 1e-2]), "eps_in_sqrt": True},
    {"bias_correction": True},
    {"gamma_schedule": "rising", "gamma_tau": np.array([2.0, 5.0, 50.0]), "gamma_power": 0.5},
    {"gamma": 0.95},  # one γ, per-trial lr only
])
def test_population_kernel_is_the_numpy_step_bit_for_bit(kernels, monkeypatch, dtype, options):
    """K = 3 trials with per-trial hyperparameters, over a strided (d0, K, d1) weight as the
    population's first layer keeps it, a (K, d) bias and a (K,) scalar per trial."""
    rng = np.random.default_rng(2)
    kernel = fused._rmsprop_members
    grads = [{"W": rng.standard_normal((3, 5, 4)).astype(dtype), "b": rng.standard_normal((3, 4)).astype(dtype),
              "c": rng.standard_normal(3).astype(dtype)} for _ in range(5)]

    def run():
        w = np.random.default_rng(5).standard_normal((5, 3, 4)).astype(dtype)
        params = {"W": w.transpose(1, 0, 2), "b": np.zeros((3, 4), dtype), "c": np.ones(3, dtype)}
        hp = {"lr": np.array([1e-3, 1e-2, 0.1]), "gamma": np.array([0.0, 0.9, 1.0])} | options
        opt = optimizers.create("rmsprop", **hp)
        for g in grads:
            opt.update(params, g)
        return {k: v.copy() for k, v in params.items()} | {f"s{k}": opt.state[k].square_avg.copy() for k in params}

    calls = []
    monkeypatch.setattr(fused, "_rmsprop_members", lambda *a: calls.append(1) or kernel(*a))
    on, off = kernels(run)
    assert len(calls) == 3 * len(grads)  # the kernel ran, for every parameter and step
    for key in off:
        np.testing.assert_array_equal(on[key], off[key], err_msg=key)


def test_population_training_is_the_numpy_path_bit_for_bit(kernels):
    from models.population import train_population

    data = load("binary_teacher", dtype="float32")
    hp = {"lr": np.geomspace(1e-4, 1e-1, 6), "gamma": np.linspace(0.0, 1.0, 6), "eps": 1e-8}

    def run():
        results = train_population(models.create("binary_mlp"), optimizers.create("rmsprop", **hp), data,
                                   k=6, steps=60, eval_every=20, seed=1)
        return [r.final for r in results]

    on, off = kernels(run)
    assert on == off


@pytest.mark.parametrize("name", ["mnist_mlp", "binary_mlp"])
def test_evaluation_forward_is_the_numpy_one_bit_for_bit(kernels, name):
    """Bias and ReLU fused are the same two operations in the same order: equal, not close."""
    rng = np.random.default_rng(4)
    net = models.create(name)
    params = net.init_params(rng, "float32")
    x = rng.standard_normal((300, net.input_dim)).astype(np.float32)
    y = rng.integers(0, net.num_classes, 300)
    on, off = kernels(lambda: (net.evaluate(params, x, y), net.logits(params, x)))
    assert on[0] == off[0]
    np.testing.assert_array_equal(on[1], off[1])


def test_an_unknown_kernel_choice_is_named():
    code = "import optimizers.fused"
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, GAMMASWEEP_KERNELS="fast")).stderr
    assert "GAMMASWEEP_KERNELS='fast' is not a kernel choice; allowed: numba, numpy" in err
