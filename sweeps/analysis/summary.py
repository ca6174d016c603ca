"""The report's plain-language summary, generated from the numbers (no hand-written claims).

The only qualitative words — *different*, *equivalent*, *inconclusive* and the answer built from
them — come from the paired tests of the confirmation runs (``confirmation.py``, ``stats/``),
read off the simultaneous interval printed beside them;
everything else is a number with its source (tuning runs are marked descriptive). Numbers are
formatted by ``fmt``, the one format the tables use too.
"""

from __future__ import annotations

import math

import pandas as pd

from .confirmation import test_metric
from .direction import best_index
from sweeps import factor as factors

from .family import FamilyAnalysis, VariantResult
from .stats import VERDICTS


def summary(a: FamilyAnalysis, smoke: bool = False) -> list[str]:
    """Markdown bullet lines: one per γ study, then γ = 1, the schedule and the optimizers.

    ``smoke``: the family's numbers only exercise the pipeline, so no verdict is stated as a finding.
    """
    lines = []
    lines += [variant_sentence(r, a.importances, smoke) for r in a.variants]
    lines += fixed_lr_sentences(a)
    if not a.variants:
        lines.append("No study of this family sweeps γ, so the sensitivity question is not answered "
                     "here; `python sweep.py -m study=gamma_sensitivity` produces such studies.")
    lines += [gamma_one_sentence(row) for row in a.gamma_one.to_dict("records")]
    lines += [schedule_sentence(row, smoke) for row in a.schedule.to_dict("records")]
    lines += optimizer_sentences(a.optimizers, smoke)
    if not a.has_seeds:
        lines.append("No confirmation runs (`<study>.seeds`) exist in this family: every number is "
                     "a single tuning run on the validation split, and no comparison gets a verdict.")
    return [f"- {line}" for line in lines]


def variant_sentence(r: VariantResult, importances: pd.DataFrame, smoke: bool = False) -> str:
    """The answer for one variant: verdicts only from the paired tests of its confirmation runs."""
    v, x = r.variant, r.variant.label
    c = r.curve[factors.proper(v.factor, r.curve[v.column])]
    i = best_index(c["best"], v.direction)
    if i is None:
        return f"**{v.name}**: no complete trial at {x} < 1." if v.scale == "memory" else \
            f"**{v.name}**: no complete trial."
    b = c.loc[i]
    done = v.tuning[v.tuning["state"] == "COMPLETE"]
    text = (f"**{v.name}**: tuning ({len(done)} trials, {v.metric}) swept {x} {swept_range(done[v.column])} "
            f"and lr with it; best {b['best']:.4g} at {x} {b['span']} "
            f"(lr = {b['best_lr']:.3g}; a best-of-many single run, not an estimate). "
            + confirmation_clause(r, smoke))
    pruned = int((v.tuning["state"] == "PRUNED").sum())
    if pruned:
        text += f" {pruned} pruned runs are left out (stopped early, they have no final value)."
    return text + _importance_clause(importances, v.study, v.column, v.label)


def swept_range(gammas: pd.Series) -> str:
    """``∈ [0, 1]`` for a continuous range, ``∈ {0, 0.9, 0.99, 1}`` for a few values: what ran."""
    values = sorted(gammas.dropna().unique())
    if not values:
        return "(none)"
    if len(values) <= 4 or len(values) < len(gammas.dropna()):   # a grid or a choice: values repeat
        return "∈ {" + ", ".join(f"{g:.4g}" for g in values) + "}"
    return f"∈ [{values[0]:.4g}, {values[-1]:.4g}]"


