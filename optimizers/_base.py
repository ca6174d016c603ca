"""The thin stateful wrapper: a dict of parameters updated in place, one small state per key.

Each optimizer module supplies two functions over a NamedTuple state (optax style):

    init(param, **hyperparameters) -> state        # buffers: zeros of param's dtype and shape
    step(param, grad, state, **hyperparameters) -> state

``step`` updates ``param`` and the state's buffers in place (this is the training hot path) and
returns the state with its step counter advanced; it reads nothing else. ``Optimizer.update`` has
the interface of "Deep Learning from Scratch" (common/optimizer.py): ``update(params, grads)``. Every optimizer also takes ``lr_warmup`` (``_warmup.py``): while it
lasts, ``step`` gets the warmed-up lr in place of ``lr``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from . import _warmup


class Spec(NamedTuple):
    """What the registry knows about one optimizer."""

    name: str
    defaults: Mapping[str, Any]  # every hyperparameter and its default, in signature order
    init: Callable[..., Any]
    step: Callable[..., Any]
    aliases: Mapping[str, str] = {}  # alternative name -> hyperparameter, e.g. adam: gamma -> beta2


class Optimizer:
    """Updates ``params[key]`` in place from ``grads[key]``; state is created lazily per key.

    Attributes:
        name: the registry name, e.g. ``"rmsprop"``.
        hyperparameters: every hyperparameter in effect (defaults included) plus aliases such as
            adam's ``gamma`` (= ``beta2``); a fresh dict on each access.
        step_count: number of ``update`` calls so far.
        state: key -> that parameter's state (NamedTuple). A key first seen after some updates
            starts its own step counter at 0, as in torch.optim.

    Populations: a hyperparameter given as an array of shape (K,) or (K, 1, ..., 1) holds one value
    per trial. Every parameter then has the K trials on its leading axis, and the array is reshaped
    to (K, 1, ..., 1) with that parameter's number of axes, e.g. (K, 1, 1) for W of shape (K, m, n)
    and (K, 1) for b of shape (K, n). ``keep_trials`` gives the optimizer of some of the trials
    (members of a population leave as they stop).
    """

    def __init__(self, spec: Spec, hyperparameters: dict[str, Any]):
        self._spec = spec
        self._hp = hyperparameters
        self.step_count = 0
        self.state: dict[str, Any] = {}
        self._key_hp: dict[str, dict[str, Any]] = {}  # hyperparameters shaped for each parameter

    @property
    def name(self) -> str:
        return self._spec.name

    @property
    def hyperparameters(self) -> dict[str, Any]:
        report = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in self._hp.items()}
        for alias, target in self._spec.aliases.items():
            report[alias] = self._hp[target]
        return report

    def update(self, params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        if params.keys() != grads.keys():
            raise ValueError(
                f"{self.name}: params and grads must have the same keys, but params has "
                f"{sorted(params)} and grads has {sorted(grads)}."
            )
        for key, param in params.items():
            grad = grads[key]
            state = self.state.get(key)
            if state is None:
                _check_param(self.name, key, param)
                self._key_hp[key] = _shape_for(self.name, key, self._hp, param)
                state = self._spec.init(param, **self._key_hp[key])
            if np.shape(grad) != param.shape:
                raise ValueError(
                    f"{self.name}: grads[{key!r}] must have the shape of params[{key!r}], "
                    f"{param.shape}, but got shape {np.shape(grad)}."
                )
            hp = self._key_hp[key]
            if _warmup.active(self.step_count, hp.get("lr_warmup", 0)):
                hp = hp | {"lr": hp["lr"] * _warmup.factor(self.step_count, hp["lr_warmup"])}
            self.state[key] = self._spec.step(param, grad, state, **hp)
        self.step_count += 1

    def keep_trials(self, rows: Any, params: dict[str, np.ndarray]) -> Optimizer:
        """A copy that updates only the trials ``rows`` of a population (old indices, in order).

        Per-trial hyperparameters and state buffers keep those rows; counters and shared
        hyperparameters are copied as they are. ``params`` are the new stacked parameters: a state
        buffer shaped like one takes that parameter's memory layout, so the in-place updates keep
        running over matching strides. A trial's update reads only its own rows, so the trials kept
        continue exactly as they would have. This optimizer is not modified.
        """
        rows = np.asarray(rows, dtype=np.intp)
        new = copy.copy(self)
        new._hp = {name: _take(v, rows) for name, v in self._hp.items()}
        new._key_hp = {key: {name: _take(v, rows) for name, v in hp.items()}
                       for key, hp in self._key_hp.items()}
        new.state = {key: type(state)(*(_take(v, rows, like=params[key]) for v in state))
                     for key, state in self.state.items()}
        return new

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items())
        return f"Optimizer({self.name!r}, {args})"


def _take(value: Any, rows: np.ndarray, like: np.ndarray | None = None) -> Any:
    """value[rows] for per-trial arrays; counters and shared scalars unchanged."""
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return value
    if like is not None and value.shape[1:] == like.shape[1:]:
        out = np.empty_like(like)  # like's strides, e.g. the (d0, K, d1) layout of a stacked W1
        out[...] = value[rows]
        return out
    return value[rows]


def _check_param(opt: str, key: str, param: Any) -> None:
    if not isinstance(param, np.ndarray) or param.dtype.kind != "f" or not param.flags.writeable:
        raise ValueError(
            f"{opt}: params[{key!r}] must be a writeable floating-point numpy array (it is "
            f"updated in place), but got {type(param).__name__}"
            f"{'' if not isinstance(param, np.ndarray) else f' of dtype {param.dtype}'}."
        )


def _shape_for(opt: str, key: str, hp: dict[str, Any], param: np.ndarray) -> dict[str, Any]:
    """Reshape per-trial arrays (K, 1, ..., 1) to broadcast against ``param`` of shape (K, ...)."""
    shaped = {}
    for name, value in hp.items():
        if isinstance(value, np.ndarray):
            k = value.shape[0]
            if param.ndim == 0 or param.shape[0] != k:
                raise ValueError(
                    f"{opt}: {name} holds {k} per-trial values, so params[{key!r}] must have {k} "
                    f"trials on its leading axis, but it has shape {param.shape}."
                )
            value = value.reshape((k,) + (1,) * (param.ndim - 1))
        shaped[name] = value
    return shaped
