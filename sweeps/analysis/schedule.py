"""Does γ need to change during training? Constant γ against the rising schedule
γ_t = 1 − (1 − γ₀)/(1 + t/τ) (optimizers/_schedules.py), each with lr and γ₀ re-tuned.

d = how much better "rising" is than "constant" (positive: rising wins), between the best tuning
runs: descriptive (a best-of-many single run is biased). The verdict compares the confirmation
runs of each schedule's setting best on validation, paired by seed, on the test metric
(``confirmation.compare_arms``: rising − constant, its interval, *different*/*equivalent*/
*inconclusive* against the declared margin).
"""

from __future__ import annotations

import math

import pandas as pd

from . import seeds
from .confirmation import DEFAULT_PROTOCOL, arm_runs, compare_arms
from .direction import best_index, gain, sole_direction
from .gamma_one import problem
from .sensitivity import complete

SCHEDULES = ("constant", "rising")
COLUMNS = ["problem", "optimizer", "initial_square_avg", "eps_in_sqrt", "bias_correction",
           *(f"{s}_{c}" for s in SCHEDULES
             for c in ("n", "best", "gamma", "lr", "seed_mean", "seed_std", "seed_n")),
           "d", "test_diff", "ci_low", "ci_high", "n_pairs", "verdict"]


def schedule_verdict(trials: pd.DataFrame, proto: dict | None = None) -> pd.DataFrame:
    """One row per (problem, optimizer, conventions) whose trials ran both schedules."""
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
        for s in SCHEDULES:
            row |= _side(s, g[g["gamma_schedule"] == s], s_rows, direction)
        row["d"] = gain(row["rising_best"], row["constant_best"], direction)
        arms = {sched: arm_runs(g[g["gamma_schedule"] == sched],
                                s_rows[s_rows["gamma_schedule"].fillna("constant") == sched], direction)
                for sched in SCHEDULES}
        t = compare_arms(arms, "constant", direction, proto or DEFAULT_PROTOCOL)
        row |= _verdict(t, proto or DEFAULT_PROTOCOL)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def _verdict(t: pd.DataFrame, proto: dict) -> dict:
    """Rising against constant on the paired confirmation runs of each one's best setting."""
    if t.empty:
        return {"test_diff": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n_pairs": 0,
                "verdict": "inconclusive (no paired confirmation runs of both schedules)"}
    x = t.iloc[0]
    return {"test_diff": x["mean_diff"], "ci_low": x["ci_low"], "ci_high": x["ci_high"], "n_pairs": int(x["n"]),
            "verdict": f"{x['verdict']} (margin ±{proto['margin']:g}; {x['reason']})"}


def _side(schedule: str, rows: pd.DataFrame, seed_rows: pd.DataFrame, direction: str) -> dict:
    i = best_index(rows["value"], direction)
    sched = seed_rows["gamma_schedule"].fillna("constant") == schedule
    group = seeds.best_group(seeds.groups(seed_rows[sched]), direction)
    return {
        f"{schedule}_n": len(rows), f"{schedule}_best": rows.loc[i, "value"],
        f"{schedule}_gamma": rows.loc[i, "gamma"], f"{schedule}_lr": rows.loc[i, "lr"],
        f"{schedule}_seed_mean": math.nan if group is None else group["mean"],
        f"{schedule}_seed_std": math.nan if group is None else group["std"],
        f"{schedule}_seed_n": 0 if group is None else int(group["n"]),
    }
