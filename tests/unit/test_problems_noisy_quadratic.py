"""noisy_quadratic (Zhang et al. 2019): L = ½ Σ θ_i²/i, gradient noise covariance H/B, random start."""

import numpy as np
import pytest

import models
from models.train import train
from support.population import compare


def test_exact_loss_gradient_and_spectrum():
    p = models.create("noisy_quadratic", dim=5)
    np.testing.assert_allclose(p.h, [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    theta = np.random.default_rng(0).normal(size=5)
    assert p.loss({"theta": theta}) == pytest.approx(0.5 * np.sum(theta ** 2 / np.arange(1, 6)), rel=1e-15)
    h = 1e-6
    fd = [(p.loss({"theta": theta + h * e}) - p.loss({"theta": theta - h * e})) / (2 * h) for e in np.eye(5)]
    np.testing.assert_allclose(p.loss_and_grads({"theta": theta})[1]["theta"], fd, rtol=1e-7)
    assert p.optimum_loss == 0 and p.trajectory_key is None and p.streamed


@pytest.mark.parametrize("batch_size", [1, 16, 256])
def test_gradient_noise_has_covariance_h_over_b(batch_size):
    p, n = models.create("noisy_quadratic", dim=4), 20_000
    theta = np.array([1.0, -2.0, 0.5, 3.0])
    oracle = p.oracle(np.random.default_rng(7), batch_size)
    noise = np.array([oracle({"theta": theta})[1]["theta"] for _ in range(n)]) - p.h * theta  # (n, d)
    # sample variance of n normals: relative standard error √(2/n) = 1%; 5 of them allowed
    np.testing.assert_allclose(noise.var(axis=0) * batch_size / p.h, 1, atol=5 * np.sqrt(2 / n))
    assert np.abs(np.corrcoef(noise.T) - np.eye(4)).max() < 5 / np.sqrt(n)  # independent coordinates
    assert oracle({"theta": theta})[0] == p.loss({"theta": theta})  # the loss is the exact L(θ)


def test_seeds_differ_in_start_and_noise():
    import optimizers
    p = models.create("noisy_quadratic", dim=10)
    a, b = (p.init_params(np.random.default_rng(s), "float64")["theta"] for s in (0, 1))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, np.random.default_rng(0).standard_normal(10))
    run = lambda seed, bs: train(p, optimizers.create("sgd", lr=0.5), steps=30, eval_every=10,
                                 seed=seed, batch_size=bs, dtype="float64")
    assert run(0, 8).history["val_loss"] == run(0, 8).history["val_loss"]
    assert run(0, 8).history["val_loss"][-1] != run(0, 9).history["val_loss"][-1]  # B reaches the noise
    assert run(0, 8).trajectory is None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_population_members_equal_separate_runs(dtype):
    compare(models.create("noisy_quadratic", dim=20, tolerance=0.3), "rmsprop", steps=40, eval_every=9,
            dtype=dtype, rtol=1e-9 if dtype == "float64" else 1e-5,
            hps=dict(lr=np.array([0.01, 0.05, 0.2]), gamma=np.array([0.1, 0.9, 0.999])))
