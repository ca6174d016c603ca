"""The verdict sections: Importances, γ = 1, Schedule, Optimizers."""

from __future__ import annotations

import math

import pandas as pd

from ..family import FamilyAnalysis
from ..figures._names import IMPORTANCES, OPTIMIZERS
from ..gamma_one import explain
from ..importance import MIN_TRIALS
from ..summary import fmt
from ._markdown import image, join, min_max, missing, num, pm, table
from ._presets import GAMMA, GAMMA_ONE, OPTIMIZERS as OPTIMIZER_PRESET, SCHEDULE


def importance_section(a: FamilyAnalysis) -> str:
    out = ["## Importances\n",
           "Evaluators: **fANOVA** (Optuna's `FanovaImportanceEvaluator`, 64 trees, seed 0): the "
           "share of the final metric's variance over the search space explained by each parameter "
           "alone; **PED-ANOVA** (`PedAnovaImportanceEvaluator`, target quantile max(0.1, 5/n) ≤ 0.5): "
           "how much each parameter matters for reaching the top trials. Both are normalised to "
           "sum to 1 over the study's swept parameters; lr and ε enter as log10. Diverged runs count "
           "with their penalty (untrained) value, so a parameter that decides divergence can rank "
           f"high in fANOVA even where the best results do not depend on it. Studies with fewer than "
           f"{MIN_TRIALS} complete trials or one swept parameter get no importance (n/a, reason given).\n"]
    imp = a.importances
    if imp.empty:
        return join(*out, missing("no tuning study with trials", GAMMA))
    labels = dict(zip(a.studies["study"], a.studies["label"]))
    measured = imp[imp["importance"].notna()]
    unmeasured = sorted({labels.get(s, s) for s in set(imp["study"]) - set(measured["study"])})
    if unmeasured:   # one line, not a table of n/a
        reasons = sorted(set(imp[imp["study"].isin(set(imp["study"]) - set(measured["study"]))]["reason"]))
        out.append(f"Not measurable for {len(unmeasured)} of {imp['study'].nunique()} studies "
                   f"({'; '.join(r for r in reasons[:3] if r)}{'; …' if len(reasons) > 3 else ''}).\n")
    if measured.empty:
        return join(*out)
    params = list(dict.fromkeys(measured["param"]))
    # γ and ε by their symbols, and each study's compared factor by its name (β1 ...)
    names = {"gamma": "γ", "eps": "ε"} | {r.variant.column: r.variant.label for r in a.variants}
    rows = []
    for (study, ev), g in measured.groupby(["study", "evaluator"], sort=False):
        shares = dict(zip(g["param"], g["importance"]))
        rows.append({"study": labels.get(study, study), "evaluator": ev, **shares,
                     "note": g["reason"].iloc[0] or ""})
    out += [image(IMPORTANCES, "importances"),
            table(rows, {"study": "study", "evaluator": "evaluator",
                         **{names.get(p, p):
                            (lambda x, p=p: num(x.get(p, math.nan), ".2f")) for p in params},
                         "note": "note"})]
    return join(*out)


def gamma_one_section(a: FamilyAnalysis) -> str:
    out = ["## γ = 1\n",
           "At γ = 1 the square average s never changes from its start s₀, so the conventions, "
           "not the data, decide the update:\n\n"
           f"- s₀ = 0, ε after the root (PyTorch): {explain('rmsprop', 0.0, False)}.\n"
           f"- s₀ = 0, ε inside the root (optax): {explain('rmsprop', 0.0, True)}.\n"
           f"- s₀ = 1 (TensorFlow 1): {explain('rmsprop', 1.0, False)}.\n"
           f"- bias-corrected (Adam with β1 = 0): {explain('rmsprop', 0.0, False, True)}.\n\n"
           "Each row compares the best run at γ = 1 (lr re-tuned) with the best at γ < 1 (constant "
           "schedule) on the same problem and convention; d is how much better γ < 1 is.\n"]
    g1 = a.gamma_one
    if g1.empty:
        return join(*out, missing("no trial at γ = 1", GAMMA_ONE))
    out.append(table(g1, {
        "problem": "problem", "optimizer": "optimizer", "s₀": "initial_square_avg", "ε in √": "eps_in_sqrt",
        "bias-corrected": "bias_correction",
        "trials at γ=1": "n_at_1", "best at γ=1": "best_at_1", "its lr": lambda x: num(x["lr_at_1"], ".3g"),
        "diverged at γ=1": lambda x: f"{x['divergence_at_1']:.0%}", "best γ<1": "best_below_1",
        "at γ": "gamma_below_1", "d": lambda x: num(x["d"], ".3g"), "SGD best": "sgd_best",
        "verdict": "verdict",
    }))
    out.append(_missing_conventions(g1))
    return join(*out)