def confirmation_clause(r: VariantResult, smoke: bool = False) -> str:
    """What the paired confirmation runs say; *inconclusive* whenever they cannot decide."""
    t, p = r.confirmation, r.protocol
    x = p.get("label", "γ")
    metric = test_metric(r.variant.metric)
    if r.variant.deterministic:
        return ("Verdict: not applicable (deterministic: every seed gives the same run, so the tuning "
                "values are exact and there is no noise to test against).")
    if t.empty:
        return (f"No verdict: no confirmation runs (set hydra.sweeper.seeds.n ≥ 3 to re-run each {x}'s "
                f"best setting on paired seeds and score {metric} once).")
    head = (f"Confirmation on paired seeds, {metric} against {x} = {p['reference_gamma']:g} "
            f"({protocol_words(t, p)}): ")
    if smoke:
        return (head + "; ".join(f"{x} {diff(row)}" for row in t.to_dict("records"))
                + ". Smoke run: these differences exercise the tests and state no verdict.")
    parts = []
    for word in VERDICTS:
        rows = t[t["verdict"] == word]
        if len(rows):
            parts.append(f"{word} at {x} " + ", ".join(diff(row) for row in rows.to_dict("records")))
    counts = {w: int((t["verdict"] == w).sum()) for w in VERDICTS}
    if counts["different"]:
        overall = (f"{x} matters with lr re-tuned: {counts['different']} of {len(t)} {x} values differ "
                   f"from {x} = {p['reference_gamma']:g}")
    elif counts["equivalent"] == len(t):
        overall = (f"insensitive to {x} within ±{p['margin']:g} over the {len(t)} {x} values compared "
                   "(every one equivalent)")
    elif counts["equivalent"]:
        overall = (f"{counts['equivalent']} of {len(t)} {x} values equivalent to {x} = {p['reference_gamma']:g}, "
                   f"{counts['inconclusive']} inconclusive at this number of seeds")
    else:
        overall = (f"inconclusive: {counts['inconclusive']} of {len(t)} {x} values neither differ nor "
                   "are equivalent at this number of seeds")
    extra = " ".join(c for c in (failure_clause(t, x), power_clause(t, p)) if c)
    return head + "; ".join(parts) + f". Verdict: **{overall}**." + (f" {extra}" if extra else "")


def protocol_words(t: pd.DataFrame, p: dict) -> str:
    """``margin ±0.0042 (1% of …); intervals are simultaneous 99.5% t-intervals over the 10 γ …``."""
    rule = p.get("margin_rule")
    m = int(t["m"].iloc[0]) if "m" in t and len(t) else 0
    level = float(t["level"].iloc[0]) if "level" in t and len(t) else math.nan
    text = f"margin ±{fmt(p['margin'])}" + (f" ({rule})" if rule and not rule.startswith("±") else "")
    if finite(level):
        text += (f"; intervals are simultaneous {100 * level:.4g}% t-intervals over the {m} "
                 f"{p.get('label', 'γ')} tested "
                 f"(Bonferroni, family-wise α = {p['alpha']:g}), and the verdict is read off them")
    return text


def failure_clause(t: pd.DataFrame, label: str = "γ") -> str:
    """``Failures: γ = 1: 5 of 5 did not train (reference 0 of 5; exact p = 0.062, Holm 0.12).``
    (``label``: the factor's name)."""
    if "failed" not in t:
        return ""
    rows = t[(t["failed"] > 0) | (t["ref_failed"] > 0)]
    if rows.empty:
        return ""
    return "Failures (diverged or collapsed, compared apart; losses only where both trained): " + "; ".join(
        failure_words(x, label) for x in rows.to_dict("records")) + "."


def failure_words(x: dict, label: str = "γ") -> str:
    p = (f"exact p = {x['p_fail']:.2g}, Holm {x['p_fail_holm']:.2g}" if finite(x.get("p_fail"))
         else "no discordant seed, no test")
    return (f"{label} = {x['config']:g}: {int(x['failed'])} of {int(x['n_seeds'])} did not train "
            f"(reference {int(x['ref_failed'])} of {int(x['n_seeds'])}; {p})")


