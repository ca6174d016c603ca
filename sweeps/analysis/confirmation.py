"""The evidence behind every verdict: confirmation runs compared paired, against a declared γ.

Protocol (the study's ``gammasweep.protocol``, declared in ``hydra.sweeper.protocol`` before the
results are seen):
1. Tune on validation: for each γ the sweep picks its best setting (lr, ε re-tuned) by the
   validation metric of the tuning trials.
2. Confirm on test: ``hydra.sweeper.seeds`` re-runs each picked setting on the seeds
   train.seed + 1 … + n — the same seeds for every γ (common random numbers: the same
   initialisations and minibatch orders) — and scores the test split once, at the end.
3. Compare paired: every γ against ``reference_gamma`` on the test metric, seed by seed
   (``stats.compare_paired``: the simultaneous (Bonferroni) t-interval of the mean difference,
   read against 0 and ±``margin``; verdicts *different*, *equivalent*, *inconclusive*). The margin
   is declared per task (``sweeps/checks/margin.py``: absolute, relative to the reference's mean,
   or in accuracy points) and resolved here (``margin.resolve``).

A confirmation run that did not train (diverged or collapsed, ``models/outcome.py``) is a
failure: failure rates are compared apart (McNemar's exact test, Holm), and losses only on the
seeds where both runs trained. Its ``value`` (the penalty, the worse of its untrained and its
constant-predictor test metric, as in tuning) is kept for display and never enters a test.
Tuning values are never compared: a best-of-many single run is biased (the winner's curse).
"""

from __future__ import annotations

import math

import pandas as pd

from models.outcome import TRAINED, penalty

from .direction import best_index
from .margin import resolve
from .stats import compare_paired, tunability
from .variants import Variant

TEST_OF = {"val_loss": "test_loss", "val_accuracy": "test_accuracy"}
DEFAULT_PROTOCOL = {"reference_gamma": 0.99, "margin": 0.01, "alpha": 0.05}
RUN_COLUMNS = ["config", "seed", "value", "trained", "outcome", "source_trial", "lr", "eps"]


def test_metric(metric: str) -> str:
    """The test-split metric that confirms a study tuned on ``metric``."""
    return TEST_OF.get(metric, metric)


def protocol(v: Variant, studies: pd.DataFrame | None = None) -> dict:
    """The variant's declared protocol (stored with its study), the defaults filled in."""
    declared = {}
    if studies is not None and "protocol" in studies:
        rows = studies[studies["study"] == v.study]
        declared = rows["protocol"].iloc[0] if len(rows) and isinstance(rows["protocol"].iloc[0], dict) else {}
    out = DEFAULT_PROTOCOL | {k: declared[k] for k in DEFAULT_PROTOCOL if k in declared}
    target = declared.get("target")
    if isinstance(target, dict):
        target = target.get(v.tuning["model"].iloc[0]) if len(v.tuning) else None
    return out | {"target": float(target) if isinstance(target, (int, float)) else None} | _margin(v, out)


def runs(v: Variant) -> pd.DataFrame:
    """One row per confirmation run: γ (``config``), seed and its test value (or penalty).

    When a γ has several re-run settings (``seeds.top_k`` > 1), the one best on validation in
    tuning is kept, so each γ has one setting, chosen without looking at the test split.
    """
    done = v.seeds[v.seeds["state"] == "COMPLETE"]
    if done.empty:
        return pd.DataFrame(columns=RUN_COLUMNS)
    metric = test_metric(v.metric)
    picked = _picked_sources(v, done)
    rows = []
    for _, r in done[done["source_trial"].isin(picked) | done["source_trial"].isna()].iterrows():
        rows.append({"config": float(r["gamma"]), "seed": int(r["seed"]),
                     "value": _value(r, metric, v.direction), "trained": _trained(r),
                     "outcome": r.get("outcome"),
                     "source_trial": r["source_trial"], "lr": r.get("lr"), "eps": r.get("eps")})
    out = pd.DataFrame(rows, columns=RUN_COLUMNS)
    out = out[out["value"].notna() | ~out["trained"].astype(bool)]   # a failure counts without a value
    return out.drop_duplicates(["config", "seed"], keep="first")


