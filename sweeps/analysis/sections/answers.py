"""The answers that need several studies side by side: γ's effect across tasks, batch sizes and
conventions, and the problems whose behaviour theory predicts (Reddi et al. 2018's counterexample,
the rotated quadratic). Every cell is read from the studies' tuning and confirmation runs.
"""

from __future__ import annotations

import math

import pandas as pd

from models.outcome import TRAINED

from ..direction import best_index
from ..known import edge_sentence, sgd_optimum, spacing
from ..family import FamilyAnalysis, VariantResult
from ..gamma_one import problem
from ..sensitivity import complete
from ..stats import VERDICTS
from ..summary import finite, fmt, interval
from ._markdown import join, missing, num, table
from ._presets import RIGOROUS

REDDI_CONVERGED = 0.1     # final suboptimality below this fraction of the start's: near x* = −1


def across_section(a: FamilyAnalysis) -> str:
    x = a.label   # the family's factor: γ, β1 ...
    out = [f"## {x} across tasks, batch sizes and conventions\n",
           f"One row per {x} study: its paired verdicts against the declared reference {x} (confirmation "
           f"runs, test split, simultaneous intervals over the {x} values of the row), the largest paired "
           f"difference with that interval, the {x} with the best confirmed mean, and the {x} values whose "
           f"best lr on validation lies on the edge of the lr grid (there the grid, not {x}, may decide).\n\n"
           "**Descriptive across rows.** Each row's error rate is controlled within the row only; the "
           "counts summed or compared across rows (\"k of n equivalent\", \"worse on every task\") add "
           "verdicts of separate families with no overall correction, so they describe these studies "
           "and are not a test.\n"]
    rows = [_across_row(r) for r in a.variants]
    if not rows:
        return join(*out, missing("no study of this family sweeps γ", RIGOROUS))
    out.append(table(rows, {
        "study": "study", "steps": "steps", "batch": "batch", f"{x} compared": "n",
        **{w: w for w in VERDICTS},
        "largest difference vs reference": "largest", f"best confirmed {x}": "best",
        f"best lr on the grid's edge at {x}": "edge",
    }))
    return join(*out)


def _across_row(r: VariantResult) -> dict:
    v, t, m = r.variant, r.confirmation, r.confirm_means
    done = complete(v.tuning)
    row = {"study": v.name, "steps": _one(done, "steps"), "batch": _one(done, "batch_size"),
           "n": len(t), **{w: int((t["verdict"] == w).sum()) if len(t) else 0 for w in VERDICTS},
           "largest": "–", "best": "–",
           "edge": ", ".join(f"{g:g}" for g in edge_gammas(done, v.direction, v.column)) or "none"}
    if len(t) and "mean_diff" in t and t["mean_diff"].notna().any():
        x = t.loc[t["mean_diff"].abs().idxmax()]
        row["largest"] = (f"{v.label} = {x['config']:g}: {fmt(x['mean_diff'], True)} "
                          f"{interval(x['ci_low'], x['ci_high'])}")
    if len(m):
        i = best_index(m["mean"], v.direction)
        if i is not None:
            row["best"] = f"{m.loc[i, 'config']:g} ({fmt(m.loc[i, 'mean'])})"
    return row


def edge_gammas(done: pd.DataFrame, direction: str, column: str = "gamma") -> list[float]:
    """Values of the factor (its ``column``: γ, β1 ...) whose best trial (on validation) used the
    smallest or largest lr of the grid."""
    if done.empty or "lr" not in done:
        return []
    low, high = done["lr"].min(), done["lr"].max()
    out = []
    for value, g in done.groupby(column, sort=True):
        i = best_index(g["value"], direction)
        if i is not None and g.loc[i, "lr"] in (low, high):
            out.append(float(value))
    return out


def _one(rows: pd.DataFrame, column: str):
    values = rows[column].dropna().unique() if column in rows else []
    return int(values[0]) if len(values) == 1 else "–"


def known_answers_section(a: FamilyAnalysis) -> str:
    out = ["## Problems with a known answer\n"]
    tuning = complete(a.trials[a.trials["role"] == "tuning"])
    reddi = tuning[tuning["model"] == "reddi"]
    rotated = tuning[tuning["model"] == "rotated_quadratic"]
    if reddi.empty and rotated.empty:
        return join(*out, missing("no study of this family runs `reddi` or `rotated_quadratic`", RIGOROUS))
    if len(reddi):
        out += [_reddi(reddi)]
    if len(rotated):
        out += [_rotation(rotated)]
    return join(*out)


