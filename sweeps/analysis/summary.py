"""The report's plain-language summary, generated from the numbers (no hand-written claims).

Every qualitative word comes from ``verdicts`` and its documented thresholds. The spread of a
sensitivity curve is taken over γ < 1 (γ = 1 is a different algorithm; it has its own section).
"""

from __future__ import annotations

import math

import pandas as pd

from . import verdicts
from .direction import best_index
from .family import FamilyAnalysis, VariantResult


def summary(a: FamilyAnalysis) -> list[str]:
    """Markdown bullet lines: one per γ study, then γ = 1, the schedule and the optimizers."""
    lines = []
    lines += [variant_sentence(r, a.importances) for r in a.variants]
    if not a.variants:
        lines.append("No study of this family sweeps γ, so the sensitivity question is not answered "
                     "here; `python sweep.py -m study=gamma_sensitivity` produces such studies.")
    lines += [gamma_one_sentence(row) for row in a.gamma_one.to_dict("records")]
    lines += [schedule_sentence(row) for row in a.schedule.to_dict("records")]
    lines += optimizer_sentences(a.optimizers)
    if not a.has_seeds:
        lines.append("No seed re-runs (`<study>.seeds`) exist in this family: every number is a "
                     "single run, and differences are judged against a tolerance of "
                     f"{verdicts.RELATIVE_TOLERANCE:.0%} of the best value instead of measured seed noise.")
    return [f"- {line}" for line in lines]


def curve_numbers(r: VariantResult) -> dict:
    """Spreads and the near-optimal γ points of one curve (γ < 1)."""
    c = r.curve[r.curve["gamma"] < 1.0]
    d = r.variant.direction
    out = {"points": len(c), "spread": _spread(c["best"]), "fixed_spread": _spread(c["fixed_best"]),
           "fixed_points": int(c["fixed_best"].notna().sum())}
    i = best_index(c["best"], d)
    out["best_row"] = None if i is None else c.loc[i]
    if i is not None and math.isfinite(r.tolerance.value):
        near = c[(c["best"] - c.loc[i, "best"]).abs() <= r.tolerance.value]
        out["near"] = list(near["span"])
    else:
        out["near"] = []
    return out


def variant_sentence(r: VariantResult, importances: pd.DataFrame) -> str:
    v, n = r.variant, curve_numbers(r)
    if n["best_row"] is None:
        return f"**{v.name}**: no complete trial at γ < 1."
    b, c = n["best_row"], r.curve[r.curve["gamma"] < 1.0]
    per_point = c["n"].sum() / max(n["points"], 1)
    done = r.variant.tuning[r.variant.tuning["state"] == "COMPLETE"]
    swept = done["gamma"][done["gamma"] < 1.0]  # the values themselves, not bin centres
    text = (
        f"**{v.name}** ({v.metric}, {v.direction}): with lr re-tuned, the best {v.metric} varies by "
        f"{n['spread']:.3g} across γ ∈ [{swept.min():.4g}, {swept.max():.4g}] "
        f"({n['points']} γ points, {per_point:.1f} trials each on average); best {b['best']:.4g} at "
        f"γ {b['span']} (lr = {b['best_lr']:.3g}). At a fixed lr = {c['fixed_lr'].iloc[0]:.3g} it "
        f"varies by {n['fixed_spread']:.3g} over the {n['fixed_points']} γ points that have trials "
        f"there. Within the tolerance ({r.tolerance.how}) of the best: γ {', '.join(n['near'])}. "
        f"Verdict: {verdicts.sensitivity_word(n['spread'], n['fixed_spread'], r.tolerance)}."
    )
    pruned = int((r.variant.tuning["state"] == "PRUNED").sum())
    if pruned:
        text += f" {pruned} pruned runs are left out (stopped early, they have no final value)."
    if per_point < verdicts.MIN_TRIALS_PER_POINT:
        text += (f" With under {verdicts.MIN_TRIALS_PER_POINT} trials per γ point, lr is barely "
                 "re-tuned: read this curve as indicative (more trials, or the grid sampler, fix that).")
    diverged = c[c["best_diverged"]]["span"]
    if len(diverged):
        text += (f" (At γ {', '.join(diverged)} every run diverged: those points hold the penalty, "
                 "the untrained value.)")
    return text + _importance_clause(importances, v.study) + _tunability_clause(r)


