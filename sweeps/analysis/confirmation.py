"""The evidence behind every verdict: confirmation runs compared paired, against a declared γ.

Protocol (the study's ``gammasweep.protocol``, declared in ``hydra.sweeper.protocol`` before the
results are seen):
1. Tune on validation: for each value of the protocol's factor (γ unless
   ``protocol.factor`` names another) the sweep picks its best setting (lr, ε re-tuned) by the
   validation metric of the tuning trials, averaged over the tuning seeds (``tuning_seeds``).
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

import json
import math

import pandas as pd

from models.outcome import TRAINED, penalty
from sweeps import factor as factors

from . import tuning_seeds
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
    """The variant's declared protocol (stored with its study), the defaults filled in: ``factor``
    (its key), ``label`` (γ, β1 ...), ``reference`` (``reference_gamma`` is the same value, the
    name older readers use), ``margin``, ``alpha`` and ``target``."""
    declared = {}
    if studies is not None and "protocol" in studies:
        rows = studies[studies["study"] == v.study]
        declared = rows["protocol"].iloc[0] if len(rows) and isinstance(rows["protocol"].iloc[0], dict) else {}
    out = DEFAULT_PROTOCOL | {k: declared[k] for k in DEFAULT_PROTOCOL if k in declared}
    key, reference = factors.declared(declared)
    out |= {"factor": key, "label": factors.label(key), "reference": reference, "reference_gamma": reference}
    target = declared.get("target")
    if isinstance(target, dict):
        target = target.get(v.tuning["model"].iloc[0]) if len(v.tuning) else None
    return out | {"target": float(target) if isinstance(target, (int, float)) else None} | _margin(v, out)


def runs(v: Variant) -> pd.DataFrame:
    """One row per confirmation run: the factor's value (``config``: γ, β1 ...), seed and its
    test value (or penalty).

    When a value has several re-run settings (``seeds.top_k`` > 1), the one best on validation
    in tuning (by its mean over the tuning seeds) is kept, so each value has one setting, chosen
    without looking at the test split.
    """
    done = v.seeds[v.seeds["state"] == "COMPLETE"]
    if done.empty:
        return pd.DataFrame(columns=RUN_COLUMNS)
    metric = test_metric(v.metric)
    picked = _picked_settings(v, done)
    rows = []
    for _, r in done[done["setting"].isin(picked) | done["source_trial"].isna()].iterrows():
        rows.append({"config": float(r[v.column]), "seed": int(r["seed"]),
                     "value": _value(r, metric, v.direction), "trained": _trained(r),
                     "outcome": r.get("outcome"),
                     "source_trial": r["source_trial"], "lr": r.get("lr"), "eps": r.get("eps")})
    out = pd.DataFrame(rows, columns=RUN_COLUMNS)
    out = out[out["value"].notna() | ~out["trained"].astype(bool)]   # a failure counts without a value
    return out.drop_duplicates(["config", "seed"], keep="first")


def setting_means(v: Variant) -> dict[str, float]:
    """Every re-run setting's mean test value (or penalty) over its confirmation runs."""
    done = v.seeds[v.seeds["state"] == "COMPLETE"]
    if done.empty:
        return {}
    metric = test_metric(v.metric)
    values = pd.Series([_value(r, metric, v.direction) for _, r in done.iterrows()], index=done.index)
    return values.groupby(done["setting"]).mean().dropna().to_dict()


