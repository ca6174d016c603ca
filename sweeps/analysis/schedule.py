"""Does γ need to change during training? Constant γ against the rising schedule
γ_t = 1 − (1 − γ₀)/(1 + t/τ) (optimizers/_schedules.py), each with lr and γ₀ re-tuned.

One selection rule for every number of a row: each schedule's *pick* is its tuning trial best on
validation among those re-run on seeds (``confirmation.arm_runs``), or, when none was re-run,
its best tuning trial. The row shows the pick's validation value, γ and lr, the mean ± std of
its confirmation runs that trained (test metric), and the paired verdict on those runs
(``confirmation.compare_arms``: rising − constant, its interval, *different*/*equivalent*/
*inconclusive* against the declared margin). d = how much better the rising pick is than the
constant one on validation (positive: rising wins): descriptive (a best-of-many single run is
biased). ``constant_on_edge``: the constant pick's γ is the largest of its grid (γ = 1 at most),
so the grid, not γ, may have stopped it.
"""

from __future__ import annotations

import math

import pandas as pd

from .confirmation import DEFAULT_PROTOCOL, arm_runs, compare_arms, test_metric
from .direction import best_index, gain, sole_direction
from .gamma_one import problem
from .sensitivity import complete

SCHEDULES = ("constant", "rising")
COLUMNS = ["problem", "optimizer", "initial_square_avg", "eps_in_sqrt", "bias_correction",
           *(f"{s}_{c}" for s in SCHEDULES
             for c in ("n", "pick", "best", "gamma", "lr", "seed_mean", "seed_std", "seed_n", "seed_failed")),
           "constant_on_edge", "constant_grid_max", "d", "test_diff", "ci_low", "ci_high", "level",
           "n_pairs", "verdict", "margin", "margin_rule"]


def schedule_verdict(trials: pd.DataFrame, proto: dict | None = None) -> pd.DataFrame:
    """One row per (problem, optimizer, conventions) whose trials ran both schedules."""
    proto = proto or DEFAULT_PROTOCOL
    tuning = complete(trials[trials["role"] == "tuning"])
    tuning = tuning.assign(problem=problem(tuning),
                           gamma_schedule=tuning["gamma_schedule"].fillna("constant"))
    seed_rows = trials[trials["role"] == "seeds"]
    keys = ["problem", "optimizer", "initial_square_avg", "eps_in_sqrt", "bias_correction"]
    rows = []
    for key, g in tuning.groupby(keys, sort=True, dropna=False):
        if not set(SCHEDULES) <= set(g["gamma_schedule"]):
            continue
        direction = sole_direction(g)
        s_rows = seed_rows[seed_rows["tuning_study"].isin(g["study"])]
        row = dict(zip(keys, key))
        arms = {}
        for s in SCHEDULES:
            mine = g[g["gamma_schedule"] == s]
            arms[s] = arm_runs(mine, s_rows[s_rows["gamma_schedule"].fillna("constant") == s], direction)
            row |= _side(s, mine, arms[s], direction)
        grid_max = float(g.loc[g["gamma_schedule"] == "constant", "gamma"].max())
        row["constant_grid_max"] = grid_max
        row["constant_on_edge"] = bool(math.isclose(float(row["constant_gamma"]), grid_max))
        row["d"] = gain(row["rising_best"], row["constant_best"], direction)
        metric = test_metric(g["metric"].iloc[0]) if "metric" in g else "test_loss"
        t = compare_arms(arms, "constant", direction, proto, model=g["model"].iloc[0], metric=metric)
        row |= _verdict(t)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def _verdict(t: pd.DataFrame) -> dict:
    """Rising against constant on the paired confirmation runs of each one's pick."""
    if t.empty:
        return {"test_diff": math.nan, "ci_low": math.nan, "ci_high": math.nan, "level": math.nan,
                "n_pairs": 0, "margin": math.nan, "margin_rule": "",
                "verdict": "inconclusive (no paired confirmation runs of both schedules)"}
    x = t.iloc[0]
    return {"test_diff": x["mean_diff"], "ci_low": x["ci_low"], "ci_high": x["ci_high"], "level": x["level"],
            "n_pairs": int(x["n"]), "margin": x["margin"], "margin_rule": x["margin_rule"],
            "verdict": f"{x['verdict']} (margin ±{x['margin']:.3g}; {x['reason']})"}


def _side(schedule: str, rows: pd.DataFrame, arm: pd.DataFrame, direction: str) -> dict:
    """The schedule's pick (see the module docstring) and its confirmation runs ``arm``."""
    picked = rows[(rows["study"] == arm["study"].iloc[0]) & (rows["number"] == arm["trial"].iloc[0])] \
        if len(arm) else rows.iloc[0:0]
    if len(picked):
        pick, how = picked.iloc[0], "best re-run on validation"
    else:
        pick, how = rows.loc[best_index(rows["value"], direction)], "best tuning run (none re-run)"
    trained = arm[arm["trained"].astype(bool)]["value"].astype(float) if len(arm) else pd.Series(dtype=float)
    return {
        f"{schedule}_n": len(rows), f"{schedule}_pick": how, f"{schedule}_best": pick["value"],
        f"{schedule}_gamma": pick["gamma"], f"{schedule}_lr": pick["lr"],
        f"{schedule}_seed_mean": trained.mean() if len(trained) else math.nan,
        f"{schedule}_seed_std": trained.std(ddof=1) if len(trained) > 1 else math.nan,
        f"{schedule}_seed_n": len(trained), f"{schedule}_seed_failed": len(arm) - len(trained),
    }