def power_clause(t: pd.DataFrame, p: dict) -> str:
    """The smallest margin the design could call equivalent, against the declared one."""
    if "mde" not in t or not t["mde"].notna().any():
        return ""
    mde = t["mde"].dropna()
    margin = float(p["margin"])
    short = int((mde >= margin).sum())
    x = p.get("label", "γ")
    span = fmt(mde.min()) if len(mde) == 1 else f"{fmt(mde.min())}–{fmt(mde.max())} (median {fmt(mde.median())})"
    text = (f"Power: at the measured sd of the differences the smallest margin this design could call "
            f"equivalent (80% power, true difference 0) is ±{span}, against the declared ±{fmt(margin)}")
    if short == len(mde):
        return text + f": equivalence was out of reach (power below 80%) for every {x} tested."
    if short:
        return text + f": equivalence was out of reach (power below 80%) for {short} of {len(mde)} {x}."
    return text + f": equivalence was within reach for every {x} tested."


def diff(x: dict) -> str:
    """``0.9 (+0.012 [0.004, 0.020], n = 10)``: the γ, then its ``diff_numbers``."""
    return f"{x['config']:g} {diff_numbers(x)}"


def diff_numbers(x: dict) -> str:
    """``(+0.012 [0.004, 0.020], n = 10)``: the mean paired difference and its 95% interval."""
    if not isinstance(x.get("mean_diff"), float) or not math.isfinite(x["mean_diff"]):
        return f"(n = {int(x.get('n', 0) or 0)}; {x.get('reason') or 'not tested'})"
    ci = interval(x.get("ci_low"), x.get("ci_high"))
    return f"({fmt(x['mean_diff'], signed=True)}{' ' + ci if ci else ''}, n = {int(x['n'])})"


def fmt(x: float, signed: bool = False) -> str:
    """The one number format of sentences and tables (a test reads both)."""
    return f"{x:+.3g}" if signed else f"{x:.3g}"


def _importance_clause(imp: pd.DataFrame, study: str, x: str = "gamma", label: str = "γ") -> str:
    """The importance of the factor (its column ``x``, named ``label``) in the study, beside the
    other parameters'."""
    rows = imp[imp["study"] == study]
    parts = []
    for ev, g in rows.groupby("evaluator", sort=False):
        shares = dict(zip(g["param"], g["importance"]))
        if x not in shares:
            continue
        if not math.isfinite(shares[x]):   # the importance section says why, once
            continue
        # a swept train.seed (tuning seeds) has an importance too: the share of seed-to-seed noise
        others = ", ".join(f"{'seed noise' if p == 'seed' else p} {s:.2f}" for p, s in shares.items()
                           if p != x and math.isfinite(s))
        parts.append(f"{ev} {shares[x]:.2f} ({others})")
    return f" {label}'s importance: {'; '.join(parts)}." if parts else ""


def gamma_one_sentence(row: dict) -> str:
    s0 = row["initial_square_avg"]
    conv = f"s₀ = {s0:g}, ε in √: {row['eps_in_sqrt']}" if finite(s0) else "its only convention"
    if str(row.get("bias_correction")).lower() == "true":
        conv = "bias-corrected"
    text = (f"γ = 1 on {row['problem']} with {row['optimizer']} ({conv}): "
            f"{row['verdict']} in tuning; best {row['best_at_1']:.4g} at lr = {row['lr_at_1']:.3g} vs "
            f"{row['best_below_1']:.4g} at γ = {row['gamma_below_1']:g} (single tuning runs, "
            f"descriptive). Why: {row['explanation']}.")
    if finite(row["sgd_best"]):
        text += f" SGD's best on the same problem: {row['sgd_best']:.4g}."
    return text