def _importance_clause(imp: pd.DataFrame, study: str) -> str:
    rows = imp[imp["study"] == study]
    parts = []
    for ev, g in rows.groupby("evaluator", sort=False):
        shares = dict(zip(g["param"], g["importance"]))
        if "gamma" not in shares:
            continue
        if not math.isfinite(shares["gamma"]):
            parts.append(f"{ev}: not measurable ({g['reason'].iloc[0]})")
            continue
        others = ", ".join(f"{p} {s:.2f}" for p, s in shares.items() if p != "gamma" and math.isfinite(s))
        parts.append(f"{ev} {shares['gamma']:.2f} ({verdicts.importance_word(shares['gamma'])}; {others})")
    return f" γ's importance: {'; '.join(parts)}." if parts else ""


def _tunability_clause(r: VariantResult) -> str:
    parts = []
    for t in r.tunability.to_dict("records"):
        if not math.isfinite(t["d"]):
            parts.append(f"over γ = {t['default']:g} ({t['name']}): not measurable — {t['reason']}")
            continue
        seed = (f", {t['seed_d']:.3g} ± {t['seed_se']:.2g} from seed means (± standard error)"
                if math.isfinite(t["seed_d"]) else " (single runs)")
        parts.append(f"over γ = {t['default']:g} ({t['name']}) d = {t['d']:.3g}{seed}")
    return f" Tunability {'; '.join(parts)}." if parts else ""


def gamma_one_sentence(row: dict) -> str:
    s0 = row["initial_square_avg"]
    conv = f"s₀ = {s0:g}" if _finite(s0) else "its only convention"
    text = (f"γ = 1 on {row['problem']} with {row['optimizer']} ({conv}): best {row['best_at_1']:.4g} "
            f"({row['n_at_1']} trials, {row['divergence_at_1']:.0%} diverged) vs {row['best_below_1']:.4g} "
            f"at γ = {row['gamma_below_1']:g}; {row['verdict']}. Why: {row['explanation']}.")
    if _finite(row["sgd_best"]):
        text += f" SGD's best on the same problem: {row['sgd_best']:.4g}."
    return text


def schedule_sentence(row: dict) -> str:
    return (f"Schedule on {row['problem']} with {row['optimizer']}: constant γ best "
            f"{row['constant_best']:.4g} (γ = {row['constant_gamma']:g}), rising γ best "
            f"{row['rising_best']:.4g} (γ₀ = {row['rising_gamma']:g}), both with lr re-tuned; "
            f"{row['verdict']}.")


def optimizer_sentences(table: pd.DataFrame) -> list[str]:
    out = []
    for prob, g in table.groupby("problem", sort=True):
        if len(g) < 2:
            continue
        d = g["direction"].iloc[0]
        b = g.loc[best_index(g["best"], d)]
        seed = (f", {b['seed_mean']:.4g} ± {b['seed_std']:.2g} over {b['seed_n']} seeds"
                if b["seed_n"] > 1 else "")
        stds = g["seed_std"].dropna()
        tol = verdicts.tolerance(float((stds ** 2).mean() ** 0.5) if len(stds) else math.nan, b["best"])
        tied = [r["name"] for _, r in g.iterrows()
                if r.name != b.name and abs(r["best"] - b["best"]) <= tol.value]
        tie = (f"; within the tolerance ({tol.how}) of it: {', '.join(tied)}" if tied
               else f"; no other optimizer within the tolerance ({tol.how})")
        out.append(f"Best of the {len(g)} studies on {prob}: {b['name']} with "
                   f"{b['metric']} {b['best']:.4g}{seed}{tie}.")
    return out


def _spread(values: pd.Series) -> float:
    v = values.dropna()
    return float(v.max() - v.min()) if len(v) else math.nan


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)
