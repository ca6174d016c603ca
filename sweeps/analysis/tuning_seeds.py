"""The pick on several tuning seeds, and how stable it is.

With ``hydra.sweeper.seeds.tune`` = k > 1 every tuning setting (a γ, lr, ε ...) is trained on k
seeds, one Optuna trial each, so a setting is the set of trials that share every parameter but
``train.seed`` (``setting_of``). The pick per group (per value of ``seeds.per``, e.g. per γ) is
the setting with the best **mean** validation value over its seeds (``ranked``, ``picks``), in
the stage that enqueues the confirmation runs (``sweeps.study.best_trials``) and in the report's
reading of which setting was confirmed (``analysis.confirmation``). The rules:

- a setting with no seed that trained (diverged or collapsed on every seed, ``models/outcome.py``)
  is never picked, as a single untrained tuning run never was;
- a setting with an untrained seed, or with fewer seeds than the most any setting of its group
  has, ranks behind every setting fully trained on all of them; within each tier settings rank by
  their mean value over the seeds they have (an untrained seed at its penalty value);
- ties go to the setting whose first trial came first.

The report states how often the pick changes across tuning seeds (``stability``: the best
setting on each tuning seed alone, against the mean pick) and the spread of the tuned difference
that follows from it (``tuned_spread``).

Every function reads a frame with one row per tuning trial and the columns ``group`` (the
``per`` values, hashable), ``setting`` (``setting_of``), ``seed``, ``value``, ``trained`` (bool)
and ``number`` (the trial's number).
"""

from __future__ import annotations

import json
import math

import pandas as pd

SEED = "train.seed"
COLUMNS = ["group", "setting", "seed", "value", "trained", "number"]
RANKED = ["group", "setting", "n", "n_trained", "mean", "complete", "number", "rank"]


def setting_of(params: dict) -> str:
    """A setting's identity: its parameters but the seed, as canonical JSON."""
    return json.dumps({k: params[k] for k in sorted(params) if k != SEED}, sort_keys=True, default=str)


def ranked(rows: pd.DataFrame, direction: str) -> pd.DataFrame:
    """One row per (group, setting) with a trained seed, ranked within its group (rank 0: the pick).

    Columns: ``n`` seeds, ``n_trained``, ``mean`` value over the seeds, ``complete`` (every seed
    trained and as many seeds as the group's best-covered setting), ``number`` (its first trial:
    the setting's representative) and ``rank``.
    """
    rows = rows[rows["value"].notna()]
    if rows.empty:
        return pd.DataFrame(columns=RANKED)
    g = rows.groupby(["group", "setting"], sort=False)
    out = pd.DataFrame({"n": g.size(), "n_trained": g["trained"].sum().astype(int),
                        "mean": g["value"].mean(), "number": g["number"].min()}).reset_index()
    out = out[out["n_trained"] > 0]
    most = out.groupby("group", sort=False)["n"].transform("max")
    out["complete"] = (out["n_trained"] == out["n"]) & (out["n"] == most)
    sign = 1.0 if direction == "minimize" else -1.0
    out = out.assign(_order=sign * out["mean"]).sort_values(["complete", "_order", "number"],
                                                            ascending=[False, True, True], kind="stable")
    out["rank"] = out.groupby("group", sort=False).cumcount()
    return out.drop(columns="_order")[RANKED].reset_index(drop=True)


def picks(rows: pd.DataFrame, direction: str, top_k: int = 1) -> pd.DataFrame:
    """The ``top_k`` best settings of each group by ``ranked``."""
    r = ranked(rows, direction)
    return r[r["rank"] < top_k].reset_index(drop=True)


def single_seed_picks(rows: pd.DataFrame, direction: str) -> pd.DataFrame:
    """``group, seed, setting``: the best trained setting of each group on each tuning seed alone."""
    trained = rows[rows["trained"] & rows["value"].notna()]
    out = []
    for seed, part in trained.groupby("seed", sort=True):
        best = picks(part, direction)
        out.append(best[["group", "setting"]].assign(seed=seed))
    return pd.concat(out, ignore_index=True)[["group", "seed", "setting"]] if out else (
        pd.DataFrame(columns=["group", "seed", "setting"]))


