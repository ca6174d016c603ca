"""The sensitivity curve: the best final metric at each γ, with lr re-tuned and at a fixed lr.

γ stands for the variant's factor (``Variant.column``, β1 for a β1 study): the curve's first
column is named after it.

Re-tuned: at each γ point, the best COMPLETE trial over everything else the study swept (lr, ε,
...). This is what a user who tunes lr for their γ gets; a flat curve means γ does not matter.
Fixed lr: the same, restricted to trials at one lr (the lr of the study's best trial unless one is
given; on a continuous lr axis, trials within ±0.25 decade of it). A curve that is flat when
re-tuned but steep at fixed lr says "γ moves the best lr", not "γ matters".

The seed band, when the study has seed re-runs, is the spread over seeds of the re-run
configuration at that γ with the best mean: mean ± standard deviation, and min–max.
"""

from __future__ import annotations

import math

import pandas as pd

from . import points, seeds
from .direction import best_index
from .variants import Variant

# the first, "gamma", is named after the variant's factor (``Variant.column``: beta1 ...)
COLUMNS = ["gamma", "span", "n", "best", "best_lr", "best_eps", "best_trial", "best_diverged", "best_outcome",
           "fixed_lr", "fixed_best", "fixed_n", "seed_mean", "seed_std", "seed_min", "seed_max",
           "seed_n", "seed_source"]


def complete(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[(rows["state"] == "COMPLETE") & rows["value"].notna()]


def best_lr(v: Variant) -> float:
    """The lr of the variant's best trial (NaN without a complete trial)."""
    done = complete(v.tuning)
    i = best_index(done["value"], v.direction)
    return math.nan if i is None else float(done.loc[i, "lr"])


def curve(v: Variant, *, fixed_lr: float | None = None) -> pd.DataFrame:
    """One row per γ point (sorted by γ); see the module docstring and ``COLUMNS`` (its first,
    ``gamma``, named ``v.column``)."""
    done = complete(v.tuning)
    x = v.column
    if done.empty:
        return pd.DataFrame(columns=[x, *COLUMNS[1:]])
    gp = points.fit_factor(done[x], v.scale)
    lp = points.fit(done["lr"], log=True)
    lr_star = best_lr(v) if fixed_lr is None else float(fixed_lr)
    at_lr = points.nearest(done["lr"], lr_star, lp) if math.isfinite(lr_star) else done["lr"].isna()
    groups = seeds.groups(v.seeds, x)
    groups["point"] = gp.key(groups[x].astype(float))
    keys, spans = gp.key(done[x]), gp.span(done[x])
    rows = []
    for g, sub in done.groupby(keys, sort=True):
        b = sub.loc[best_index(sub["value"], v.direction)]
        fixed = sub[at_lr.loc[sub.index]]
        fi = best_index(fixed["value"], v.direction)
        sg = seeds.best_group(groups[groups["point"] == g], v.direction)
        rows.append({
            x: g, "span": spans.loc[sub.index[0]], "n": len(sub),
            "best": b["value"], "best_lr": b["lr"], "best_eps": b.get("eps", math.nan),
            "best_trial": int(b["number"]),
            # the best run did not train (its value is the penalty): every run there failed
            "best_diverged": b["outcome"] != "trained",
            "best_outcome": b["outcome"],
            "fixed_lr": lr_star, "fixed_best": math.nan if fi is None else fixed.loc[fi, "value"],
            "fixed_n": len(fixed),
            **_band(sg),
        })
    return pd.DataFrame(rows, columns=[x, *COLUMNS[1:]])


def _band(group: pd.Series | None) -> dict:
    if group is None:
        return {"seed_mean": math.nan, "seed_std": math.nan, "seed_min": math.nan,
                "seed_max": math.nan, "seed_n": 0, "seed_source": math.nan}
    return {"seed_mean": group["mean"], "seed_std": group["std"], "seed_min": group["min"],
            "seed_max": group["max"], "seed_n": int(group["n"]), "seed_source": group["source_trial"]}
