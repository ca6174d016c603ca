"""The paths of the 2-D problems: the best run per optimizer, and RMSprop's best run per γ.

Trials of the 2-D problems carry their path in the user attribute ``trajectory`` (at most 201
points, written by the sweep). "Best" is the lowest final f among runs that did not diverge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import optuna
from optuna.trial import TrialState

from ..storages.rdb import open_existing
from sweeps import records


@dataclass(frozen=True)
class Path2D:
    problem: str
    optimizer: str
    label: str            # e.g. "adam (lr 0.1)" or "γ = 0.9 (lr 0.01)"
    points: np.ndarray    # (n, 2)
    value: float          # final f


def best_paths(storage: str, family: str) -> tuple[list[Path2D], list[Path2D]]:
    """(best path per (problem, optimizer), best RMSprop path per (problem, γ))."""
    per_optimizer: list[Path2D] = []
    per_gamma: list[Path2D] = []
    st = open_existing(storage)
    for name in sorted(optuna.get_all_study_names(st)):
        if not name.startswith(family + ".") or name.endswith(".seeds"):
            continue
        study = optuna.load_study(study_name=name, storage=st)
        identity = study.user_attrs.get(records.IDENTITY, {})
        runs = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if records.TRAJECTORY in t.user_attrs and not t.user_attrs.get(records.DIVERGED)]
        if not runs:
            continue
        problem, opt = identity.get("model", "?"), identity.get("optimizer", "?")
        best = min(runs, key=lambda t: t.value)
        per_optimizer.append(_path(problem, opt, f"{opt} (lr {_g(best.params.get('optimizer.lr'))})", best))
        if opt == "rmsprop":
            for gamma in sorted({t.params.get("optimizer.gamma") for t in runs} - {None}):
                b = min((t for t in runs if t.params.get("optimizer.gamma") == gamma), key=lambda t: t.value)
                per_gamma.append(_path(problem, opt, f"γ = {gamma:g} (lr {_g(b.params.get('optimizer.lr'))})", b))
    return per_optimizer, per_gamma


def _path(problem: str, opt: str, label: str, t: optuna.trial.FrozenTrial) -> Path2D:
    return Path2D(problem, opt, label, np.asarray(t.user_attrs[records.TRAJECTORY], dtype=float), float(t.value))


def _g(x) -> str:
    return "?" if x is None else f"{x:.3g}"
