"""Every invalid input raises HyperparameterError naming the bad value and what is allowed."""

import numpy as np
import pytest

import optimizers
from optimizers import HyperparameterError

# (optimizer, hyperparameter, bad value, text of the allowed range that must appear)
BAD_VALUES = [
    ("sgd", "lr", 0.0, "(0, inf)"),
    ("sgd", "lr", -0.1, "(0, inf)"),
    ("adam", "lr", float("inf"), "(0, inf)"),
    ("momentum", "lr", float("nan"), "(0, inf)"),
    ("rmsprop", "gamma", 1.5, "[0, 1]"),
    ("rmsprop", "gamma", -0.01, "[0, 1]"),
    ("rmsprop_graves", "gamma", 2, "[0, 1]"),
    ("rmsprop", "eps", 0.0, "(0, inf)"),
    ("adagrad", "eps", -1e-8, "(0, inf)"),
    ("adam", "eps", float("inf"), "(0, inf)"),
    ("momentum", "momentum", 1.0, "[0, 1)"),
    ("nesterov", "momentum", -0.5, "[0, 1)"),
    ("rmsprop_graves", "momentum", 1.2, "[0, 1)"),
    ("adam", "beta1", 1.0, "[0, 1)"),
    ("adam", "beta2", 1.001, "[0, 1]"),
    ("adam", "gamma", -0.1, "[0, 1]"),
    ("rmsprop", "gamma_tau", 0.0, "(0, inf)"),
    ("rmsprop", "initial_square_avg", -1.0, "[0, inf)"),
]


@pytest.mark.parametrize("opt, name, value, allowed", BAD_VALUES)
def test_out_of_range(opt, name, value, allowed):
    with pytest.raises(HyperparameterError) as info:
        optimizers.create(opt, **{name: value})
    message = str(info.value)
    assert f"{name}={value!r}" in message
    assert allowed in message
    assert message.startswith(opt)
    assert "\n" not in message


def test_gamma_message_wording():
    with pytest.raises(HyperparameterError, match=r"^rmsprop: gamma must be in \[0, 1\] \(gamma = 1 is allowed\), but got gamma=1\.5\.$"):
        optimizers.create("rmsprop", gamma=1.5)


@pytest.mark.parametrize("value", ["0.1", None, [0.1], 1 + 0j, True, np.bool_(False), np.array(["a"])])
def test_non_numeric(value):
    with pytest.raises(HyperparameterError, match=r"lr must be a real number") as info:
        optimizers.create("sgd", lr=value)
    assert type(value).__name__ in str(info.value)


@pytest.mark.parametrize("value", [1, 0, "True", None, 1.0])
def test_bool_option_must_be_bool(value):
    with pytest.raises(HyperparameterError, match=r"eps_in_sqrt must be a bool .* but got eps_in_sqrt="):
        optimizers.create("rmsprop", eps_in_sqrt=value)


@pytest.mark.parametrize("opt", ["rmsprop", "rmsprop_graves"])
def test_unknown_schedule_lists_known(opt):
    with pytest.raises(HyperparameterError, match=r"'constant', 'rising', but got gamma_schedule='cosine'"):
        optimizers.create(opt, gamma_schedule="cosine")


@pytest.mark.parametrize("name", ["rmsporp", "RMSprop", "", None])
def test_unknown_optimizer_lists_known(name):
    with pytest.raises(HyperparameterError) as info:
        optimizers.create(name)
    assert repr(name) in str(info.value)
    for known in optimizers.available():
        assert known in str(info.value)
    with pytest.raises(HyperparameterError):
        optimizers.defaults(name)


@pytest.mark.parametrize("opt, name", [("sgd", "gamma"), ("sgd", "eps"), ("rmsprop", "alpha"),
                                       ("adam", "betas"), ("momentum", "nesterov")])
def test_unknown_hyperparameter_lists_allowed(opt, name):
    with pytest.raises(HyperparameterError) as info:
        optimizers.create(opt, **{name: 0.5})
    message = str(info.value)
    assert repr(name) in message
    for allowed in optimizers.defaults(opt):
        assert allowed in message


def test_torch_name_hint():
    with pytest.raises(HyperparameterError, match="Did you mean 'gamma'"):
        optimizers.create("rmsprop", alpha=0.9)


def test_adam_gamma_alias_conflict():
    with pytest.raises(HyperparameterError, match=r"gamma=0\.9 and beta2=0\.99"):
        optimizers.create("adam", gamma=0.9, beta2=0.99)
    assert optimizers.create("adam", gamma=0.9, beta2=0.9).hyperparameters["beta2"] == 0.9


def test_array_checks_every_element():
    with pytest.raises(HyperparameterError, match=r"every element of gamma .* \[1\.5\] are outside"):
        optimizers.create("rmsprop", gamma=np.array([0.5, 1.5, 0.9]).reshape(3, 1, 1))
    with pytest.raises(HyperparameterError, match=r"every element of lr"):
        optimizers.create("sgd", lr=np.array([0.1, np.nan]))


def test_array_must_be_per_trial():
    with pytest.raises(HyperparameterError, match=r"shape \(K,\) or \(K, 1, \.\.\., 1\).*\(2, 3\)"):
        optimizers.create("rmsprop", lr=np.full((2, 3), 0.1))


def test_update_checks_keys_and_shapes():
    opt = optimizers.create("sgd")
    with pytest.raises(ValueError, match="same keys"):
        opt.update({"W": np.zeros(3)}, {"V": np.zeros(3)})
    with pytest.raises(ValueError, match=r"shape of params\['W'\], \(3,\), but got shape \(1,\)"):
        opt.update({"W": np.zeros(3)}, {"W": np.zeros(1)})
    with pytest.raises(ValueError, match="floating-point numpy array"):
        opt.update({"W": np.zeros(3, dtype=int)}, {"W": np.zeros(3)})
