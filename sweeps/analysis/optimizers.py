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
from .confirmation import DEFAULT_PROTOCOL, arm_runs, compare_arms
from .gamma_one import problem
from .sensitivity import complete

PARAMS = ("lr", "gamma", "eps", "momentum", "beta1", "initial_square_avg", "gamma_schedule")
COLUMNS = ["problem", "label", "name", "optimizer", "metric", "direction", "n", "divergence_rate", "best",
           "best_trial", "best_params", "seed_mean", "seed_std", "seed_min", "seed_max", "seed_n",
           "seed_source", "test_diff", "ci_low", "ci_high", "n_pairs", "verdict"]
REFERENCE = "rmsprop"  # the question's optimizer: every other one is compared with it


def optimizer_table(trials: pd.DataFrame, proto: dict | None = None) -> pd.DataFrame:
    """One row per tuning study; the paired columns compare its confirmation runs with RMSprop's
    on the same problem (test metric, other − RMSprop; ``confirmation.compare_arms``)."""
    table = _table(trials)
    if table.empty:
        return table
    seed_rows = trials[trials["role"] == "seeds"]
    tuning = trials[trials["role"] == "tuning"]
    for prob, g in table.groupby("problem"):
        ref = g[g["optimizer"] == REFERENCE]
        if len(ref) != 1 or len(g) < 2:
            continue
        direction = g["direction"].iloc[0]
        arms = {row["label"]: arm_runs(tuning[tuning["study"] == row["study"]],
                                       seed_rows[seed_rows["tuning_study"] == row["study"]], direction)
                for _, row in g.iterrows()}
        t = compare_arms(arms, ref["label"].iloc[0], direction, proto or DEFAULT_PROTOCOL)
        for _, x in t.iterrows():
            i = g.index[g["label"] == x["config"]][0]
            table.loc[i, ["test_diff", "ci_low", "ci_high", "n_pairs", "verdict"]] = [
                x["mean_diff"], x["ci_low"], x["ci_high"], x["n"], x["verdict"]]
    return table.drop(columns="study")


def _table(trials: pd.DataFrame) -> pd.DataFrame:
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
            "study": study, "problem": prob, "label": b["label"], "name": b["label"].removeprefix(prob + "/"),
            "optimizer": b["optimizer"], "metric": b["metric"], "direction": direction,
            "n": len(done), "divergence_rate": float(done["diverged"].mean()), "best": b["value"],
            "best_trial": int(b["number"]), "best_params": _params(b),
            **{f"seed_{k}": (math.nan if group is None else group[k]) for k in ("mean", "std", "min", "max")},
            "seed_n": 0 if group is None else int(group["n"]),
            "seed_source": math.nan if group is None else group["source_trial"],
        })
    out = pd.DataFrame(rows, columns=["study", *COLUMNS])
    out["verdict"] = out["verdict"].astype(object)
    return out


def _params(row: pd.Series) -> str:
    shown = []
    for p in PARAMS:
        v = row.get(p)
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            continue
        shown.append(f"{p}={v:.3g}" if isinstance(v, float) else f"{p}={v}")
    return ", ".join(shown)
