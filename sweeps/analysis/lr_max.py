"""Where training breaks: lr_max(γ), the largest lr that still trains, and how it scales with 1 − γ.

Per γ, from the tuning trials and the bisection study ``<study>.lr_max`` (``sweeps/stages/lr_max.py``),
among the runs that share the setting of that γ's best trained run in everything but lr:
``lo`` is the largest lr that trained, ``hi`` the smallest lr above it that did not (diverged or
collapsed, models/outcome.py); lr_max lies in [lo, hi), reported as √(lo·hi). A γ with no trained
run is censored below the smallest lr tried, one with no failure above its trained runs is
censored above the largest.

The scaling: a least-squares line log10 lr_max = a + b·log10(1 − γ) over the γ < 1 with both
ends (``scipy.stats.linregress``), b with its 95% interval (t quantile, n − 2 degrees of freedom).
Without bias correction the first steps are lr·g/√((1 − γ)g²) = lr/√(1 − γ), so a start-up
transient predicts b ≈ 0.5; the bias-corrected convention has no such transient.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from . import lr_window
from .direction import best_index
from .variants import Variant

# the first, "gamma", is named after the variant's factor (``Variant.column``: beta1 ...)
COLUMNS = ["gamma", "lo", "hi", "lr_max", "censored", "n_runs", "n_bisection", *lr_window.COLUMNS]


def lr_max_table(v: Variant, params: list[str]) -> pd.DataFrame:
    """One row per value of the variant's factor (γ, β1 ...: its first column, named
    ``v.column``); ``params`` are the swept short names (lr and the factor aside) that define a
    setting. Beside lr_max, each value's lr window (``lr_window.py``) over the same runs."""
    x = v.column
    rows = pd.concat([v.tuning, v.lr_max], ignore_index=True) if len(v.lr_max) else v.tuning
    done = rows[(rows["state"] == "COMPLETE") & rows["lr"].notna() & rows[x].notna()]
    out = []
    for value, g in done.groupby(x, sort=True):
        trained = g[g["outcome"] == "trained"]
        i = best_index((trained if len(trained) else g)["value"], v.direction)
        anchor = (trained if len(trained) else g).loc[i]
        same = g
        for p in params:
            if p in g:
                same = same[same[p].astype(str) == str(anchor[p])]
        ok = same[same["outcome"] == "trained"]["lr"]
        lo = float(ok.max()) if len(ok) else math.nan
        bad = same[(same["outcome"] != "trained") & ~(same["lr"] <= lo)]["lr"]
        hi = float(bad.min()) if len(bad) else math.nan
        censored = "below" if math.isnan(lo) else "above" if math.isnan(hi) else ""
        out.append({x: float(value), "lo": lo, "hi": hi,
                    "lr_max": math.sqrt(lo * hi) if not censored else math.nan,
                    "censored": censored, "n_runs": len(same),
                    "n_bisection": int(same.index.isin(range(len(v.tuning), len(rows))).sum())}
                   | _window(g, params, v.direction))
    return pd.DataFrame(out, columns=[x, *COLUMNS[1:]])


def _window(rows: pd.DataFrame, params: list[str], direction: str) -> dict:
    m = lr_window.seed_means(rows, params)
    return lr_window.window(m["lr"], m["value"], direction)


def scaling(table: pd.DataFrame) -> dict:
    """The slope b of log10 lr_max against log10(1 − γ) with its 95% interval (NaN below 3 γ).
    Only for γ: the transient it tests is the square average's (``family`` fits no other factor)."""
    t = table[(table["gamma"] < 1) & table["lr_max"].notna()]
    if len(t) < 3:
        return {"n": len(t), "slope": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    x, y = np.log10(1 - t["gamma"].to_numpy()), np.log10(t["lr_max"].to_numpy())
    fit = stats.linregress(x, y)
    half = stats.t.ppf(0.975, len(t) - 2) * fit.stderr
    return {"n": len(t), "slope": float(fit.slope), "ci_low": float(fit.slope - half),
            "ci_high": float(fit.slope + half)}
