"""Each optimizer against torch.optim on identical gradient sequences, float64, rtol 1e-10."""

import numpy as np
import pytest

import optimizers

torch = pytest.importorskip("torch")

SHAPES = {"W": (4, 3), "b": (3,), "K": (2, 3, 2)}
STEPS = 50


def torch_factory(name, hp):
    """The torch.optim equivalent of ``optimizers.create(name, **hp)``."""
    o = torch.optim
    if name == "sgd":
        return lambda ps: o.SGD(ps, lr=hp["lr"], foreach=False)
    if name == "momentum":
        return lambda ps: o.SGD(ps, lr=hp["lr"], momentum=hp["momentum"], foreach=False)
    if name == "nesterov":
        return lambda ps: o.SGD(ps, lr=hp["lr"], momentum=hp["momentum"], nesterov=True, foreach=False)
    if name == "adagrad":
        return lambda ps: o.Adagrad(ps, lr=hp["lr"], eps=hp["eps"], foreach=False)
    if name == "rmsprop":
        return lambda ps: o.RMSprop(ps, lr=hp["lr"], alpha=hp["gamma"], eps=hp["eps"], foreach=False)
    if name == "adam":
        betas = (hp["beta1"], hp["beta2"])
        return lambda ps: o.Adam(ps, lr=hp["lr"], betas=betas, eps=hp["eps"], foreach=False)
    raise KeyError(name)


CASES = [
    ("sgd", {}),
    ("sgd", {"lr": 0.3}),
    ("momentum", {}),
    ("momentum", {"lr": 0.05, "momentum": 0.5}),
    ("momentum", {"momentum": 0.0}),
    ("nesterov", {}),
    ("nesterov", {"lr": 0.1, "momentum": 0.99}),
    ("adagrad", {}),
    ("adagrad", {"lr": 0.5, "eps": 1e-3}),
    ("rmsprop", {}),
    ("rmsprop", {"lr": 1e-3, "gamma": 0.9, "eps": 1e-6}),
    ("rmsprop", {"gamma": 0.5}),
    ("rmsprop", {"gamma": 0.0}),  # s = g²: sign descent
    ("rmsprop", {"gamma": 1.0}),  # s stays 0: steps of lr·g/ε
    ("rmsprop", {"gamma": 0.999, "eps": 1.0}),
    ("adam", {}),
    ("adam", {"lr": 0.01, "beta1": 0.5, "beta2": 0.9, "eps": 1e-6}),
    ("adam", {"beta1": 0.0, "beta2": 0.0}),
    ("adam", {"gamma": 0.99}),  # the alias of beta2
]


def case_id(case):
    name, hp = case
    return name + "".join(f"-{k}={v}" for k, v in hp.items())


def start_params(rng):
    return {k: rng.standard_normal(s) for k, s in SHAPES.items()}


def run_both(name, hp, grad_fn, rng):
    """Run ours and torch from the same start; grad_fn(key, param, t) gives the gradient."""
    ours = start_params(rng)
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in ours.items()}
    opt = optimizers.create(name, **hp)
    topt = torch_factory(name, opt.hyperparameters)(list(theirs.values()))
    for t in range(STEPS):
        grads = {k: grad_fn(k, p, t) for k, p in ours.items()}
        opt.update(ours, grads)
        for k, p in theirs.items():
            p.grad = torch.from_numpy(grad_fn(k, p.detach().numpy().copy(), t))
        topt.step()
    return ours, {k: p.detach().numpy() for k, p in theirs.items()}


def assert_same(ours, theirs):
    for k in ours:
        assert ours[k].dtype == np.float64
        assert np.all(np.isfinite(ours[k])), k  # assert_allclose would accept NaN == NaN
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-10, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_random_gradients_match_torch(case):
    rng = np.random.default_rng(0)
    grads = {k: rng.standard_normal((STEPS, *s)) * rng.uniform(0.01, 3) for k, s in SHAPES.items()}
    ours, theirs = run_both(*case, lambda k, p, t: grads[k][t], rng)
    assert_same(ours, theirs)


@pytest.mark.parametrize("case", [c for c in CASES if c[1].get("gamma") != 1.0], ids=case_id)
def test_quadratic_gradients_match_torch(case):
    """Gradients of f(θ) = ½ Σ d·(θ − c)² taken at the current parameters, so errors feed back."""
    rng = np.random.default_rng(1)
    curv = {k: rng.uniform(0.1, 2.0, s) for k, s in SHAPES.items()}
    centre = {k: rng.standard_normal(s) for k, s in SHAPES.items()}
    ours, theirs = run_both(*case, lambda k, p, t: curv[k] * (p - centre[k]), rng)
    assert_same(ours, theirs)


def test_torch_rejects_beta2_one_which_we_allow():
    p = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="beta"):
        torch.optim.Adam([p], betas=(0.9, 1.0))
    assert optimizers.create("adam", beta2=1.0).hyperparameters["gamma"] == 1.0


def test_adam_beta2_one_is_the_limit_of_torch():
    """β2 = 1 is the β2 → 1 limit: close to torch at β2 = 1 − 1e-7 (difference O(t·1e-7))."""
    rng = np.random.default_rng(2)
    grads = {k: rng.standard_normal((STEPS, *s)) for k, s in SHAPES.items()}
    ours = start_params(np.random.default_rng(3))
    opt = optimizers.create("adam", beta2=1.0)
    for t in range(STEPS):
        opt.update(ours, {k: g[t] for k, g in grads.items()})
    _, theirs = run_both("adam", {"beta2": 1 - 1e-7}, lambda k, p, t: grads[k][t], np.random.default_rng(3))
    for k in ours:
        assert np.all(np.isfinite(ours[k]))
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-4, err_msg=k)
        assert not np.allclose(ours[k], theirs[k], rtol=1e-12, atol=0)  # really two different runs
