"""The report's first screen: the question, the verdicts with their numbers, the evidence, one figure.

At most ~15 lines, read before anything else. Verdict words come from the paired tests of the
confirmation runs (``confirmation.py``) and every number is formatted as in the tables that
follow (``summary.fmt``); a smoke family states no verdict, only that it exercised the pipeline.
"""

from __future__ import annotations

import pandas as pd

from models.outcome import TRAINED

from ..confirmation import test_metric
from ..family import FamilyAnalysis, VariantResult
from ..figures._names import variant_file
from ..summary import diff_numbers, failure_words, fmt, swept_range

SMOKE_LINE = ("**Smoke run** (`hydra.sweeper.protocol.scale: smoke`): these numbers exercise the "
              "pipeline end to end and answer nothing; no verdict is stated.")
MAX_BULLETS = 4


def first_screen(a: FamilyAnalysis, smoke: bool = False) -> str:
    """Markdown: the title, the answer with its numbers, the scale of the evidence, one figure."""
    lines = [SMOKE_LINE, ""] if smoke else []
    lines += [f"# gammasweep report: {a.family}", ""]
    confirmed = [r for r in a.variants if not r.confirmation.empty]
    if confirmed:
        p, v = confirmed[0].protocol, confirmed[0].variant
        x = p["label"]
        lines.append(
            f"**{question(v)}** Each {x} with lr re-tuned on validation{_on_seeds(v)}, its best "
            f"setting re-run on paired seeds and scored once on {test_metric(v.metric)}, "
            f"against {x} = {_v(p['reference'])} (difference {x} − reference with its simultaneous "
            f"t-interval, Bonferroni over each task's {x} at family-wise α = {p['alpha']:g}; the word is read "
            "off the interval: inside ±margin *equivalent*, excluding 0 *different*; losses only where "
            "both runs trained, failures counted apart):")
    else:
        lines.append(f"**{question(a.variants[0].variant) if a.variants else QUESTION}** This family has no "
                     "paired confirmation runs, "
                     "so it states no verdict; `python sweep.py -m` (the default) and "
                     "`study=gamma_rigorous` run them.")
    lines.append("")
    lines += [f"- {_bullet(r, smoke)}" for r in confirmed[:MAX_BULLETS]]
    rest = _others(a, confirmed[MAX_BULLETS:])
    if rest:
        lines.append(f"- {rest}")
    lines += ["", _evidence(a), ""]
    figure = _figure(confirmed)
    if figure:
        lines += [figure, ""]
    return "\n".join(lines)


def _bullet(r: VariantResult, smoke: bool) -> str:
    """One task's comparisons; each γ swept but not compared says why (never trained, say)."""
    tested = []
    for x in r.confirmation.to_dict("records"):
        word = "" if smoke else (f"**{x['verdict']}**" if x["verdict"] != "inconclusive" else "inconclusive")
        tested.append(" ".join(w for w in (f"{r.protocol['label']} = {x['config']:g}", word, diff_numbers(x)) if w))
    untested = _not_compared(r)
    failed = [failure_words(x, r.protocol["label"]) for x in r.confirmation.to_dict("records")
              if x.get("failed", 0) or x.get("ref_failed", 0)] if "failed" in r.confirmation else []
    rule = r.protocol.get("margin_rule") or ""
    said = f" = {rule}" if rule and not rule.startswith("±") else ""
    return (f"**{r.variant.name}** (margin ±{fmt(r.protocol['margin'])}{said}{_mde(r)}): "
            + "; ".join(tested + untested) + "." + (" Failures: " + "; ".join(failed) + "." if failed else ""))


def _mde(r: VariantResult) -> str:
    """``; the design's smallest: ±0.018``, and a plain word when the margin is out of its reach."""
    t = r.confirmation
    if "mde" not in t or not t["mde"].notna().any():
        return ""
    mde = float(t["mde"].median())
    reach = "" if mde < float(r.protocol["margin"]) else ", so equivalence was out of reach"
    return f"; the smallest it could call equivalent, median over {r.protocol.get('label', 'γ')}: ±{fmt(mde)}{reach}"