def stability(rows: pd.DataFrame, direction: str) -> pd.DataFrame:
    """Per group: the mean pick, on how many tuning seeds the best setting alone was the same
    (``agree`` of ``n_seeds``), and how many distinct settings the single seeds picked."""
    mean = picks(rows, direction).set_index("group")["setting"]
    single = single_seed_picks(rows, direction)
    out = []
    for group, part in single.groupby("group", sort=False):
        pick = mean.get(group)
        out.append({"group": group, "pick": pick, "n_seeds": len(part),
                    "agree": int((part["setting"] == pick).sum()), "distinct": part["setting"].nunique()})
    return pd.DataFrame(out, columns=["group", "pick", "n_seeds", "agree", "distinct"])


def tuned_spread(rows: pd.DataFrame, reference, direction: str,
                 confirmed: dict[str, float] | None = None) -> pd.DataFrame:
    """Per group other than ``reference``: the tuned difference (group − reference) with the mean
    picks, and its range (``low``, ``high``) over the picks each single tuning seed makes.

    The differences compare the settings' mean values: on the confirmation runs when every
    setting involved was re-run (``confirmed``: setting -> mean test value over its confirmation
    runs), else all on validation (the mean over the tuning seeds); ``basis`` says which.
    """
    confirmed = confirmed or {}
    mean = picks(rows, direction).set_index("group")["setting"]
    single = single_seed_picks(rows, direction)
    columns = ["group", "difference", "low", "high", "n_seeds", "basis"]
    if reference not in mean.index:
        return pd.DataFrame(columns=columns)
    by_seed = single.pivot(index="seed", columns="group", values="setting")
    involved = set(mean) | set(single["setting"])
    basis = "confirmation" if involved <= set(confirmed) else "validation"
    values = confirmed if basis == "confirmation" else ranked(rows, direction).set_index("setting")["mean"].to_dict()
    out = []
    for group in sorted(g for g in mean.index if g != reference):
        diffs = [values[s[group]] - values[s[reference]] for _, s in by_seed.iterrows()
                 if isinstance(s.get(group), str) and isinstance(s.get(reference), str)]
        out.append({"group": group, "difference": values[mean[group]] - values[mean[reference]],
                    "low": min(diffs, default=math.nan), "high": max(diffs, default=math.nan),
                    "n_seeds": len(diffs), "basis": basis})
    return pd.DataFrame(out, columns=columns)


def from_trials(trials, per: list[str]) -> pd.DataFrame:
    """The frame of COMPLETE Optuna ``trials``, grouped by the values of the ``per`` params."""
    from optuna.trial import TrialState

    from sweeps import records

    done = [t for t in trials if t.state == TrialState.COMPLETE]
    return pd.DataFrame([{"group": tuple(t.params.get(k) for k in per), "setting": setting_of(t.params),
                          "seed": t.params.get(SEED), "value": t.value,
                          "trained": records.outcome(t) == "trained", "number": t.number} for t in done],
                        columns=COLUMNS)


def from_table(tuning: pd.DataFrame, per: list[str]) -> pd.DataFrame:
    """The frame of a trials table's COMPLETE rows (``analysis.load``), grouped by the ``per``
    columns (a single column's value, or a tuple of several)."""
    done = tuning[tuning["state"] == "COMPLETE"]
    group = done[per[0]] if len(per) == 1 else pd.Series(list(zip(*(done[c] for c in per))), index=done.index)
    return pd.DataFrame({"group": group, "setting": done["setting"], "seed": done["seed"],
                         "value": done["value"], "trained": done["outcome"] == "trained", "number": done["number"]}, columns=COLUMNS)