def _reddi(rows: pd.DataFrame) -> str:
    head = ("### Reddi et al. 2018's counterexample\n\n"
            "x ∈ [−1, 1], f_t = C·x on every third step (online, their Theorem 1) or with probability "
            "(1 + δ)/(C + 1) (stochastic, Theorem 3), −x otherwise; the optimum is x* = −1 and the "
            "start x₀ = +1, the worst point. Per γ: the runs of the lr grid (ε fixed) whose final "
            f"suboptimality is below {REDDI_CONVERGED:g} of the start's (x within "
            f"{2 * REDDI_CONVERGED:g} of −1: *converged*), and the best final suboptimality with its "
            "lr (tuning runs, validation = the exact expected loss). Theorem 1: with β₁ = 0 and "
            "γ = 1/(1 + C²) RMSprop converges to x = +1.\n")
    out = [head]
    rows = rows.assign(problem=problem(rows))
    for (prob, conv), g in rows.groupby(["problem", "convention"], sort=True, dropna=False):
        start = g["initial_val_loss"].max() if "initial_val_loss" in g else math.nan
        lines = []
        for gamma, sub in g.groupby("gamma", sort=True):
            ok = sub["value"] < REDDI_CONVERGED * start
            i = best_index(sub["value"], "minimize")
            lines.append({"γ": gamma, "converged": f"{int(ok.sum())} of {len(sub)}",
                          "best": sub.loc[i, "value"] if i is not None else math.nan,
                          "lr": sub.loc[i, "lr"] if i is not None else math.nan})
        first = next((x["γ"] for x in lines if x["best"] < REDDI_CONVERGED * start), None)
        out.append(f"**{prob}, convention {conv}** (f at the start {num(start)}): the smallest γ whose "
                   f"best run converged is {num(first, 'g') if first is not None else 'none of the grid'}.\n"
                   + edge_sentence([x["γ"] for x in lines], [x["best"] < REDDI_CONVERGED * start for x in lines])
                   + f" lr grid: {spacing(g['lr'])}.\n")
        out.append(table(lines, {"γ": lambda x: num(x["γ"], "g"), "runs converged": "converged",
                                 "best final suboptimality": "best", "at lr": lambda x: num(x["lr"], ".3g")}))
    return join(*out)


def _rotation(rows: pd.DataFrame) -> str:
    out = ["### The rotated quadratic: does rotation remove RMSprop's advantage?\n",
           "f = 0.2u² + 4v² (condition number 20) with (u, v) the coordinates turned by the angle; "
           "0° is axis-aligned, 45° puts the valley on the diagonal. Steps until f − f* ≤ tolerance · "
           "(f₀ − f*), fewest over the lr grid (and over γ for RMSprop); deterministic, so the numbers "
           "are exact for the grid (no seeds, no interval). A dash: no run reached the tolerance.\n"]
    if "final_steps_to_tol" not in rows:
        return join(*out, "No run recorded steps to the tolerance (set model.options.tolerance).\n")
    lines = []
    for (angle, opt), g in rows.groupby(["angle", "optimizer"], sort=True):
        trained = g[g["outcome"] == TRAINED]
        steps = trained["final_steps_to_tol"].astype(float)
        i = steps.idxmin() if steps.notna().any() else None
        lines.append({"angle": angle, "optimizer": opt, "runs": len(g),
                      "reached": int(steps.notna().sum()),
                      "steps": steps.loc[i] if i is not None else math.nan,
                      "lr": g.loc[i, "lr"] if i is not None else math.nan,
                      "gamma": g.loc[i, "gamma"] if i is not None and "gamma" in g else math.nan})
    out.append(table(lines, {"angle (°)": lambda x: num(float(x["angle"]), "g"), "optimizer": "optimizer",
                             "runs": "runs", "reached the tolerance": "reached",
                             "fewest steps": lambda x: num(x["steps"], ".0f"),
                             "at lr": lambda x: num(x["lr"], ".3g"), "at γ": lambda x: num(x["gamma"], "g")}))
    ratio = _rotation_ratios(lines)
    if ratio:
        out.append("Fewest steps, RMSprop ÷ SGD: " + "; ".join(ratio) + ".\n")
    out.append(f"lr grid: {spacing(rows['lr'])}. " + _sgd_check(lines, rows))
    return join(*out)


def _sgd_check(lines: list[dict], rows: pd.DataFrame) -> str:
    """SGD's grid best against its analytic optimum lr* = 2/(λmin + λmax) (sweeps/analysis/known.py)."""
    tol = rows["tolerance"].dropna() if "tolerance" in rows else pd.Series(dtype=float)
    sgd = [x for x in lines if x["optimizer"] == "sgd" and finite(x["steps"])]
    if tol.empty or not sgd:
        return "\n"
    lr_star, k_star = sgd_optimum(float(tol.iloc[0]))
    best = min(sgd, key=lambda x: x["steps"])
    return (f"SGD's grid best lr = {best['lr']:.3g}, analytic {lr_star:.3g}: steps {best['steps']:.0f} "
            f"vs {k_star} (at lr*, from any start: f − f* shrinks by ((κ − 1)/(κ + 1))² a step).\n")


def _rotation_ratios(lines: list[dict]) -> list[str]:
    by = {(float(x["angle"]), x["optimizer"]): x["steps"] for x in lines}
    out = []
    for angle in sorted({k[0] for k in by}):
        r, s = by.get((angle, "rmsprop"), math.nan), by.get((angle, "sgd"), math.nan)
        if finite(r) and finite(s) and s > 0:
            out.append(f"{angle:g}°: {r:.0f} ÷ {s:.0f} = {r / s:.3g}")
    return out