def schedule_sentence(row: dict, smoke: bool = False) -> str:
    diff = (f"rising − constant {fmt(row['test_diff'], True)} {interval(row['ci_low'], row['ci_high'])} "
            f"on {row['n_pairs']} paired seeds, " if finite(row["ci_low"]) else "")
    edge = (f" (γ = {row['constant_gamma']:g} is the largest γ of the grid: its edge)"
            if row.get("constant_on_edge") else "")
    return (f"Schedule on {row['problem']} with {row['optimizer']}, each schedule's setting best on "
            f"validation among those re-run: constant γ = {row['constant_gamma']:g}{edge}, "
            f"{row['constant_best']:.4g} on validation; rising γ₀ = {row['rising_gamma']:g}, "
            f"{row['rising_best']:.4g}; both with lr re-tuned; "
            f"confirmation: {diff}" + ("smoke run, no verdict." if smoke else f"verdict **{row['verdict']}**."))


def optimizer_sentences(table: pd.DataFrame, smoke: bool = False) -> list[str]:
    out = []
    for prob, g in table.groupby("problem", sort=True):
        if len(g) < 2:
            continue
        d = g["direction"].iloc[0]
        b = g.loc[best_index(g["best"], d)]
        seed = (f", {b['seed_mean']:.4g} ± {b['seed_std']:.2g} over {b['seed_n']} seeds"
                if b["seed_n"] > 1 else "")
        text = (f"Best tuning run of the {len(g)} studies on {prob}: {b['name']} with "
                f"{b['metric']} {b['best']:.4g}{seed} (descriptive).")
        paired = g[g["verdict"].notna()]
        if len(paired):
            text += " Against RMSprop on paired confirmation seeds (test metric, other − RMSprop): " + "; ".join(
                f"{x['name']} {fmt(x['test_diff'], True)} {interval(x['ci_low'], x['ci_high'])} "
                f"{'' if smoke else x['verdict']}".rstrip() if finite(x["ci_low"])
                else f"{x['name']} {'(smoke run)' if smoke else x['verdict']}"
                for x in paired.to_dict("records")) + "."
        else:
            text += " No paired confirmation runs of RMSprop and the others: no verdict."
        out.append(text)
    return out


def fixed_lr_sentences(a: FamilyAnalysis) -> list[str]:
    """At a fixed lr, fairly: the spread over γ at every lr of the grid, not at the winner's lr."""
    out = []
    for r in a.variants:
        t = fixed_lr_table(r)
        t = t[t["gammas"] >= 2]   # a spread over one γ is no spread
        if t.empty:
            continue
        label = r.variant.label
        parts = ", ".join(f"{fmt(x['lr'])}: {fmt(x['spread'])} ({int(x['gammas'])} {label})"
                          for x in t.to_dict("records"))
        over = f"{label} < 1" if factors.is_gamma(r.variant.factor) else label   # γ = 1 is apart
        out.append(f"**{r.variant.name}** at a fixed lr (tuning runs, {r.variant.metric}, descriptive): "
                   f"the spread of the best value over {over} at each lr of the grid — {parts}.")
    return out


def fixed_lr_table(r: VariantResult) -> pd.DataFrame:
    """Per grid lr: the spread (max − min) over γ < 1 (the factor's proper values,
    ``sweeps.factor.proper``) of the best value at that lr, and how many of its values have a
    trained run there (``gammas``). Only for a grid over lr (≤ 12 distinct values)."""
    from .sensitivity import complete

    v = r.variant
    done = complete(v.tuning)
    done = done[factors.proper(v.factor, done[v.column])]
    lrs = sorted(done["lr"].dropna().unique())
    if not lrs or len(lrs) > 12:
        return pd.DataFrame(columns=["lr", "spread", "gammas"])
    rows = []
    for lr in lrs:
        at = done[done["lr"] == lr]
        best = at.groupby(v.column)["value"].min() if v.direction == "minimize" \
            else at.groupby(v.column)["value"].max()
        rows.append({"lr": lr, "spread": float(best.max() - best.min()), "gammas": len(best)})
    return pd.DataFrame(rows)


def finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def interval(low, high) -> str:
    """``[low, high]`` in ``fmt``: the 95% interval of sentences and tables; "" without one."""
    return f"[{fmt(low)}, {fmt(high)}]" if finite(low) else ""
