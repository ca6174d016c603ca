"""Every optimizer's best result on every problem of the family, with its spread over seeds.

"Best" is the best COMPLETE tuning trial of the study. The seed columns describe the study's
re-run configuration with the best mean over seeds (normally the best trial itself; its number is
in ``seed_source``), so a lucky single run can be told from a reliably good setting.
"""

from __future__ import annotations

import math

import pandas as pd

from . import seeds
from .direction import best_index, sole_direction
from .gamma_one import problem
from .sensitivity import complete

PARAMS = ("lr", "gamma", "eps", "momentum", "beta1", "initial_square_avg", "gamma_schedule")
COLUMNS = ["problem", "label", "name", "optimizer", "metric", "direction", "n", "divergence_rate", "best",
           "best_trial", "best_params", "seed_mean", "seed_std", "seed_min", "seed_max", "seed_n",
           "seed_source"]


def optimizer_table(trials: pd.DataFrame) -> pd.DataFrame:
    tuning = trials[trials["role"] == "tuning"]
    rows = []
    for study, g in tuning.groupby("study", sort=True):
        done = complete(g)
        i = best_index(done["value"], sole_direction(g))
        if i is None:
            continue
        b, direction = done.loc[i], sole_direction(g)
        group = seeds.best_group(
            seeds.groups(trials[(trials["role"] == "seeds") & (trials["tuning_study"] == study)]), direction
        )
        prob = problem(g.iloc[:1]).iloc[0]
        rows.append({
            "problem": prob, "label": b["label"], "name": b["label"].removeprefix(prob + "/"),
            "optimizer": b["optimizer"], "metric": b["metric"], "direction": direction,
            "n": len(done), "divergence_rate": float(done["diverged"].mean()), "best": b["value"],
            "best_trial": int(b["number"]), "best_params": _params(b),
            **{f"seed_{k}": (math.nan if group is None else group[k]) for k in ("mean", "std", "min", "max")},
            "seed_n": 0 if group is None else int(group["n"]),
            "seed_source": math.nan if group is None else group["source_trial"],
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def _params(row: pd.Series) -> str:
    shown = []
    for p in PARAMS:
        v = row.get(p)
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            continue
        shown.append(f"{p}={v:.3g}" if isinstance(v, float) else f"{p}={v}")
    return ", ".join(shown)
