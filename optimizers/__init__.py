"""Numpy optimizers for a dict of parameters, updated in place.

    >>> import numpy as np, optimizers
    >>> opt = optimizers.create("rmsprop", lr=0.01, gamma=0.9)
    >>> params = {"W": np.ones(3)}
    >>> opt.update(params, {"W": np.full(3, 2.0)})
    >>> opt.hyperparameters["gamma"], opt.step_count
    (0.9, 1)

Every optimizer is one module with a small state and an ``init``/``step`` pair; its docstring gives
the update as math with every convention (where ε goes, the initial state, where lr enters).
Real-valued hyperparameters may also be numpy arrays broadcasting against the parameters, e.g.
shape (K, 1, ..., 1) for K trials stacked on a leading axis.
"""

from __future__ import annotations

from typing import Any

from . import _warmup, adagrad, adam, momentum, nesterov, rmsprop, rmsprop_graves, sgd
from ._base import Optimizer, Spec
from ._validation import HyperparameterError, resolve

__all__ = ["HyperparameterError", "Optimizer", "available", "create", "defaults"]

_SPECS: dict[str, Spec] = {
    m.SPEC.name: m.SPEC for m in (sgd, momentum, nesterov, adagrad, rmsprop, rmsprop_graves, adam)
}


def available() -> list[str]:
    """Names accepted by ``create``, from plain SGD to Adam."""
    return list(_SPECS)


def _spec(name: Any) -> Spec:
    if not isinstance(name, str) or name not in _SPECS:
        raise HyperparameterError(
            f"unknown optimizer {name!r}; known optimizers are {', '.join(_SPECS)}."
        )
    return _SPECS[name]


def defaults(name: str) -> dict[str, Any]:
    """Every hyperparameter of optimizer ``name`` with its default; equals ``create(name).hyperparameters``.

    Adam lists both ``beta2`` and its alias ``gamma``; pass only one of them to ``create`` (or
    equal values), otherwise it raises HyperparameterError.
    """
    spec = _spec(name)
    report = dict(spec.defaults) | _warmup.DEFAULTS
    for alias, target in spec.aliases.items():
        report[alias] = spec.defaults[target]
    return report


def create(name: str, **hyperparameters: Any) -> Optimizer:
    """Return optimizer ``name`` with ``update(params, grads)``; raise HyperparameterError on bad input.

    Names: sgd, momentum, nesterov, adagrad, rmsprop, rmsprop_graves, adam; each also takes
    ``lr_warmup`` (steps of linear warm-up, 0 by default; see _warmup.py). Unknown names,
    unknown hyperparameters and values out of range are rejected with a message naming the value
    and what is allowed.
    """
    spec = _spec(name)
    return Optimizer(spec, resolve(name, dict(spec.defaults) | _warmup.DEFAULTS, hyperparameters, spec.aliases))
