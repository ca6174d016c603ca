"""rotated_quadratic at any angle: 45° is the original problem, 0° is 4 × quadratic (mirrored start)."""

import numpy as np
import pytest

import models
import optimizers
from models.train import train
from support.population import compare

S = np.sqrt(0.5)


def original(theta):
    """The problem before it had an angle: 0.1 (x1 + x2)² + 2 (x1 − x2)²."""
    s, d = theta[0] + theta[1], theta[0] - theta[1]
    return 0.1 * s * s + 2 * d * d, np.array([0.2 * s + 4 * d, 0.2 * s - 4 * d])


def test_angle_45_is_the_original_problem():
    r = models.create("rotated_quadratic", angle=45)
    assert models.create("rotated_quadratic").angle == 45
    np.testing.assert_allclose(r.start, [-5 * S, -9 * S], rtol=1e-15)
    np.testing.assert_array_equal(r.init_params(None, "float32")["theta"],
                                  np.array([-5 * S, -9 * S], dtype=np.float32))
    for theta in [r.start, *np.random.default_rng(0).normal(size=(20, 2)) * 5]:
        f, g = r.loss_and_grads({"theta": theta.copy()})
        f0, g0 = original(theta)
        assert f == pytest.approx(f0, rel=1e-15, abs=1e-15)
        np.testing.assert_allclose(g["theta"], g0, rtol=1e-15, atol=1e-15 * np.abs(g0).max())


def test_angle_0_is_four_times_the_quadratic_mirrored():
    r, q = models.create("rotated_quadratic", angle=0), models.create("quadratic")
    np.testing.assert_array_equal(r.start, [-7, -2])  # (u, v) = (−7, 2) with v = −x2 at 0°
    for theta in [q.start, *np.random.default_rng(1).normal(size=(20, 2)) * 5]:
        f, g = r.loss_and_grads({"theta": theta.copy()})
        fq, gq = q.loss_and_grads({"theta": theta.copy()})
        assert f == pytest.approx(4 * fq, rel=1e-15)
        np.testing.assert_allclose(g["theta"], 4 * gq["theta"], rtol=1e-15, atol=1e-300)
    # SGD with lr/4 takes the quadratic's path mirrored in x2, at 4 × its losses
    a, b = (train(p, optimizers.create("sgd", lr=lr), steps=40, eval_every=10, dtype="float64")
            for p, lr in ((r, 0.0125), (q, 0.05)))
    np.testing.assert_allclose(a.history["val_loss"], 4 * np.array(b.history["val_loss"]), rtol=1e-12)
    np.testing.assert_allclose(a.trajectory, b.trajectory * [1, -1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("angle", [0, 30, 45, 100, -60])
def test_gradient_matches_finite_differences_and_optimum(angle):
    r = models.create("rotated_quadratic", angle=angle)
    h = 1e-6
    for theta in [r.start, *np.random.default_rng(2).normal(size=(3, 2)) * 3]:
        g = r.loss_and_grads({"theta": theta.copy()})[1]["theta"]
        fd = [(r.loss({"theta": theta + h * e}) - r.loss({"theta": theta - h * e})) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(g, fd, rtol=1e-7, atol=1e-7)
    assert r.loss({"theta": r.start}) == pytest.approx(0.2 * 49 + 4 * 4)  # (u, v) = (−7, 2)
    assert r.loss({"theta": np.zeros(2)}) == 0


def test_population_members_equal_separate_runs_at_any_angle():
    compare(models.create("rotated_quadratic", angle=30, tolerance=0.01), "rmsprop", steps=60,
            eval_every=7, hps=dict(lr=np.array([0.01, 0.1, 0.3]), gamma=np.array([0.5, 0.9, 0.99])))