def compare(v: Variant, r: pd.DataFrame, proto: dict) -> pd.DataFrame:
    """``stats.compare_paired`` of the variant's confirmation runs; an empty frame without any,
    and every γ *inconclusive* when the reference γ has no confirmation run or the margin cannot
    be had (relative to a reference none of whose runs trained). ``r``: ``runs(v)``."""
    if r.empty:
        return pd.DataFrame()
    ref = _reference_key(r["config"], proto["reference_gamma"])
    margin = float(proto["margin"])
    if ref is None or not math.isfinite(margin):
        why = (f"the reference {proto.get('label', 'γ')} = {proto['reference_gamma']:g} has no confirmation run" if ref is None
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


DEFAULT_GAMMAS = factors.GAMMA_DEFAULTS


def tunability_table(v: Variant, r: pd.DataFrame, proto: dict | None = None) -> pd.DataFrame:
    """Probst tunability of the factor (γ, β1 ...) over each default (``sweeps.factor.defaults``:
    PyTorch's and Keras' γ, else the protocol's reference), on the paired confirmation runs that
    trained: d = test metric at the default − at the value chosen on validation (the best tuning
    trial's), with its 95% t-interval; d ≥ 0 means tuning the factor helps. ``r``: ``runs(v)``;
    ``proto``: ``protocol(v, ...)``."""
    columns = ["name", "default", "best", "n", "d", "ci_low", "ci_high", "reason"]
    done = v.tuning[(v.tuning["state"] == "COMPLETE") & (v.tuning["outcome"] == TRAINED)]
    i = best_index(done["value"], v.direction) if len(done) else None
    rows = []
    x = v.label
    for name, default in factors.defaults(v.factor, (proto or {}).get("reference")).items():
        row = {"name": name, "default": default, "best": math.nan, "n": 0, "d": math.nan,
               "ci_low": math.nan, "ci_high": math.nan, "reason": ""}
        d_key = _reference_key(r["config"], default) if len(r) else None
        b_key = _reference_key(r["config"], done.loc[i, v.column]) if (i is not None and len(r)) else None
        if d_key is None or b_key is None:
            row["reason"] = (f"no confirmation runs at {x} = {default:g}" if d_key is None else
                             f"no confirmation runs at the {x} chosen on validation")
        else:
            t = tunability(r[["config", "seed", "value", "trained"]], default=d_key, best=b_key,
                           direction=v.direction)
            row |= {k: t[k] for k in ("best", "n", "d", "ci_low", "ci_high")}
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def arm_runs(tuning: pd.DataFrame, seed_rows: pd.DataFrame, direction: str) -> pd.DataFrame:
    """``seed, value, trained, study, trial`` of one arm (a study, or a schedule's studies): the
    confirmation runs of its setting best on validation (by its mean over the tuning seeds,
    ``tuning_seeds.picks``) among those re-run (``study``, ``trial``: that setting's first tuning
    trial) — chosen without looking at the test split."""
    seeded = seed_rows[seed_rows["state"] == "COMPLETE"]
    rerun = set(zip(seeded["tuning_study"], seeded["setting"]))
    done = tuning[[(s, x) in rerun for s, x in zip(tuning["study"], tuning["setting"])]]
    best = tuning_seeds.picks(_pick_frame(done), direction)
    if best.empty:
        return pd.DataFrame(columns=["seed", "value", "trained", "study", "trial"])
    study, setting = json.loads(best["setting"].iloc[0])
    mine = seeded[(seeded["tuning_study"] == study) & (seeded["setting"] == setting)]
    metric = test_metric(done["metric"].iloc[0])
    best = {"study": study, "number": int(best["number"].iloc[0])}
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
    if _trained(r):
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


def _picked_settings(v: Variant, done: pd.DataFrame) -> set:
    """Per value of the factor, the re-run setting best on validation by its mean over the
    tuning seeds (``tuning_seeds.picks``, the rule the sweeper picked it by)."""
    rerun = v.tuning[v.tuning["setting"].isin(set(done["setting"].dropna()))]
    frame = tuning_seeds.from_table(rerun, [v.column])
    return set(tuning_seeds.picks(frame, v.direction)["setting"])


def _pick_frame(tuning: pd.DataFrame) -> pd.DataFrame:
    """``tuning_seeds``' frame of an arm's tuning rows, a setting named with its study."""
    frame = tuning_seeds.from_table(tuning.assign(_arm=0), ["_arm"])
    studies = tuning.loc[frame.index, "study"]
    return frame.assign(setting=[json.dumps([s, x]) for s, x in zip(studies, frame["setting"])])


def _reference_key(configs: pd.Series, reference: float):
    """The config value equal to the declared reference γ (float-tolerant), or None."""
    for c in configs.unique():
        if math.isclose(float(c), float(reference), rel_tol=0, abs_tol=1e-12):
            return c
    return None
