"""γ = 1: the square average never forgets, so it never moves from its initial value s₀.

What the optimizer then does is decided by s₀ (and where ε sits), not by the data:
  * s₀ = 0 (PyTorch, optax): s stays 0, every step is lr·g/ε (lr·g/√ε with ε inside the root):
    SGD with lr scaled up by 1/ε, e.g. 10⁸, which diverges unless lr is tiny.
  * s₀ = 1 (TensorFlow 1): s stays 1, every step is lr·g/(1 + ε): plain SGD.
The verdict compares, per problem and convention, the best run at γ = 1 (lr re-tuned) with the
best at γ < 1 (constant schedule), and gives the divergence rate at γ = 1 and SGD's best on the
same problem for reference. Trials pool across the family's studies of one (model, data,
optimizer), so a convention may be a setting of one study or a swept parameter.
"""

from __future__ import annotations

import math

import pandas as pd

from .direction import best_index, gain, sole_direction
from .sensitivity import complete

COLUMNS = ["problem", "optimizer", "initial_square_avg", "eps_in_sqrt", "bias_correction", "n_at_1", "best_at_1",
           "lr_at_1", "divergence_at_1", "best_below_1", "gamma_below_1", "d", "sgd_best",
           "verdict", "explanation"]


def explain(optimizer: str, s0: float, eps_in_sqrt, bias_correction=None) -> str:
    """What the update becomes at γ = 1, in words."""
    if optimizer == "rmsprop" and str(bias_correction).lower() == "true":
        return "ŝ becomes the plain mean of g² over all steps (AdaGrad's sum / t), as Adam's v̂ — not degenerate"
    if optimizer == "rmsprop":
        inside = str(eps_in_sqrt).lower() == "true"
        if s0 is not None and math.isfinite(s0) and s0 > 0:
            root = (f"√({s0:g} + ε)" if inside else f"(√{s0:g} + ε)").replace("√1 ", "1 ")
            scaled = "" if s0 == 1 else f" with lr/√{s0:g}"
            return f"s stays at s₀ = {s0:g}: every step is lr·g/{root} — plain SGD{scaled}"
        root = "√ε" if inside else "ε"
        return (f"s stays at 0: every step is lr·g/{root} — SGD with lr multiplied by 1/{root}, "
                "huge for a small ε")
    if optimizer == "rmsprop_graves":
        return "n and ḡ stay 0: Δ ← μ·Δ − (lr/√ε)·g — momentum SGD with lr/√ε"
    if optimizer == "adam":
        return "v̂ becomes the plain mean of g² over all steps (AdaGrad's sum / t) — not degenerate"
    return ""


# model options that make a different problem (split keys, sweeps/analysis/load.py)
PROBLEM_OPTIONS = ("angle", "stochastic")


def problem(rows: pd.DataFrame) -> pd.Series:
    """``model/data`` (just ``model`` for the problems that carry their own data), then the model
    options that change the problem (``reddi stochastic=True``) and, where ``rows`` mix batch
    sizes, the batch size (``binary_mlp/binary_teacher batch=32``)."""
    model, data = rows["model"].astype(str), rows["data"].astype(str)
    out = model.where(data == "none", model + "/" + data)
    for key in PROBLEM_OPTIONS:
        if key in rows:
            given = rows[key].notna()
            out = out.where(~given, out + f" {key}=" + rows[key].astype(str))
    if "batch_size" in rows and rows["batch_size"].nunique() > 1:
        out = out + " batch=" + rows["batch_size"].map(lambda b: "?" if pd.isna(b) else str(int(b)))
    return out


def gamma_one(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per (problem, optimizer, s₀, ε placement) that has trials at γ = 1."""
    tuning = complete(trials[trials["role"] == "tuning"])
    tuning = tuning[tuning["gamma"].notna()].assign(problem=problem)
    sgd = tuning_sgd(trials)
    keys = ["problem", "optimizer", "initial_square_avg", "eps_in_sqrt", "bias_correction"]
    rows = []
    for key, g in tuning.groupby(keys, sort=True, dropna=False):
        at1 = g[g["gamma"] >= 1.0]
        if at1.empty:
            continue
        direction = sole_direction(g)
        below = g[(g["gamma"] < 1.0) & constant(g)]
        i1, ib = best_index(at1["value"], direction), best_index(below["value"], direction)
        row = dict(zip(keys, key))
        row |= {"n_at_1": len(at1), "best_at_1": at1.loc[i1, "value"], "lr_at_1": at1.loc[i1, "lr"],
                "divergence_at_1": float(at1["diverged"].mean()),
                "best_below_1": math.nan if ib is None else below.loc[ib, "value"],
                "gamma_below_1": math.nan if ib is None else below.loc[ib, "gamma"]}
        row["d"] = gain(row["best_below_1"], row["best_at_1"], direction)
        row["sgd_best"] = sgd.get((row["problem"], direction), math.nan)
        row["verdict"] = outcome_counts(at1)  # descriptive: the paired verdict is the variant's
        row["explanation"] = explain(row["optimizer"], row["initial_square_avg"], row["eps_in_sqrt"],
                                     row["bias_correction"])
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def outcome_counts(rows: pd.DataFrame) -> str:
    """``3 of 21 trained, 18 diverged, 0 collapsed`` (models/outcome.py's words)."""
    o = rows["outcome"]
    return (f"{int((o == 'trained').sum())} of {len(rows)} trained, {int((o == 'diverged').sum())} "
            f"diverged, {int((o == 'collapsed').sum())} collapsed")


def constant(rows: pd.DataFrame) -> pd.Series:
    """Trials with a constant γ (a study without the schedule setting has a constant γ)."""
    return rows["gamma_schedule"].isna() | (rows["gamma_schedule"] == "constant")


def tuning_sgd(trials: pd.DataFrame) -> dict[tuple[str, str], float]:
    """SGD's best value per (problem, direction) in the family, the reference for s₀ = 1."""
    sgd = complete(trials[(trials["role"] == "tuning") & (trials["optimizer"] == "sgd")])
    out = {}
    for (p, d), g in sgd.assign(problem=problem).groupby(["problem", "direction"]):
        out[(p, d)] = float(g.loc[best_index(g["value"], d), "value"])
    return out
