"""RMSprop's framework conventions: each composes to its settings and computes what it claims."""

from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

import optimizers
from optimizers import HyperparameterError

CONF = Path(__file__).resolve().parents[2] / "conf"
EXPECTED = {  # (s₀, ε inside the root, bias correction), as each framework's source has it
    "pytorch": (0.0, False, False), "tf1": (1.0, True, False),
    "optax": (0.0, True, False), "bias_corrected": (0.0, False, True),
}


def _steps(opt, grads, start):
    p = {"w": start.copy()}
    for g in grads:
        opt.update(p, {"w": g})
    return p["w"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_convention_composes_to_its_settings(name):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=[f"convention={name}"])
    o = cfg.optimizer
    assert (o.initial_square_avg, o.eps_in_sqrt, o.bias_correction) == EXPECTED[name]
    assert o.name == "rmsprop" and o.gamma == 0.99  # nothing else changed


@pytest.mark.parametrize("gamma", [0.0, 0.9, 0.999, 1.0])
def test_bias_corrected_rmsprop_is_adam_with_beta1_zero(gamma):
    rng = np.random.default_rng(0)
    grads, start = rng.normal(size=(25, 7)), rng.normal(size=7)
    ours = _steps(optimizers.create("rmsprop", lr=1e-2, gamma=gamma, bias_correction=True), grads, start)
    adam = _steps(optimizers.create("adam", lr=1e-2, beta1=0.0, beta2=gamma), grads, start)
    np.testing.assert_allclose(ours, adam, rtol=1e-12)


def test_bias_corrected_rmsprop_matches_torch_adam_with_betas_0_gamma():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    grads, start = rng.normal(size=(30, 5)), rng.normal(size=5)
    ours = _steps(optimizers.create("rmsprop", lr=3e-3, gamma=0.95, bias_correction=True), grads, start)
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=3e-3, betas=(0.0, 0.95), eps=1e-8)
    for g in grads:
        w.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(ours, w.detach().numpy(), rtol=1e-10)


def test_the_tf1_convention_at_gamma_1_is_sgd_with_lr_over_root_1_plus_eps():
    rng = np.random.default_rng(2)
    grads, start = rng.normal(size=(10, 4)), rng.normal(size=4)
    ours = _steps(optimizers.create("rmsprop", lr=0.1, gamma=1.0, eps=1e-3, initial_square_avg=1.0,
                                    eps_in_sqrt=True), grads, start)
    np.testing.assert_allclose(ours, start - 0.1 / np.sqrt(1.001) * grads.sum(0), rtol=1e-12)


def test_bias_correction_refuses_a_start_value_it_would_ignore():
    with pytest.raises(HyperparameterError, match=r"initial_square_avg=1\.0"):
        optimizers.create("rmsprop", bias_correction=True, initial_square_avg=1.0)
    with pytest.raises(HyperparameterError, match="gamma_schedule='rising'"):
        optimizers.create("rmsprop", bias_correction=True, gamma_schedule="rising")
    with pytest.raises(HyperparameterError, match="bias_correction must be a bool"):
        optimizers.create("rmsprop", bias_correction="yes")
