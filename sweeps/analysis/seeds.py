"""Seed re-runs (the ``<study>.seeds`` study): spread over seeds of each re-run configuration.

Each seed trial names the tuning trial it repeats (user attribute ``source_trial``); trials
without it are grouped by their parameters instead.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .direction import best_index

_PARAMS = ("lr", "gamma", "eps", "initial_square_avg", "gamma_schedule", "eps_in_sqrt")


def groups(seed_rows: pd.DataFrame, factor: str = "gamma") -> pd.DataFrame:
    """One row per re-run configuration: source_trial, n, mean, std, min, max and its params
    (``factor``: the column of the factor compared, a param beside lr, γ, ε ...)."""
    done = seed_rows[seed_rows["state"] == "COMPLETE"]
    params = _params(factor)
    columns = ["source_trial", "n", "mean", "std", "min", "max", "n_diverged", *params]
    if done.empty:
        return pd.DataFrame(columns=columns)
    by_source = "trial " + done["source_trial"].astype("Int64").astype(str)
    key = by_source.where(done["source_trial"].notna(), "params " + _param_key(done, params))
    rows = []
    for _, g in done.groupby(key, sort=False):
        v = g["value"].astype(float)
        first = g.iloc[0]
        rows.append({
            "source_trial": first["source_trial"], "n": len(v), "mean": v.mean(),
            "std": v.std(ddof=1) if len(v) > 1 else math.nan, "min": v.min(), "max": v.max(),
            "n_diverged": int(g["diverged"].sum()),
            **{p: first.get(p) for p in params},
        })
    return pd.DataFrame(rows, columns=columns)


def best_group(g: pd.DataFrame, direction: str) -> pd.Series | None:
    """The re-run configuration with the best mean over seeds (less selection bias than one run)."""
    i = best_index(g["mean"], direction) if not g.empty else None
    return None if i is None else g.loc[i]


def noise(g: pd.DataFrame, factor: str = "gamma") -> float:
    """Typical seed standard deviation: sqrt of the median variance of groups with >= 2 seeds.

    Only configurations with the factor (column ``factor`` of ``groups``) below 1 and no diverged
    re-run count, and the median rather than the mean: one unstable configuration (seen: a
    best-by-luck lr = 0.1 with σ ≈ 0.3 against ≈ 0.01 elsewhere) would otherwise make every
    difference between the γ < 1 points look like noise.
    """
    x = pd.to_numeric(g[factor], errors="coerce") if factor in g else pd.Series(math.nan, index=g.index)
    stable = g[(g["n_diverged"] == 0) & ~(x >= 1)]
    var = stable["std"].dropna() ** 2
    return float(np.sqrt(var.median())) if len(var) else math.nan


def _params(factor: str) -> tuple[str, ...]:
    return _PARAMS if factor in _PARAMS else (*_PARAMS, factor)


def _param_key(rows: pd.DataFrame, params: tuple[str, ...] = _PARAMS) -> pd.Series:
    present = [p for p in params if p in rows]
    return rows[present].map(str).agg("|".join, axis=1)
