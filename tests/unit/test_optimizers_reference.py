"""Options torch does not have, against plain scalar formulas written out here, element by element.

Covers rmsprop's eps_in_sqrt / initial_square_avg / rising γ schedule, rmsprop_graves (Graves 2013
eq. 38–41), what γ = 1 does, and Adam at β2 = 1.
"""

import math

import numpy as np
import pytest

import optimizers
from optimizers._schedules import gamma_at

SHAPES = {"W": (3, 4), "b": (4,)}
STEPS = 50


def gamma_ref(t, gamma0, schedule, tau, power=1.0):
    return gamma0 if schedule == "constant" else 1 - (1 - gamma0) / (1 + t / tau) ** power


def rmsprop_ref(theta, grads, lr, gamma, eps, eps_in_sqrt, initial_square_avg, gamma_schedule, gamma_tau,
                gamma_power, bias_correction):
    s, weight, product = initial_square_avg, 0.0, 1.0
    for t, g in enumerate(grads):
        gt = gamma_ref(t, gamma, gamma_schedule, gamma_tau, gamma_power)
        s = gt * s + (1 - gt) * g * g
        product *= gt
        if bias_correction:  # s / (1 − Π γ_t), the Adam form; the plain mean of g² at γ = 1
            weight = gt * weight + 1.0
            s_used = s / (1 - product) if product < 1 else None
            if s_used is None:
                s_used = sum(x * x for x in grads[: t + 1]) / (t + 1)
        else:
            s_used = s
        theta -= lr * g / (math.sqrt(s_used + eps) if eps_in_sqrt else math.sqrt(s_used) + eps)
    return theta


def graves_ref(theta, grads, lr, gamma, momentum, eps, gamma_schedule, gamma_tau, gamma_power):
    n = gbar = delta = 0.0
    for t, g in enumerate(grads):
        gt = gamma_ref(t, gamma, gamma_schedule, gamma_tau, gamma_power)
        n = gt * n + (1 - gt) * g * g  # eq. 38
        gbar = gt * gbar + (1 - gt) * g  # eq. 39
        delta = momentum * delta - lr * g / math.sqrt(n - gbar * gbar + eps)  # eq. 40
        theta += delta  # eq. 41
    return theta


def adam_beta2_one_ref(theta, grads, lr, beta1, beta2, eps):
    """Adam with v̂ the plain mean of g² (the β2 → 1 limit); m̂ as in the paper."""
    assert beta2 == 1.0
    m, sum_sq = 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        sum_sq += g * g
        theta -= lr * (m / (1 - beta1**t)) / (math.sqrt(sum_sq / t) + eps)
    return theta


REFS = {"rmsprop": rmsprop_ref, "rmsprop_graves": graves_ref, "adam": adam_beta2_one_ref}

CASES = [
    ("rmsprop", {"eps_in_sqrt": True}),
    ("rmsprop", {"eps_in_sqrt": True, "gamma": 0.9, "eps": 1e-3}),
    ("rmsprop", {"initial_square_avg": 1.0}),
    ("rmsprop", {"initial_square_avg": 1.0, "eps_in_sqrt": True, "gamma": 0.9}),
    ("rmsprop", {"gamma_schedule": "rising", "gamma_tau": 10.0, "gamma": 0.5}),
    ("rmsprop", {"gamma_schedule": "rising", "gamma_tau": 10.0, "gamma_power": 0.5, "gamma": 0.5}),
    ("rmsprop", {"gamma_schedule": "rising", "gamma": 1.0, "eps_in_sqrt": True}),
    ("rmsprop", {"bias_correction": True, "gamma": 0.9}),
    ("rmsprop", {"bias_correction": True, "gamma": 1.0}),
    ("rmsprop_graves", {}),
    ("rmsprop_graves", {"lr": 1e-2, "gamma": 0.9, "momentum": 0.5, "eps": 1e-6}),
    ("rmsprop_graves", {"momentum": 0.0, "gamma": 0.0}),
    ("rmsprop_graves", {"gamma": 1.0}),
    ("rmsprop_graves", {"gamma_schedule": "rising", "gamma_tau": 5.0}),
    ("adam", {"beta2": 1.0}),
    ("adam", {"gamma": 1.0, "beta1": 0.5, "lr": 0.1}),
]


def case_id(case):
    name, hp = case
    return name + "".join(f"-{k}={v}" for k, v in hp.items())


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_scalar_reference(case):
    name, hp = case
    rng = np.random.default_rng(0)
    params = {k: rng.standard_normal(s) for k, s in SHAPES.items()}
    start = {k: v.copy() for k, v in params.items()}
    grads = {k: rng.standard_normal((STEPS, *s)) * 0.5 for k, s in SHAPES.items()}
    opt = optimizers.create(name, **hp)
    for t in range(STEPS):
        opt.update(params, {k: g[t] for k, g in grads.items()})
    ref_hp = {k: v for k, v in opt.hyperparameters.items()
              if (k != "gamma" or name != "adam") and k != "lr_warmup"}   # no warm-up here (test_warmup.py)
    for k, p in params.items():
        expected = [REFS[name](float(start[k][i]), grads[k][:, *i], **ref_hp) for i in np.ndindex(p.shape)]
        np.testing.assert_allclose(p.ravel(), expected, rtol=1e-10, atol=1e-12, err_msg=k)


