"""Hyperparameter checks shared by every optimizer; errors name the bad value and what is allowed.

Real-valued hyperparameters may be Python numbers or numpy arrays (one value per trial of a
population, shape (K, 1, ..., 1)); arrays are checked element by element. Numpy scalars and 0-d
arrays become Python floats, because under numpy 2 (NEP 50) a ``np.float64`` scalar *does* upcast a
float32 array while a Python float does not.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from ._schedules import SCHEDULES


class HyperparameterError(ValueError):
    """An optimizer name, hyperparameter name or hyperparameter value that is not allowed."""


class Interval(NamedTuple):
    """A range of real numbers; ``describe()`` is the wording used in error messages."""

    low: float
    high: float
    low_closed: bool
    high_closed: bool
    note: str = ""

    def contains(self, x: np.ndarray) -> np.ndarray:
        above = x >= self.low if self.low_closed else x > self.low
        below = x <= self.high if self.high_closed else x < self.high
        return above & below  # NaN fails both comparisons, so it is never contained

    def describe(self, name: str) -> str:
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"{left}{_fmt(self.low)}, {_fmt(self.high)}{right}{self.note.format(name=name)}"


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:g}"


_POSITIVE_FINITE = Interval(0.0, math.inf, False, False, " (positive and finite)")

# One rule per hyperparameter name, whichever optimizer uses it.
REAL_RULES: dict[str, Interval] = {
    "lr": _POSITIVE_FINITE,
    "eps": _POSITIVE_FINITE,
    "gamma": Interval(0.0, 1.0, True, True, " ({name} = 1 is allowed)"),
    "momentum": Interval(0.0, 1.0, True, False),
    "beta1": Interval(0.0, 1.0, True, False),
    "beta2": Interval(0.0, 1.0, True, True, " ({name} = 1 is allowed)"),
    "gamma_tau": _POSITIVE_FINITE,
    "gamma_power": _POSITIVE_FINITE,
    "initial_square_avg": Interval(0.0, math.inf, True, False, " (finite)"),
}
# Names other libraries use (torch's RMSprop alpha, Keras's rho), for the "did you mean" hint.
_OTHER_NAMES = {"alpha": "gamma", "rho": "gamma", "learning_rate": "lr", "epsilon": "eps"}
BOOL_NAMES = frozenset({"eps_in_sqrt", "bias_correction"})
COUNT_NAMES = frozenset({"lr_warmup"})  # whole numbers of steps
CHOICES: dict[str, tuple[str, ...]] = {"gamma_schedule": SCHEDULES}


def check_real(opt: str, name: str, value: Any, interval: Interval) -> float | np.ndarray:
    """Return ``value`` as a Python float or a float64 array copy, or raise HyperparameterError."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        arr = np.array(value, dtype=np.float64)  # a copy: later edits by the caller do not leak in
    elif isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        arr = np.array(float(value))
    else:
        raise HyperparameterError(
            f"{opt}: {name} must be a real number (or a numpy array of real numbers, one per "
            f"trial), but got {name}={value!r} of type {type(value).__name__}."
        )
    ok = interval.contains(arr)
    if arr.ndim == 0:
        if not ok:
            shown = value if type(value) in (int, float) else float(arr)
            raise HyperparameterError(
                f"{opt}: {name} must be in {interval.describe(name)}, but got {name}={shown!r}."
            )
        return float(arr)
    if arr.size == 0 or any(n != 1 for n in arr.shape[1:]):
        raise HyperparameterError(
            f"{opt}: an array for {name} must have shape (K,) or (K, 1, ..., 1), one value per "
            f"trial of a population, but got {name} of shape {arr.shape}."
        )
    if not ok.all():
        raise HyperparameterError(
            f"{opt}: every element of {name} must be in {interval.describe(name)}, but got "
            f"{name}={arr.tolist()} whose elements {arr[~ok].tolist()} are outside it."
        )
    return arr


def check_count(opt: str, name: str, value: Any) -> int | np.ndarray:
    """Return ``value`` as a Python int or a float64 array copy of whole numbers ≥ 0, or raise."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf" and value.ndim > 0:
        arr = np.array(value, dtype=np.float64)
        if any(n != 1 for n in arr.shape[1:]) or not np.all((arr >= 0) & (arr == np.floor(arr))):
            raise HyperparameterError(
                f"{opt}: an array for {name} must hold one whole number >= 0 per trial, shape (K,) "
                f"or (K, 1, ..., 1), but got {name}={arr.tolist()} of shape {arr.shape}."
            )
        return arr
    if (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
            and math.isfinite(value) and value >= 0 and value == int(value)):
        return int(value)
    raise HyperparameterError(
        f"{opt}: {name} must be a whole number of steps >= 0 (0: no warm-up), but got {name}={value!r}."
    )


def check_bool(opt: str, name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise HyperparameterError(
            f"{opt}: {name} must be a bool (True or False), but got {name}={value!r} "
            f"of type {type(value).__name__}."
        )
    return bool(value)


def check_choice(opt: str, name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise HyperparameterError(
            f"{opt}: {name} must be one of {', '.join(map(repr, choices))}, but got {name}={value!r}."
        )
    return value


def check_value(opt: str, name: str, value: Any, label: str | None = None) -> Any:
    """Check ``value`` by the rule for ``name``; messages call it ``label`` (an alias) if given."""
    label = label or name
    if name in REAL_RULES:
        return check_real(opt, label, value, REAL_RULES[name])
    if name in COUNT_NAMES:
        return check_count(opt, label, value)
    if name in BOOL_NAMES:
        return check_bool(opt, label, value)
    if name in CHOICES:
        return check_choice(opt, label, value, CHOICES[name])
    raise AssertionError(f"no validation rule for hyperparameter {name!r}")  # a bug here, not the caller's


def _same(a: Any, b: Any) -> bool:
    return bool(np.array_equal(a, b))


def resolve(
    opt: str, defaults: Mapping[str, Any], given: Mapping[str, Any], aliases: Mapping[str, str]
) -> dict[str, Any]:
    """Merge ``given`` over ``defaults`` after mapping aliases (e.g. adam's gamma -> beta2); check all."""
    allowed = sorted({*defaults, *aliases})
    given = dict(given)
    for name in given:
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            if _OTHER_NAMES.get(name) in allowed:
                close = [_OTHER_NAMES[name]]
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise HyperparameterError(
                f"{opt}: unknown hyperparameter {name!r}; {opt} accepts {', '.join(allowed)}.{hint}"
            )
    for alias, target in aliases.items():
        if alias in given:
            value = check_value(opt, target, given.pop(alias), label=alias)
            if target in given and not _same(given[target], value):
                raise HyperparameterError(
                    f"{opt}: {alias} is another name for {target}, so they must agree, but got "
                    f"{alias}={value!r} and {target}={given[target]!r}. Pass only one of them."
                )
            given[target] = value
    out = {name: check_value(opt, name, given.get(name, default)) for name, default in defaults.items()}
    if out.get("bias_correction") and np.any(out.get("initial_square_avg", 0.0) != 0):
        raise HyperparameterError(
            f"{opt}: bias_correction=True divides by the average's weight, so the start value plays no "
            f"part; initial_square_avg must stay 0, but got initial_square_avg="
            f"{out['initial_square_avg']!r}."
        )
    if out.get("bias_correction") and out.get("gamma_schedule", "constant") != "constant":
        raise HyperparameterError(
            f"{opt}: bias_correction=True is defined for a constant γ (Adam's form); with "
            f"gamma_schedule={out['gamma_schedule']!r} use bias_correction=False."
        )
    return out
