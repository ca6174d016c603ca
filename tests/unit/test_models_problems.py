"""Two-parameter problems: exact gradients, closed-form optima, fixed starts, dtypes."""

import numpy as np
import pytest

import models

NAMES = ["quadratic", "rotated_quadratic", "linear_regression"]


@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_finite_differences(name):
    problem = models.create(name)
    rng = np.random.default_rng(0)
    h = 1e-6
    for theta in [problem.start, rng.normal(size=2) * 5, rng.normal(size=2)]:
        _, grads = problem.loss_and_grads({"theta": theta.copy()})
        fd = np.array([
            (problem.loss({"theta": theta + h * e}) - problem.loss({"theta": theta - h * e})) / (2 * h)
            for e in np.eye(2)
        ])
        err = np.linalg.norm(grads["theta"] - fd) / (np.linalg.norm(grads["theta"]) + np.linalg.norm(fd))
        assert err < 1e-8


def test_quadratics_closed_form():
    q, r = models.create("quadratic"), models.create("rotated_quadratic")
    assert q.loss({"theta": np.array([-7.0, 2.0])}) == pytest.approx(49 / 20 + 4)
    # the rotated problem is 4 × the quadratic turned by 45°: f_rot(R p) = 4 f_quad(p)
    R = np.array([[1, 1], [1, -1]]) / np.sqrt(2)  # columns: the valley (1,1)/√2 and (1,−1)/√2
    for p in [np.array([-7.0, 2.0]), np.array([0.3, -1.1])]:
        assert r.loss({"theta": R @ p}) == pytest.approx(4 * q.loss({"theta": p}), rel=1e-12)
    np.testing.assert_allclose(r.start, R @ q.start)
    assert r.loss({"theta": r.start}) == pytest.approx(25.8)
    for problem in (q, r):
        np.testing.assert_array_equal(problem.optimum, [0, 0])
        assert problem.optimum_loss == 0
        _, g = problem.loss_and_grads({"theta": problem.optimum.copy()})
        np.testing.assert_array_equal(g["theta"], [0, 0])


def test_linear_regression_optimum_matches_lstsq():
    problem = models.create("linear_regression", data_seed=7)
    assert problem.x.shape == (100,) and 0 <= problem.x.min() and problem.x.max() < 2
    X = np.stack([np.ones(100), problem.x], axis=1)
    theta, *_ = np.linalg.lstsq(X, problem.y, rcond=None)
    np.testing.assert_allclose(problem.optimum, theta, rtol=1e-12)
    assert problem.optimum_loss == pytest.approx(np.mean((X @ theta - problem.y) ** 2), rel=1e-12)
    assert abs(problem.optimum[0] - 4) < 1 and abs(problem.optimum[1] - 3) < 1  # y = 4 + 3x + ε
    _, g = problem.loss_and_grads({"theta": problem.optimum.copy()})
    assert np.linalg.norm(g["theta"]) < 1e-12
    # data depend on data_seed only
    np.testing.assert_array_equal(models.create("linear_regression", data_seed=7).y, problem.y)
    assert not np.array_equal(models.create("linear_regression", data_seed=8).y, problem.y)


@pytest.mark.parametrize("name", NAMES)
def test_start_is_fixed_and_dtype_is_kept(name):
    problem = models.create(name)
    a = problem.init_params(np.random.default_rng(0), "float32")
    b = problem.init_params(np.random.default_rng(99), "float32")
    np.testing.assert_array_equal(a["theta"], b["theta"])
    assert a["theta"].dtype == np.float32 and not problem.needs_data
    loss, g = problem.loss_and_grads(a)
    assert isinstance(loss, float) and g["theta"].dtype == np.float32


def test_options_and_errors():
    q = models.create("quadratic", start=(1.0, 1.0))
    assert q.loss({"theta": q.init_params(None, "float64")["theta"]}) == pytest.approx(1.05)
    with pytest.raises(models.ModelError, match="data_seed"):
        models.create("quadratic", data_seed=1)
    with pytest.raises(models.ModelError, match="start"):
        models.create("rotated_quadratic", start=(1.0,))
    assert models.create("linear_regression", num_points=10).x.shape == (10,)