def compare(v: Variant, r: pd.DataFrame, proto: dict) -> pd.DataFrame:
    """``stats.compare_paired`` of the variant's confirmation runs; an empty frame without any,
    and every γ *inconclusive* when the reference γ has no confirmation run or the margin cannot
    be had (relative to a reference none of whose runs trained). ``r``: ``runs(v)``."""
    if r.empty:
        return pd.DataFrame()
    ref = _reference_key(r["config"], proto["reference_gamma"])
    margin = float(proto["margin"])
    if ref is None or not math.isfinite(margin):
        why = (f"the reference γ = {proto['reference_gamma']:g} has no confirmation run" if ref is None
               else f"no margin: {proto.get('margin_rule')}")
        return pd.DataFrame({"config": sorted(c for c in r["config"].unique() if c != ref), "n": 0,
                             "verdict": "inconclusive", "reason": why})
    return compare_paired(r[["config", "seed", "value", "trained"]], reference=ref, margin=margin,
                          direction=v.direction, alpha=float(proto["alpha"]))


def means(r: pd.DataFrame) -> pd.DataFrame:
    """Per γ of ``runs(v)``: confirmation runs, and the mean test value and standard deviation of
    those that trained (a failure's penalty is not a loss)."""
    if r.empty:
        return pd.DataFrame(columns=["config", "n", "mean", "std", "n_trained", "lr", "eps"])
    g = r.groupby("config", sort=True)
    trained = r[r["trained"]].groupby("config", sort=True)["value"]
    return pd.DataFrame({
        "n": g.size(), "mean": trained.mean(), "std": trained.std(ddof=1),
        "n_trained": g["outcome"].apply(lambda o: int((o == TRAINED).sum())),
        "lr": g["lr"].first(), "eps": g["eps"].first(),
    }).reset_index()


DEFAULT_GAMMAS = {"PyTorch": 0.99, "Keras": 0.9}


def tunability_table(v: Variant, r: pd.DataFrame) -> pd.DataFrame:
    """Probst tunability of γ over each default γ, on the paired confirmation runs that trained:
    d = test metric at the default − at the γ chosen on validation (the best tuning trial's γ),
    with its 95% t-interval; d ≥ 0 means tuning γ helps. ``r``: ``runs(v)``."""
    columns = ["name", "default", "best", "n", "d", "ci_low", "ci_high", "reason"]
    done = v.tuning[(v.tuning["state"] == "COMPLETE") & (v.tuning["outcome"] == TRAINED)]
    i = best_index(done["value"], v.direction) if len(done) else None
    rows = []
    for name, default in DEFAULT_GAMMAS.items():
        row = {"name": name, "default": default, "best": math.nan, "n": 0, "d": math.nan,
               "ci_low": math.nan, "ci_high": math.nan, "reason": ""}
        d_key = _reference_key(r["config"], default) if len(r) else None
        b_key = _reference_key(r["config"], done.loc[i, "gamma"]) if (i is not None and len(r)) else None
        if d_key is None or b_key is None:
            row["reason"] = (f"no confirmation runs at γ = {default:g}" if d_key is None else
                             "no confirmation runs at the γ chosen on validation")
        else:
            t = tunability(r[["config", "seed", "value", "trained"]], default=d_key, best=b_key,
                           direction=v.direction)
            row |= {k: t[k] for k in ("best", "n", "d", "ci_low", "ci_high")}
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def arm_runs(tuning: pd.DataFrame, seed_rows: pd.DataFrame, direction: str) -> pd.DataFrame:
    """``seed, value, trained, study, trial`` of one arm (a study, or a schedule's studies): the
    confirmation runs of its setting best on validation among those re-run (``study``, ``trial``:
    that tuning trial) — chosen without looking at the test split."""
    done = tuning[(tuning["state"] == "COMPLETE") & tuning["value"].notna()]
    seeded = seed_rows[seed_rows["state"] == "COMPLETE"]
    rerun = set(zip(seeded["tuning_study"], seeded["source_trial"]))
    done = done[[(s, n) in rerun for s, n in zip(done["study"], done["number"])]]
    i = best_index(done["value"], direction) if len(done) else None
    if i is None:
        return pd.DataFrame(columns=["seed", "value", "trained", "study", "trial"])
    best = done.loc[i]
    mine = seeded[(seeded["tuning_study"] == best["study"]) & (seeded["source_trial"] == best["number"])]
    metric = test_metric(best["metric"])
    out = pd.DataFrame({"seed": mine["seed"].astype(int),
                        "value": [_value(r, metric, direction) for _, r in mine.iterrows()],
                        "trained": [_trained(r) for _, r in mine.iterrows()],
                        "study": best["study"], "trial": best["number"]})
    return out[out["value"].notna() | ~out["trained"].astype(bool)].drop_duplicates("seed")


