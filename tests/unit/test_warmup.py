"""lr_warmup against torch.optim.lr_scheduler.LinearLR, in every optimizer and in a population."""

import numpy as np
import pytest
from support.population import compare
from test_optimizers_vs_torch import SHAPES, torch_factory

import models
import optimizers

torch = pytest.importorskip("torch")

STEPS, W = 30, 7


def run_both(name, hp, dtype):
    """Ours with lr_warmup=W against torch's optimizer + LinearLR(1/W, 1, W − 1), one scheduler
    step after each optimizer step, on the same random gradients."""
    rng = np.random.default_rng(1)
    ours = {k: rng.standard_normal(s).astype(dtype) for k, s in SHAPES.items()}
    grads = [{k: rng.standard_normal(s).astype(dtype) for k, s in SHAPES.items()} for _ in range(STEPS)]
    theirs = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in ours.items()}
    opt = optimizers.create(name, lr_warmup=W, **hp)
    topt = torch_factory(name, opt.hyperparameters)(list(theirs.values()))
    sched = torch.optim.lr_scheduler.LinearLR(topt, start_factor=1 / W, end_factor=1.0, total_iters=W - 1)
    path_ours, path_theirs = [], []
    for g in grads:
        opt.update(ours, g)
        for k, p in theirs.items():
            p.grad = torch.from_numpy(g[k].copy())
        topt.step()
        sched.step()
        path_ours.append(ours["W"].copy())
        path_theirs.append(theirs["W"].detach().numpy().copy())
    return np.array(path_ours), np.array(path_theirs)


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 2e-5)])
def test_rmsprop_warmup_trajectory_equals_torch_linear_lr(dtype, rtol):
    ours, theirs = run_both("rmsprop", {"lr": 0.01, "gamma": 0.9, "eps": 1e-8}, dtype)
    assert ours.dtype == np.dtype(dtype) and np.isfinite(ours).all()
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * 1e-2)
    # the warm-up matters: without it the first step is W times larger
    plain = optimizers.create("rmsprop", lr=0.01, gamma=0.9, eps=1e-8)
    rng = np.random.default_rng(1)
    p = {k: rng.standard_normal(s).astype(dtype) for k, s in SHAPES.items()}
    start = p["W"].copy()
    plain.update(p, {k: rng.standard_normal(s).astype(dtype) for k, s in SHAPES.items()})
    np.testing.assert_allclose(p["W"] - start, W * (ours[0] - start), rtol=1e-4)


@pytest.mark.parametrize("name", ["sgd", "nesterov", "adagrad", "adam"])
def test_every_optimizer_warms_up_as_torch_does(name):
    ours, theirs = run_both(name, {"lr": 0.05}, "float64")
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_momentum_warms_up_the_lr_inside_its_velocity():
    """momentum.py's v ← μ·v − lr_t·g; θ ← θ + v (torch's SGD scales its buffer by the current lr
    instead, so the two part under a changing lr)."""
    rng = np.random.default_rng(2)
    grads = rng.standard_normal((STEPS, 4))
    p, theta, v = {"W": np.zeros(4)}, np.zeros(4), np.zeros(4)
    opt = optimizers.create("momentum", lr=0.05, momentum=0.9, lr_warmup=W)
    for t, g in enumerate(grads):
        opt.update(p, {"W": g.copy()})
        v = 0.9 * v - 0.05 * min(1.0, (t + 1) / W) * g
        theta = theta + v
        np.testing.assert_allclose(p["W"], theta, rtol=1e-12, atol=1e-15)


def test_population_members_with_their_own_warmup_equal_separate_runs():
    hps = {"lr": np.array([1e-2, 3e-2, 1e-2]), "gamma": 0.9, "lr_warmup": np.array([0.0, 5.0, 20.0])}
    compare(models.create("quadratic"), "rmsprop", hps=hps, steps=25)
    compare(models.create("quadratic"), "rmsprop", hps=hps, steps=25, dtype="float32", rtol=1e-6)


@pytest.mark.parametrize("bad", [-1, 2.5, True, "5", float("inf"), np.array([1.0, -2.0])])
def test_lr_warmup_must_be_a_whole_number_of_steps(bad):
    with pytest.raises(optimizers.HyperparameterError, match="lr_warmup"):
        optimizers.create("rmsprop", lr=np.array([0.1, 0.2]), lr_warmup=bad)


def test_warmup_of_zero_or_one_step_changes_nothing():
    runs = []
    for w in (0, 1):
        p = {"W": np.ones(3)}
        opt = optimizers.create("adam", lr_warmup=w)
        for _ in range(3):
            opt.update(p, {"W": np.array([1.0, -2.0, 3.0])})
        runs.append(p["W"])
    np.testing.assert_array_equal(*runs)
    assert optimizers.create("sgd", lr_warmup=4).hyperparameters["lr_warmup"] == 4