def _not_compared(r: VariantResult) -> list[str]:
    """The swept values with no confirmation: none of their tuning runs trained, or not re-run."""
    p, v = r.protocol, r.variant
    compared = set(r.confirmation["config"].astype(float)) | {float(p["reference"])}
    out = []
    done = v.tuning[v.tuning["state"] == "COMPLETE"]
    for g, rows in done.groupby(v.column):
        if float(g) in compared:
            continue
        trained = int((rows["outcome"] == TRAINED).sum())
        if trained == 0:
            out.append(f"{v.label} = {g:g} never trained ({len(rows)} of {len(rows)} tuning runs diverged or collapsed)")
        else:
            out.append(f"{v.label} = {g:g} not re-run on seeds")
    return out


QUESTION = "How sensitive is RMSprop to γ?"
_NAMES = {"rmsprop": "RMSprop", "rmsprop_graves": "Graves' RMSprop", "adam": "Adam", "sgd": "SGD",
          "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "Adagrad"}


def question(v) -> str:
    """The question the variant's protocol answers: how sensitive its optimizer is to its factor."""
    optimizer = v.tuning["optimizer"].iloc[0] if len(v.tuning) else "rmsprop"
    return f"How sensitive is {_NAMES.get(optimizer, optimizer)} to {v.label}?"


def _on_seeds(v) -> str:
    """How many tuning seeds the pick averaged, when more than one."""
    done = v.tuning[v.tuning["state"] == "COMPLETE"]
    k = int(done.groupby("setting")["seed"].nunique().max()) if len(done) and "setting" in done else 1
    return f" (each setting on {k} tuning seeds, picked by the mean)" if k > 1 else ""


def _v(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def _others(a: FamilyAnalysis, more: list[VariantResult]) -> str:
    """One line for the studies of the factor (γ, β1 ...) the screen does not show: more
    confirmed ones, descriptive ones."""
    descriptive = [r for r in a.variants if r.confirmation.empty and not r.variant.deterministic]
    fixed = [r for r in a.variants if r.confirmation.empty and r.variant.deterministic]
    x = a.label
    parts = []
    if more:
        parts.append(f"{len(more)} more confirmed {x} stud{'y' if len(more) == 1 else 'ies'} below")
    if descriptive:
        names = ", ".join(sorted({r.variant.tuning['optimizer'].iloc[0] for r in descriptive}))
        values = pd.concat([r.variant.tuning[r.variant.column] for r in descriptive])
        parts.append(f"{len(descriptive)} {x} stud{'y' if len(descriptive) == 1 else 'ies'} ({names}; "
                     f"{x} {swept_range(values)}) without confirmation runs: descriptive only")
    if fixed:
        parts.append(f"{len(fixed)} deterministic {x} stud{'y' if len(fixed) == 1 else 'ies'}: paired "
                     "seeds not applicable, exact values in *Per task*")
    return ("; ".join(parts) + " (*Per task* below).") if parts else ""


def _evidence(a: FamilyAnalysis) -> str:
    """The scale of the evidence: trials, studies, tasks, steps, confirmation runs and seeds."""
    t = a.trials
    tasks = sorted({f"{m}/{d}" if isinstance(d, str) and d != "none" else m
                    for m, d in zip(t["model"], t["data"])})
    seeds = t[t["role"] == "seeds"]
    n_seeds = seeds["seed"].nunique() if len(seeds) else 0
    steps = sorted({int(s) for s in t["steps"].dropna()})
    span = "–".join(str(s) for s in (steps[0], steps[-1])) if len(steps) > 1 else (str(steps[0]) if steps else "?")
    text = (f"Evidence: {len(t)} finished trials in {t['study'].nunique()} studies on {len(tasks)} "
            f"task{'s' if len(tasks) != 1 else ''} ({', '.join(tasks)}), {span} steps each; ")
    text += (f"{len(seeds)} of them confirmation runs on {n_seeds} paired seeds."
             if len(seeds) else "no confirmation runs.")
    return text


def _figure(confirmed: list[VariantResult]) -> str:
    """The paired differences of the first task with a verdict other than inconclusive."""
    if not confirmed:
        return ""
    decided = [r for r in confirmed if (r.confirmation.get("verdict") != "inconclusive").any()]
    r = (decided or confirmed)[0]
    return f"![paired differences, {r.variant.name}]({variant_file('paired', r.variant.name)})"
