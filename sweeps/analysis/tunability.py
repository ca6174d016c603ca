"""Tunability of γ (Probst, Boulesteix & Bischl, JMLR 2019): what tuning γ gains over a default.

    d = metric(default γ) − metric(best γ)        (sign flipped for a maximised metric)

each side with lr (and everything else swept) re-tuned, so d ≥ 0 and d = 0 means the default is
as good as any γ. Defaults: 0.99 (PyTorch's RMSprop alpha) and 0.9 (Keras, Hinton's lecture).
"At the default" is the grid value itself, or, for continuously sampled γ, the trials whose
memory 1/(1 − γ) is within a factor 10**0.15 ≈ 1.4 of the default's.

With seed re-runs of both configurations (the best at the default γ and the best overall), d is
also given from their seed means, ± the standard error of that difference.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sweeps import factor as factors

from . import points, seeds
from .direction import best_index, gain
from .sensitivity import complete
from .variants import Variant

DEFAULTS = {"PyTorch": 0.99, "Keras": 0.9}
DEFAULT_WINDOW = 0.15  # decades of 1 − γ
COLUMNS = ["name", "default", "n_default", "at_default", "best_gamma", "best", "d",
           "seed_d", "seed_se", "reason"]


def near(gamma: pd.Series, default: float, grid: tuple[float, ...] | None) -> pd.Series:
    """Which ``gamma`` values count as "the default"."""
    if grid is not None:
        return np.isclose(gamma.astype(float), default, rtol=0, atol=1e-9)
    with np.errstate(divide="ignore"):
        memory = np.log10(1.0 - gamma.astype(float))
    return (memory - math.log10(1.0 - default)).abs() <= DEFAULT_WINDOW


def tunability(v: Variant, defaults: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per default (``DEFAULTS`` for γ; none for another factor, whose default is the
    protocol's reference: ``confirmation.tunability_table``)."""
    defaults = (DEFAULTS if factors.is_gamma(v.factor) else {}) if defaults is None else defaults
    x = v.column
    done = complete(v.tuning)
    grid = points.fit(done[x]).grid
    groups = seeds.groups(v.seeds, x)
    rows = []
    for name, default in defaults.items():
        row = {"name": name, "default": default, **dict.fromkeys(COLUMNS[2:], math.nan)}
        ib, at = best_index(done["value"], v.direction), done[near(done[x], default, grid)]
        row["n_default"] = len(at)
        if ib is None or at.empty:
            row["reason"] = _missing(default, grid, done)
            rows.append(row)
            continue
        ia = best_index(at["value"], v.direction)
        row |= {"at_default": at.loc[ia, "value"], "best": done.loc[ib, "value"],
                "best_gamma": done.loc[ib, x]}
        row["d"] = gain(row["best"], row["at_default"], v.direction)
        row |= _seed_d(groups.rename(columns={x: "gamma"}), default, grid, v.direction)
        row["reason"] = None
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def _seed_d(groups: pd.DataFrame, default: float, grid, direction: str) -> dict:
    if groups.empty:
        return {}
    g_best = seeds.best_group(groups, direction)
    g_def = seeds.best_group(groups[near(groups["gamma"], default, grid)], direction)
    if g_best is None or g_def is None:
        return {}
    var = (g_best["std"] ** 2) / g_best["n"] + (g_def["std"] ** 2) / g_def["n"]
    return {"seed_d": gain(g_best["mean"], g_def["mean"], direction), "seed_se": math.sqrt(var)}


def _missing(default: float, grid, done: pd.DataFrame) -> str:
    if done.empty:
        return "no complete trial"
    if grid is not None:
        return f"γ = {default:g} is not among the swept values ({', '.join(f'{g:g}' for g in grid)})"
    return f"no trial with γ near {default:g} (1 − γ within a factor 1.4)"
