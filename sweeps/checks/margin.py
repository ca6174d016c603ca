"""The equivalence margin a protocol declares (``hydra.sweeper.protocol.margin``), per task.

    margin: 0.01                      absolute, in the units of the compared test metric
    margin: {absolute: 0.01}          the same, said explicitly
    margin: {relative: 0.01}          1 % of the reference's mean test metric (runs that trained)
    margin: {points: 1}               1 accuracy point (0.01 of an accuracy in [0, 1])
    margin: {by_model: {mnist_mlp: {relative: 0.01}, noisy_quadratic: 0.0005, default: 0.01}}
                                      per model (``model`` of the runs); ``default`` for the rest

``leaf(spec, model)`` is the ``(kind, value)`` that applies to a model; ``check_margin`` refuses
anything else up front, in one paragraph.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sweeps.errors import SweepError

from ._values import is_real

KINDS = ("absolute", "relative", "points")
BY_MODEL = "by_model"
ALLOWED = ("a finite number > 0 (absolute, in the test metric's units), {absolute: x}, "
           "{relative: x} (x times the reference's mean test metric), {points: x} (accuracy "
           "points, for an accuracy metric), each x > 0, or {by_model: {<model>: one of those, "
           "default: one of those}}")


def _positive(value: Any) -> bool:
    return is_real(value) and math.isfinite(value) and value > 0


def _is_leaf(spec: Any) -> bool:
    if _positive(spec):
        return True
    return (isinstance(spec, Mapping) and len(spec) == 1 and next(iter(spec)) in KINDS
            and _positive(next(iter(spec.values()))))


def leaf(spec: Any, model: str | None) -> tuple[str, float] | None:
    """``(kind, value)`` of the margin that applies to ``model``; None when the mapping names
    neither the model nor ``default``."""
    if isinstance(spec, Mapping) and BY_MODEL in spec:
        per = spec[BY_MODEL]
        spec = per.get(model, per.get("default")) if model is not None else per.get("default")
        if spec is None:
            return None
    if _positive(spec):
        return "absolute", float(spec)
    kind, value = next(iter(spec.items()))
    return str(kind), float(value)


def check_margin(spec: Any, key: str = "hydra.sweeper.protocol.margin") -> None:
    """Refuse a margin outside the grammar of the module docstring."""
    per = spec.get(BY_MODEL) if isinstance(spec, Mapping) and len(spec) == 1 else None
    ok = _is_leaf(spec) or (isinstance(per, Mapping) and len(per) > 0
                           and all(isinstance(k, str) and _is_leaf(v) for k, v in per.items()))
    if not ok:
        shown = dict(spec) if isinstance(spec, Mapping) else spec
        raise SweepError(f"{key}={shown!r} is not allowed; it must be {ALLOWED}.")
