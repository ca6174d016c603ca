"""The public API, dtype preservation, and per-trial (population) hyperparameter arrays."""

import numpy as np
import pytest

import optimizers

NAMES = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "rmsprop_graves", "adam"]
SHAPES = {"W1": (6, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}


def test_available():
    assert optimizers.available() == NAMES
    assert set(optimizers.__all__) >= {"create", "available", "defaults", "HyperparameterError"}
    assert issubclass(optimizers.HyperparameterError, ValueError)


def test_defaults_follow_pytorch_and_chainer():
    d = lambda name: {k: v for k, v in optimizers.defaults(name).items() if k != "lr_warmup"}  # noqa: E731
    assert all(optimizers.defaults(name)["lr_warmup"] == 0 for name in NAMES)  # no warm-up, as torch.optim
    assert d("sgd") == {"lr": 0.01}
    assert d("momentum") == d("nesterov") == {"lr": 0.01, "momentum": 0.9}
    assert d("adagrad") == {"lr": 0.01, "eps": 1e-10}
    assert d("rmsprop") == {"lr": 0.01, "gamma": 0.99, "eps": 1e-8, "eps_in_sqrt": False,
                            "initial_square_avg": 0.0, "gamma_schedule": "constant", "gamma_tau": 1000.0, "gamma_power": 1.0,
                            "bias_correction": False}
    assert d("rmsprop_graves") == {"lr": 1e-4, "gamma": 0.95, "momentum": 0.9, "eps": 1e-4,
                                   "gamma_schedule": "constant", "gamma_tau": 1000.0, "gamma_power": 1.0}
    assert d("adam") == {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "gamma": 0.999}
    assert "gamma" not in d("sgd") and "eps" not in d("sgd")


@pytest.mark.parametrize("name", NAMES)
def test_object_reports_what_is_in_effect(name):
    opt = optimizers.create(name)
    assert opt.name == name
    assert opt.step_count == 0
    assert opt.hyperparameters == optimizers.defaults(name)
    opt.hyperparameters["lr"] = 123.0  # a copy: cannot change the optimizer
    assert opt.hyperparameters["lr"] == optimizers.defaults(name)["lr"]
    assert repr(opt).startswith(f"Optimizer({name!r}")


def test_gamma_is_reported():
    assert optimizers.create("rmsprop", gamma=0.5).hyperparameters["gamma"] == 0.5
    assert optimizers.create("rmsprop_graves", gamma=0.5).hyperparameters["gamma"] == 0.5
    adam = optimizers.create("adam", beta2=0.97).hyperparameters
    assert adam["gamma"] == adam["beta2"] == 0.97
    adam = optimizers.create("adam", gamma=0.9).hyperparameters
    assert adam["gamma"] == adam["beta2"] == 0.9


def test_ints_become_floats():
    hp = optimizers.create("rmsprop", lr=1, gamma=1, eps=np.float64(1e-3)).hyperparameters
    assert all(type(hp[k]) is float for k in ("lr", "gamma", "eps"))


@pytest.mark.parametrize("name", NAMES)
def test_step_count_and_in_place(name):
    rng = np.random.default_rng(0)
    params = {k: rng.standard_normal(s) for k, s in SHAPES.items()}
    arrays = dict(params)
    opt = optimizers.create(name)
    for _ in range(3):
        opt.update(params, {k: rng.standard_normal(s) for k, s in SHAPES.items()})
    assert opt.step_count == 3
    assert all(params[k] is arrays[k] for k in params)  # same array objects, updated in place
    assert all(s.count == 3 for s in opt.state.values())


# numpy 2 (NEP 50): a np.float64 scalar DOES upcast a float32 array (np.float32(1) * np.float64(2)
# is float64); a Python float does not. The optimizers must keep float32 either way.
HP_KINDS = {
    "python float": lambda v: v,
    "np.float64 scalar": np.float64,
    "float64 array (K,)": lambda v: np.full(2, v),
}


@pytest.mark.parametrize("kind", HP_KINDS)
@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32(name, kind):
    wrap = HP_KINDS[kind]
    hp = {k: wrap(v) for k, v in optimizers.defaults(name).items()
          if isinstance(v, float) and k != "gamma"}  # gamma would duplicate adam's beta2
    rng = np.random.default_rng(0)
    # leading axis of 2 so that the (K,) = (2,) arrays are per-trial values
    params = {"W": rng.standard_normal((2, 3, 4)).astype(np.float32), "b": np.zeros((2, 4), np.float32)}
    opt = optimizers.create(name, **hp)
    for _ in range(3):
        grads = {k: rng.standard_normal(p.shape).astype(np.float32) for k, p in params.items()}
        opt.update(params, grads)
    for k, p in params.items():
        assert p.dtype == np.float32
        assert np.all(np.isfinite(p))
        for buf in opt.state[k]:
            if isinstance(buf, np.ndarray) and buf.shape == p.shape:
                assert buf.dtype == np.float32, (k, buf.dtype)


def test_float64_gradients_into_float32_params():
    params = {"W": np.ones(3, np.float32)}
    opt = optimizers.create("adam")
    opt.update(params, {"W": np.ones(3)})
    assert params["W"].dtype == np.float32 and opt.state["W"].v_hat.dtype == np.float32


SETTINGS = [  # K = 3 trials of rmsprop, deliberately different in every hyperparameter
    {"lr": 0.01, "gamma": 0.0, "eps": 1e-8, "gamma_tau": 1.0, "initial_square_avg": 0.0},
    {"lr": 0.003, "gamma": 0.9, "eps": 1e-3, "gamma_tau": 10.0, "initial_square_avg": 1.0},
    {"lr": 0.1, "gamma": 1.0, "eps": 1e-2, "gamma_tau": 100.0, "initial_square_avg": 0.5},
]


@pytest.mark.parametrize("gamma_schedule", ["constant", "rising"])
@pytest.mark.parametrize("eps_in_sqrt", [False, True])
def test_rmsprop_population_equals_separate_runs(gamma_schedule, eps_in_sqrt):
    rng = np.random.default_rng(7)
    k = len(SETTINGS)
    start = {key: rng.standard_normal((k, *s)) for key, s in SHAPES.items()}
    grads = [{key: rng.standard_normal((k, *s)) for key, s in SHAPES.items()} for _ in range(30)]
    fixed = {"gamma_schedule": gamma_schedule, "eps_in_sqrt": eps_in_sqrt}

    stacked = {key: v.copy() for key, v in start.items()}
    per_trial = {h: np.array([s[h] for s in SETTINGS]).reshape(k, 1, 1) for h in SETTINGS[0]}
    population = optimizers.create("rmsprop", **per_trial, **fixed)
    for g in grads:
        population.update(stacked, g)

    for i, setting in enumerate(SETTINGS):
        single = {key: v[i].copy() for key, v in start.items()}
        opt = optimizers.create("rmsprop", **setting, **fixed)
        for g in grads:
            opt.update(single, {key: v[i] for key, v in g.items()})
        for key in single:
            np.testing.assert_allclose(stacked[key][i], single[key], rtol=1e-12, atol=1e-14, err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_population_every_optimizer(name):
    """Per-trial arrays for every real hyperparameter, K = 2, against two separate runs."""
    rng = np.random.default_rng(8)
    real = {h: v for h, v in optimizers.defaults(name).items() if isinstance(v, float) and h != "gamma"}
    trials = [real, {h: v * 0.5 for h, v in real.items()}]
    start = {key: rng.standard_normal((2, *s)) for key, s in SHAPES.items()}
    grads = [{key: rng.standard_normal((2, *s)) for key, s in SHAPES.items()} for _ in range(10)]
    stacked = {key: v.copy() for key, v in start.items()}
    population = optimizers.create(name, **{h: np.array([t[h] for t in trials]) for h in real})
    for g in grads:
        population.update(stacked, g)
    for i, setting in enumerate(trials):
        single = {key: v[i].copy() for key, v in start.items()}
        opt = optimizers.create(name, **setting)
        for g in grads:
            opt.update(single, {key: v[i] for key, v in g.items()})
        for key in single:
            np.testing.assert_allclose(stacked[key][i], single[key], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_keep_trials_continues_the_trials_kept_exactly(name):
    """K = 3 trials for 5 updates, then trials 2 and 0 alone: bit for bit the full run's rows."""
    rng = np.random.default_rng(9)
    real = {h: v for h, v in optimizers.defaults(name).items() if isinstance(v, float) and h != "gamma"}
    per_trial = {h: np.array([v, 0.5 * v, 0.25 * v]) for h, v in real.items()}
    start = {key: rng.standard_normal((3, *s)) for key, s in SHAPES.items()}
    grads = [{key: rng.standard_normal((3, *s)) for key, s in SHAPES.items()} for _ in range(10)]
    full, part = {key: v.copy() for key, v in start.items()}, {key: v.copy() for key, v in start.items()}
    opt_full, opt_part = optimizers.create(name, **per_trial), optimizers.create(name, **per_trial)
    for g in grads[:5]:
        opt_full.update(full, g)
        opt_part.update(part, g)
    rows = [2, 0]
    part = {key: v[rows] for key, v in part.items()}
    kept = opt_part.keep_trials(rows, part)
    for g in grads[5:]:
        opt_full.update(full, g)
        kept.update(part, {key: v[rows] for key, v in g.items()})
    for key in part:
        np.testing.assert_array_equal(part[key], full[key][rows], err_msg=key)
    assert opt_part.hyperparameters["lr"].shape == (3,) and kept.hyperparameters["lr"].shape == (2,)
    assert kept.step_count == 10 and opt_part.step_count == 5  # the original is left as it was


def test_population_size_must_match_leading_axis():
    opt = optimizers.create("rmsprop", lr=np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match=r"2 trials on its leading axis, but it has shape \(3, 4\)"):
        opt.update({"W": np.zeros((3, 4))}, {"W": np.zeros((3, 4))})


@pytest.mark.parametrize("name", NAMES)
def test_every_optimizer_descends_a_quadratic(name):
    """f(θ) = ½ Σ d·(θ − c)², gradient d·(θ − c), from θ = 0 with the default hyperparameters."""
    d, c = np.array([0.5, 1.0, 2.0]), np.array([1.0, -2.0, 0.5])
    params = {"x": np.zeros(3)}
    opt = optimizers.create(name)
    f = lambda x: 0.5 * np.sum(d * (x - c) ** 2)  # noqa: E731
    f0 = f(params["x"])
    for _ in range(300):
        opt.update(params, {"x": d * (params["x"] - c)})
    assert f(params["x"]) < 0.9 * f0


def test_rising_gamma_follows_zou_et_al_power_law():
    """γ_t = 1 − (1 − γ₀)/(1 + t/τ)^r: r = 1 the old schedule bit for bit, r = 0.5 the √ law."""
    from optimizers._schedules import gamma_at

    for t in (0, 1, 10, 1000):
        assert gamma_at(t, 0.9, "rising", 100.0, 1.0)[1] == (1.0 - 0.9) / (1.0 + t / 100.0)
        assert np.isclose(gamma_at(t, 0.9, "rising", 100.0, 0.5)[1], 0.1 / np.sqrt(1.0 + t / 100.0))
    _, per_trial = gamma_at(300, np.array([0.9, 0.99]), "rising", 100.0, np.array([1.0, 0.5]))
    assert np.allclose(per_trial, [0.1 / 4, 0.01 / 2])