def compare_arms(arms: dict[str, pd.DataFrame], reference: str, direction: str, proto: dict, *,
                 model: str | None = None, metric: str = "test_loss") -> pd.DataFrame:
    """``stats.compare_paired`` of arms (name -> ``arm_runs``) against the ``reference`` arm, at
    the protocol's margin for ``model`` (a relative one: of the reference arm's mean ``metric``);
    empty when the reference has no confirmation runs or the margin cannot be had. The table's
    ``margin_rule`` says how the margin was obtained."""
    frames = [r.assign(config=name) for name, r in arms.items() if len(r)]
    if reference not in {f["config"].iloc[0] for f in frames} or len(frames) < 2:
        return pd.DataFrame()
    runs = pd.concat(frames, ignore_index=True)[["config", "seed", "value", "trained"]]
    ref = runs[(runs["config"] == reference) & runs["trained"].astype(bool)]["value"]
    margin, rule = resolve(proto["margin"], model=model, metric=metric, reference_values=ref)
    if not math.isfinite(margin):
        return pd.DataFrame()
    return compare_paired(runs, reference=reference, margin=margin, direction=direction,
                          alpha=float(proto["alpha"])).assign(margin_rule=rule)


def _value(r: pd.Series, metric: str, direction: str) -> float:
    final = r.get(f"final_{metric}", math.nan)
    if r.get("outcome") in (None, TRAINED) or (isinstance(r.get("outcome"), float)):
        return float(final) if final is not None else math.nan
    initial = {metric: r.get(f"initial_{metric}", math.nan)}
    baseline = {metric: r.get(f"baseline_{metric}", math.nan)}
    if not any(isinstance(x, float) and math.isfinite(x) for x in (*initial.values(), *baseline.values())):
        return float(final)
    return penalty(initial, baseline, metric, direction)


def _trained(r: pd.Series) -> bool:
    """A run without a recorded outcome counts as trained (its final value is its result)."""
    return r.get("outcome") in (None, TRAINED) or isinstance(r.get("outcome"), float)


def _margin(v: Variant, proto: dict) -> dict:
    """The declared margin resolved for the variant: ``margin`` (a number, NaN when it cannot be
    had), ``margin_rule`` (how, in words) and ``margin_spec`` (as declared)."""
    metric = test_metric(v.metric)
    model = v.tuning["model"].iloc[0] if len(v.tuning) and "model" in v.tuning else None
    ref = pd.DataFrame(columns=RUN_COLUMNS)
    spec = proto["margin"]
    if not isinstance(spec, (int, float)):   # relative, points or per model: read the runs
        ref = runs(v)
        ref = ref[ref["trained"].astype(bool)]
        key = _reference_key(ref["config"], proto["reference_gamma"]) if len(ref) else None
        ref = ref[ref["config"] == key] if key is not None else ref.iloc[0:0]
    margin, rule = resolve(spec, model=model, metric=metric, reference_values=ref["value"])
    return {"margin": margin, "margin_rule": rule, "margin_spec": spec}


def _picked_sources(v: Variant, done: pd.DataFrame) -> set:
    """Per γ, the re-run setting whose tuning trial was best on validation."""
    sources = done["source_trial"].dropna().unique()
    tuned = v.tuning[v.tuning["number"].isin(sources)]
    picked = set()
    for _, g in tuned.groupby("gamma"):
        i = best_index(g["value"], v.direction)
        if i is not None:
            picked.add(g.loc[i, "number"])
    return picked


def _reference_key(configs: pd.Series, reference: float):
    """The config value equal to the declared reference γ (float-tolerant), or None."""
    for c in configs.unique():
        if math.isclose(float(c), float(reference), rel_tol=0, abs_tol=1e-12):
            return c
    return None
