"""How much of the final metric's variation each swept parameter explains, by two evaluators.

fANOVA (Hutter et al., 2014; Optuna's ``FanovaImportanceEvaluator``): the share of the metric's
variance, over the whole search space, that a random forest attributes to each parameter alone.
PED-ANOVA (Watanabe et al., 2023; ``PedAnovaImportanceEvaluator``): how much each parameter's
distribution among the top trials differs from its distribution among all trials, i.e. what
matters for getting *near the best*, not for the variance over the whole space.

Both are normalised to sum to 1 over the swept parameters. Log-sampled parameters (lr, ε) enter
as log10(value), so that every decade weighs the same, as it did for the sampler (Optuna's fANOVA
would otherwise integrate over the raw lr range, where 1e-4..1e-1 is a tenth of [1e-4, 1]). A
grid's numeric choices (γ on a grid, a tuning seed) enter as their rank among the choices: every
choice weighs the same, as for the sampler, and their order is kept, where Optuna would one-hot
encode them as unordered categories (19 γ choices cost fANOVA minutes a study, against 2 s ranked).
Diverged trials enter with their penalty value (the untrained metric), as the sampler saw them.
"""

from __future__ import annotations

import math
import warnings

import optuna
import pandas as pd
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator

from .direction import check

MIN_TRIALS = 8          # fewer complete trials than this give forests/KDEs of noise
FANOVA = "fANOVA"
PED_ANOVA = "PED-ANOVA"
EVALUATORS = (FANOVA, PED_ANOVA)
COLUMNS = ["study", "evaluator", "param", "importance", "reason"]


def importances(
    rows: pd.DataFrame, distributions: dict[str, BaseDistribution], direction: str
) -> pd.DataFrame:
    """Long table (study, evaluator, param, importance, reason) for one study's trials.

    ``distributions`` are the study's swept parameters by short name (``load_studies``). When the
    study cannot be evaluated, every importance is NaN and ``reason`` says why.
    """
    check(direction)
    study_name = rows["study"].iloc[0] if len(rows) else "?"
    done = rows[(rows["state"] == "COMPLETE") & rows["value"].notna()]
    swept = {p: d for p, d in distributions.items() if not d.single() and p in rows}
    reason = _unusable(len(done), swept) or (
        "the metric is the same in every complete trial: no parameter had an effect"
        if done["value"].nunique() == 1 else None)  # fANOVA raises on zero variance
    out = []
    for name in EVALUATORS:
        values = _evaluate(name, done, swept, direction) if reason is None else {}
        total = sum(values.values())
        why = reason or (None if total > 0 else f"{name} found no effect of any parameter")
        for p in list(swept) or list(distributions) or ["(none)"]:
            share = values.get(p, math.nan) / total if why is None else math.nan
            out.append({"study": study_name, "evaluator": name, "param": p, "importance": share,
                        "reason": why})
    return pd.DataFrame(out, columns=COLUMNS)


def _unusable(n: int, swept: dict) -> str | None:
    if n < MIN_TRIALS:
        return f"only {n} complete trials (at least {MIN_TRIALS} needed)"
    if len(swept) < 2:
        return f"{len(swept)} swept parameter{'s' * (len(swept) != 1)}: nothing to compare"
    return None


def _evaluate(name: str, done: pd.DataFrame, swept: dict, direction: str) -> dict[str, float]:
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # not one "study created" line per study
    try:
        study = optuna.create_study(direction=direction)  # in memory, rebuilt from the table
    finally:
        optuna.logging.set_verbosity(verbosity)
    dists = {p: _as_evaluated(d) for p, d in swept.items()}
    study.add_trials(
        optuna.trial.create_trial(
            params={p: _as_evaluated_value(row[p], swept[p]) for p in swept},
            distributions=dists, value=float(row["value"]),
        )
        for _, row in done.iterrows()
    )
    if name == FANOVA:
        evaluator = FanovaImportanceEvaluator(seed=0)
    else:
        # Optuna advises >= 5 trials in the top quantile; small studies get a wider quantile.
        evaluator = PedAnovaImportanceEvaluator(target_quantile=min(0.5, max(0.1, 5 / len(done))))
    with warnings.catch_warnings():
        # normalize=False is "experimental"; we normalise ourselves so that an all-zero result
        # stays visible instead of becoming Optuna's equal shares.
        warnings.simplefilter("ignore")
        raw = optuna.importance.get_param_importances(
            study, evaluator=evaluator, params=list(swept), normalize=False
        )
    return {p: max(float(v), 0.0) for p, v in raw.items()}


def _as_evaluated(d: BaseDistribution) -> BaseDistribution:
    if isinstance(d, (FloatDistribution, IntDistribution)) and d.log:
        return FloatDistribution(math.log10(d.low), math.log10(d.high))
    if isinstance(d, IntDistribution):
        return FloatDistribution(d.low, d.high)
    if isinstance(d, FloatDistribution) and d.step is not None:
        return FloatDistribution(d.low, d.high)  # grid values are just points of the interval
    if _numeric(d):
        return FloatDistribution(0.0, float(len(d.choices) - 1))   # the choice's rank
    return d


def _as_evaluated_value(v, d: BaseDistribution):
    if isinstance(d, (FloatDistribution, IntDistribution)):
        return math.log10(float(v)) if d.log else float(v)
    if _numeric(d):
        ranked = sorted(d.choices)
        return float(min(range(len(ranked)), key=lambda i: abs(ranked[i] - float(v))))
    return v


def _numeric(d: BaseDistribution) -> bool:
    """A categorical of two or more numbers (not booleans): ordered, so ranked."""
    return (isinstance(d, CategoricalDistribution) and len(d.choices) > 1
            and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in d.choices))
