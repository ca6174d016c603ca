"""reddi (Reddi et al. 2018, Section 3): the online sequence, the projection, and the paper's claim
that RMSprop with a short memory (γ = β2 = 1/(1 + C²)) ends at the worst point x = +1."""

import numpy as np
import pytest

import models
import optimizers
from models.outcome import COLLAPSED, TRAINED
from models.train import train
from support.population import compare


def test_online_sequence_loss_and_projection():
    p = models.create("reddi")
    assert (p.C, p.start.tolist(), p.optimum.tolist(), p.dim, p.trajectory_key) == (3, [1], [-1], 1, None)
    oracle = p.oracle(np.random.default_rng(0), 128)
    theta = np.array([0.25])
    grads = [oracle({"theta": theta})[1]["theta"][0] for _ in range(7)]
    assert grads == [3, -1, -1, 3, -1, -1, 3]  # f_t = C·x for t mod 3 == 1, t = 1, 2, ...
    assert oracle({"theta": theta})[0] == p.loss({"theta": theta}) == pytest.approx(1.25 / 3)
    assert p.loss({"theta": np.array([-1.0])}) == 0 and p.loss({"theta": np.array([1.0])}) == pytest.approx(2 / 3)
    x = np.array([[1.7], [-3.0], [0.2]])
    p.project(x)
    np.testing.assert_array_equal(x, [[1], [-1], [0.2]])


def test_stochastic_version_draws_c_with_probability_p():
    p = models.create("reddi", C=5, stochastic=True, delta=0.2)
    oracle, n = p.oracle(np.random.default_rng(1), 1), 20_000
    g = np.array([oracle({"theta": np.zeros(1)})[1]["theta"][0] for _ in range(n)])
    assert set(g) == {5, -1}
    prob = (1 + 0.2) / 6
    assert abs((g == 5).mean() - prob) < 5 * np.sqrt(prob * (1 - prob) / n)
    assert abs(g.mean() - 0.2) < 0.05  # E ∇f_t = δ
    assert p.loss({"theta": np.array([0.0])}) == pytest.approx(0.2)


def run(gamma, lr=0.01, steps=3000, **options):
    return train(models.create("reddi", **options), optimizers.create("rmsprop", lr=lr, gamma=gamma),
                 steps=steps, eval_every=steps, dtype="float64")


def test_rmsprop_with_short_memory_ends_at_the_wrong_end():
    # Theorem 1's β1 = 0, β2 = 1/(1 + C²) = 0.1 for C = 3: x goes to +1 and stays there
    short = run(1 / (1 + 3 ** 2))
    assert short.params["theta"][0] == 1.0
    assert short.outcome == COLLAPSED  # f(θ_0) is the largest loss there is; no progress
    # a long memory averages g² over the period and drifts to x* = −1
    long = run(0.999)
    assert long.params["theta"][0] < -0.95 and long.outcome == TRAINED
    assert long.final["val_loss"] < 0.05 * short.final["val_loss"]


def test_stochastic_version_short_and_long_memory():
    short = run(0.1, steps=6000, C=10, stochastic=True, delta=0.5)
    long = run(0.999, steps=6000, C=10, stochastic=True, delta=0.5)
    assert short.params["theta"][0] > 0.5 and long.params["theta"][0] < -0.5


@pytest.mark.parametrize("options", [{}, dict(stochastic=True, C=4, delta=0.5, start=[0.3])])
def test_population_members_equal_separate_runs(options):
    compare(models.create("reddi", tolerance=0.5, **options), "rmsprop", steps=60, eval_every=7,
            hps=dict(lr=np.array([0.01, 0.1, 0.3]), gamma=np.array([0.1, 0.9, 0.999])))
