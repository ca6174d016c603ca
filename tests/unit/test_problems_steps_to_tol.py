"""steps_to_tol: the first step k with f(θ_k) − f* ≤ tolerance·(f(θ_0) − f*), exact per step."""

import math

import numpy as np
import pytest

import models
import optimizers
from models.population import train_population
from models.train import train

# SGD lr=0.5 on x²/20 + y² from (−7, 2): y = 0 after one step, x shrinks by 0.95 a step, so
# f(θ_k) = 2.45·0.9025^k for k ≥ 1, against f(θ_0) = 6.45
TOL = 0.1
BY_HAND = math.ceil(math.log(TOL * 6.45 / 2.45) / math.log(0.9025))  # 14


def sgd(lr):
    return optimizers.create("sgd", lr=lr)


def test_sgd_on_the_quadratic_by_hand():
    assert BY_HAND == 14
    problem = models.create("quadratic", tolerance=TOL)
    r = train(problem, sgd(0.5), steps=40, eval_every=100, dtype="float64")  # evaluated at 0 and 40 only
    assert r.final["steps_to_tol"] == BY_HAND
    assert r.history["step"] == [0, 40] and r.steps_done == 40  # the run goes on to the end
    pop = train_population(problem, optimizers.create("sgd", lr=np.array([0.5, 1e-4])), k=2,
                           steps=40, eval_every=100, dtype="float64")
    assert pop[0].final["steps_to_tol"] == BY_HAND
    assert math.isnan(pop[1].final["steps_to_tol"])  # never reached: NaN


def test_off_by_default_and_nan_when_diverged():
    assert "steps_to_tol" not in train(models.create("quadratic"), sgd(0.5), steps=5).final
    r = train(models.create("quadratic", tolerance=0.5), sgd(1.5), steps=12, eval_every=2)
    assert r.diverged and math.isnan(r.final["steps_to_tol"])


@pytest.mark.parametrize("name", ["rotated_quadratic", "linear_regression", "noisy_quadratic", "reddi"])
def test_agrees_with_a_per_step_replay(name):
    problem = models.create(name, tolerance=0.2)
    opt = lambda: optimizers.create("rmsprop", lr=0.1, gamma=0.9)
    r = train(problem, opt(), steps=200, eval_every=50, dtype="float64", seed=4, batch_size=8)
    losses = [train(problem, opt(), steps=k, eval_every=10 ** 6, dtype="float64", seed=4,
                    batch_size=8).final["val_loss"] for k in range(1, 201)]
    f0 = r.history["val_loss"][0]
    excess = np.array(losses) - problem.optimum_loss
    reached = np.flatnonzero(excess <= 0.2 * (f0 - problem.optimum_loss))
    assert reached.size and reached[0] > 0 and r.final["steps_to_tol"] == reached[0] + 1
