"""How easy γ makes tuning: the width of the lr window in which the validation value stays within
``TOLERANCE`` (5 %) of that γ's best.

Per γ, the curve is the best validation value at each lr tried over the runs that trained (over ε
and anything else swept; with tuning seeds, a setting's value is its mean over them, and a setting
that failed on any seed is outside); an lr where no run trained is outside the window, whatever its penalty
value, and a γ with no trained run has no window. With b the best point of the curve, an lr is inside
when its value is within TOLERANCE·|b| of b (below it for a minimised metric, above for a
maximised one). The window is the run of consecutive lr values around b's lr that are inside;
each end lies where the curve, drawn as straight lines between the lr tried on a log10(lr) axis,
crosses b ± TOLERANCE·|b| (a non-finite value is crossed at the last inside point). An end that
reaches the smallest or largest lr tried is censored there: the window is at least that wide.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TOLERANCE = 0.05
COLUMNS = ["window_low", "window_high", "window_decades", "window_censored"]


def window(lr: pd.Series, value: pd.Series, direction: str, tolerance: float = TOLERANCE) -> dict:
    """The window's ends (lr), its width in decades and which ends are censored ("", "below",
    "above" or "both")."""
    frame = pd.DataFrame({"lr": np.asarray(lr, float), "v": np.asarray(value, float)}).dropna(subset=["lr"])
    if direction == "maximize":
        frame["v"] = -frame["v"]   # minimise throughout
    frame["v"] = frame["v"].where(np.isfinite(frame["v"]), math.inf)
    curve = frame.groupby("lr", sort=True)["v"].min()
    if curve.empty or not np.isfinite(curve.to_numpy()).any():
        return dict(zip(COLUMNS, (math.nan, math.nan, math.nan, "")))
    x, y = np.log10(curve.index.to_numpy()), curve.to_numpy()
    i = int(np.argmin(y))
    limit = y[i] + tolerance * abs(y[i])
    left, lc = _end(x, y, i, -1, limit)
    right, rc = _end(x, y, i, +1, limit)
    censored = {(False, False): "", (True, False): "below", (False, True): "above", (True, True): "both"}[(lc, rc)]
    return dict(zip(COLUMNS, (10 ** left, 10 ** right, right - left, censored)))


def _end(x: np.ndarray, y: np.ndarray, i: int, step: int, limit: float) -> tuple[float, bool]:
    """Walk from the best point ``i`` in direction ``step`` while inside; return where the curve
    crosses ``limit`` and whether the walk ran off the lr range instead."""
    j = i
    while 0 <= j + step < len(x) and y[j + step] <= limit:
        j += step
    if not 0 <= j + step < len(x):
        return float(x[j]), True
    out = y[j + step]
    frac = 0.0 if not math.isfinite(out) else (limit - y[j]) / (out - y[j])
    return float(x[j] + frac * (x[j + step] - x[j])), False


def trained_values(rows: pd.DataFrame) -> pd.Series:
    """``value`` where the run trained (models/outcome.py), NaN (outside) where it did not."""
    if "outcome" not in rows:
        return rows["value"]
    return rows["value"].where(rows["outcome"] == "trained")


def seed_means(rows: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """lr and value per setting (lr and ``params``, the seed aside): the mean over its tuning
    seeds of the values that trained, NaN (outside) if it failed on any seed. One row per trial
    when ``params`` (the swept short names) do not include the seed."""
    if "seed" not in params:
        return pd.DataFrame({"lr": rows["lr"], "value": trained_values(rows)})
    keys = ["lr", *(p for p in params if p in rows and p not in ("lr", "seed", "gamma"))]
    frame = rows.assign(v=trained_values(rows))[keys + ["v"]]
    means = frame.groupby(keys, dropna=False, sort=True)["v"].agg(lambda v: v.mean(skipna=False))
    return means.rename("value").reset_index()


def windows(rows: pd.DataFrame, direction: str, params: list[str] = (), tolerance: float = TOLERANCE) -> pd.DataFrame:
    """One row per γ of the COMPLETE ``rows``: γ and its window (``params``: the swept short
    names that make a setting, besides lr)."""
    done = rows[(rows["state"] == "COMPLETE") & rows["lr"].notna() & rows["gamma"].notna()]
    out = []
    for g, part in done.groupby("gamma", sort=True):
        m = seed_means(part, list(params))
        out.append({"gamma": float(g)} | window(m["lr"], m["value"], direction, tolerance))
    return pd.DataFrame(out, columns=["gamma", *COLUMNS])