def test_graves_on_a_quadratic():
    d, c, theta = np.array([0.5, 2.0]), np.array([1.0, -1.0]), np.zeros(2)
    params = {"x": theta.copy()}
    opt = optimizers.create("rmsprop_graves", lr=0.01)
    ref = [0.0, 0.0]
    n, gbar, delta = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    for _ in range(200):
        opt.update(params, {"x": d * (params["x"] - c)})
        for i in range(2):
            g = d[i] * (ref[i] - c[i])
            n[i] = 0.95 * n[i] + 0.05 * g * g
            gbar[i] = 0.95 * gbar[i] + 0.05 * g
            delta[i] = 0.9 * delta[i] - 0.01 * g / math.sqrt(n[i] - gbar[i] ** 2 + 1e-4)
            ref[i] += delta[i]
    np.testing.assert_allclose(params["x"], ref, rtol=1e-10)
    assert np.linalg.norm(params["x"] - c) < np.linalg.norm(theta - c)  # it did descend


# --- γ = 1: the square average never moves, so the conventions decide the step size ---


def run(name, grads, **hp):
    params = {"x": np.linspace(-1.0, 1.0, 5)}
    opt = optimizers.create(name, **hp)
    for g in grads:
        opt.update(params, {"x": g})
    return params["x"]


@pytest.fixture
def grads():
    return np.random.default_rng(4).standard_normal((20, 5))


def test_gamma_one_eps_after_root_steps_lr_over_eps(grads):
    x = run("rmsprop", grads, gamma=1.0, lr=0.01, eps=1e-8)
    np.testing.assert_allclose(x, np.linspace(-1, 1, 5) - 0.01 / 1e-8 * grads.sum(0), rtol=1e-12)


def test_gamma_one_eps_in_root_steps_lr_over_sqrt_eps(grads):
    x = run("rmsprop", grads, gamma=1.0, lr=0.01, eps=1e-8, eps_in_sqrt=True)
    np.testing.assert_allclose(x, np.linspace(-1, 1, 5) - 0.01 / 1e-4 * grads.sum(0), rtol=1e-12)


@pytest.mark.parametrize("eps_in_sqrt", [False, True])
def test_gamma_one_started_at_one_is_sgd(grads, eps_in_sqrt):
    x = run("rmsprop", grads, gamma=1.0, lr=0.01, initial_square_avg=1.0, eps_in_sqrt=eps_in_sqrt)
    scale = 1 / math.sqrt(1 + 1e-8) if eps_in_sqrt else 1 / (1 + 1e-8)
    np.testing.assert_allclose(x, run("sgd", grads, lr=0.01 * scale), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(x, run("sgd", grads, lr=0.01), rtol=1e-7)  # plain SGD up to ε


def test_gamma_one_rmsprop_state_stays_put(grads):
    opt = optimizers.create("rmsprop", gamma=1.0, initial_square_avg=1.0)
    params = {"x": np.zeros(5)}
    for g in grads:
        opt.update(params, {"x": g})
    assert np.array_equal(opt.state["x"].square_avg, np.ones(5))


# --- the γ schedule itself ---


def test_rising_schedule_values():
    assert gamma_at(0, 0.9, "rising", 100.0)[0] == pytest.approx(0.9)
    assert gamma_at(100, 0.9, "rising", 100.0)[0] == pytest.approx(0.95)  # 1 − γ halves after τ
    assert gamma_at(10**6, 0.9, "rising", 100.0)[0] == pytest.approx(1.0, abs=1e-4)
    assert gamma_at(7, 1.0, "rising", 3.0) == (1.0, 0.0)
    assert gamma_at(7, 0.9, "constant", 3.0) == (0.9, 1.0 - 0.9)
    g, om = gamma_at(5, np.array([0.0, 0.5]), "rising", np.array([1.0, 10.0]))
    np.testing.assert_allclose(g, [1 - 1 / 6, 1 - 0.5 / 1.5])
    np.testing.assert_allclose(g + om, 1.0)


def test_constant_schedule_is_the_default():
    rng = np.random.default_rng(5)
    g = rng.standard_normal((10, 5))
    assert np.array_equal(run("rmsprop", g), run("rmsprop", g, gamma_schedule="constant"))
    assert not np.array_equal(run("rmsprop", g), run("rmsprop", g, gamma_schedule="rising", gamma_tau=1.0))