def _missing_conventions(g1: pd.DataFrame) -> str:
    notes = []
    rms = g1[g1["optimizer"] == "rmsprop"]
    for prob, g in rms.groupby("problem"):
        seen = {float(s) for s in g["initial_square_avg"].dropna()}
        for s0 in (0.0, 1.0):
            if s0 not in seen:
                notes.append(f"- {prob}: rmsprop at γ = 1 with s₀ = {s0:g} was not measured "
                             f"(`optimizer.initial_square_avg={s0:g}`; preset {GAMMA_ONE}).\n")
    return ("\n" + "".join(notes)) if notes else ""


def schedule_section(a: FamilyAnalysis) -> str:
    out = ["## Schedule\n",
           "Constant γ against the rising schedule γ_t = 1 − (1 − γ₀)/(1 + t/τ), each with lr and "
           "γ₀ re-tuned. One selection rule for every column: each schedule's *pick* is its tuning "
           "trial best on validation among those re-run on seeds (its best tuning trial when none "
           "was); the row gives the pick's validation value, γ and lr, the mean ± std of its "
           "confirmation runs that trained (test metric), and rising − constant on those runs, "
           "paired by seed, with the simultaneous interval its verdict reads against 0 and the "
           "declared margin (`sweeps/analysis/confirmation.py`). d (validation) > 0 means rising's "
           "pick is better there (descriptive).\n"]
    s = a.schedule
    if s.empty:
        return join(*out, missing("no problem was run under both γ schedules", SCHEDULE))
    out.append(table(s, {
        "problem": "problem", "optimizer": "optimizer", "s₀": "initial_square_avg",
        "constant: pick (val)": "constant_best", "γ": lambda x: f"{x['constant_gamma']:g}"
        + (" (grid edge)" if x["constant_on_edge"] else ""),
        "lr": lambda x: num(x["constant_lr"], ".3g"),
        "test, trained": lambda x: pm(x["constant_seed_mean"], x["constant_seed_std"], x["constant_seed_n"]),
        "rising: pick (val)": "rising_best", "γ₀": "rising_gamma", "lr ": lambda x: num(x["rising_lr"], ".3g"),
        "test, trained ": lambda x: pm(x["rising_seed_mean"], x["rising_seed_std"], x["rising_seed_n"]),
        "d (val)": lambda x: num(x["d"], ".3g"),
        "rising − constant (test, paired)": lambda x: (f"{fmt(x['test_diff'], True)} [{fmt(x['ci_low'])}, "
                                                       f"{fmt(x['ci_high'])}]" if x["n_pairs"] else "–"),
        "pairs": "n_pairs", "verdict": "verdict",
    }))
    edge = s[s["constant_on_edge"]]
    if len(edge):
        out.append("\n" + " ".join(
            f"On {x['problem']} the constant schedule's pick is γ = {x['constant_gamma']:g}, the largest γ "
            f"of its grid{' (γ cannot exceed 1)' if x['constant_gamma'] >= 1 else ''}: the grid's edge, not "
            "an interior optimum, so the constant arm may be better than its grid lets it show."
            for x in edge.to_dict("records")) + "\n")
    return join(*out)


def optimizer_section(a: FamilyAnalysis) -> str:
    out = ["## Optimizers\n",
           "Each study's best tuning run, and the spread over seeds of its re-run configuration with "
           "the best mean (mean ± std and min–max; the re-run's source trial is given). "
           "\"− RMSprop\": the confirmation runs of each study's setting best on validation, paired by "
           "seed with RMSprop's, with the simultaneous t-interval (Bonferroni over the studies compared) "
           "from which the verdict is read against 0 and the declared margin.\n"]
    t = a.optimizers
    if t.empty:
        return join(*out, missing("no tuning study has a complete trial", OPTIMIZER_PRESET))
    out += [image(OPTIMIZERS, "optimizers"), table(t, {
        "problem": "problem", "study": "label", "metric": "metric", "trials": "n",
        "diverged": lambda x: f"{x['divergence_rate']:.0%}", "best": "best", "trial": "best_trial",
        "params": "best_params", "seeds mean ± std": lambda x: pm(x["seed_mean"], x["seed_std"], x["seed_n"]),
        "seeds min–max": min_max,
        "re-run of trial": lambda x: num(x["seed_source"], ".0f"),
        "− RMSprop (test, paired)": lambda x: (f"{fmt(x['test_diff'], True)} [{fmt(x['ci_low'])}, "
                                              f"{fmt(x['ci_high'])}]" if x["n_pairs"] == x["n_pairs"]
                                              and x["n_pairs"] else "–"),
        "verdict": lambda x: x["verdict"] if isinstance(x["verdict"], str) else "–",
    })]
    if not a.has_seeds:
        out.append("\n_No seed re-runs in this family: the spread over seeds is not available._\n")
    return join(*out)
