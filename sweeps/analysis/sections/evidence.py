"""The sections built on the protocol's evidence: Tunability (paired), Where training breaks, Budget.

γ is the family's factor (``FamilyAnalysis.label``), each table's rows the values of its
variant's factor; the slope of lr_max against 1 − γ is fitted for γ only."""

from __future__ import annotations

import math

from sweeps import factor as factors

from ..family import FamilyAnalysis
from ..figures._names import variant_file
from ..lr_window import TOLERANCE
from ..summary import finite, fmt, interval
from ._markdown import image, join, missing, num, table
from ._presets import GAMMA

_NONE = "no study of this family sweeps γ"


def tunability_section(a: FamilyAnalysis) -> str:
    x = a.label
    out = ["## Tunability\n",
           f"Tunability of {x} (Probst, Boulesteix & Bischl, 2019): d = test metric at the default {x} − "
           f"at the {x} chosen on validation (the best tuning trial's {x}), sign flipped for a maximised "
           f"metric, on the paired confirmation runs that trained, with its 95% t-interval; d ≥ 0 means tuning {x} "
           "helps, and an interval containing 0 means the data cannot tell. Defaults: "
           + ", ".join(_defaults(a)) + ".\n"]
    if not a.variants:
        return join(*out, missing(_NONE, GAMMA))
    rows = [t | {"variant": r.variant.name} for r in a.variants for t in r.confirm_tunability.to_dict("records")]
    out.append(table(rows, {
        "study": "variant", "default": lambda x: f"{x['name']} {x['default']:g}",
        f"{x} chosen on validation": lambda x: num(x["best"], "g"), "pairs": "n",
        "d": lambda x: fmt(x["d"], True) if finite(x["d"]) else "–",
        "95% interval": lambda x: interval(x["ci_low"], x["ci_high"]) or "–",
        "note": lambda x: x["reason"] or "",
    }))
    return join(*out)


def _defaults(a: FamilyAnalysis) -> list[str]:
    """``PyTorch γ = 0.99``, ``Keras γ = 0.9``; ``reference β1 = 0.9`` for another factor."""
    found = [(r.variant.label, name, value) for r in a.variants
             for name, value in factors.defaults(r.variant.factor, r.protocol.get("reference")).items()]
    if not found:   # no variant: the section says why; its words stay γ's
        found = [("γ", name, value) for name, value in factors.GAMMA_DEFAULTS.items()]
    return [f"{name} {label} = {value:g}" for label, name, value in dict.fromkeys(found)]


def lr_max_section(a: FamilyAnalysis) -> str:
    x = a.label
    slope = ("The slope b of log10 lr_max against log10(1 − γ) is a least-squares fit over the "
             "uncensored γ < 1, with its 95% interval; a start-up transient of the square average "
             "predicts b ≈ 0.5 without bias correction." if a.sweeps_gamma or not a.variants else
             f"No slope is fitted: its law (b ≈ 0.5 against log10(1 − γ)) is about the memory of the "
             f"square average γ, not {x}.")
    out = ["## Where training breaks\n",
           f"lr_max({x}): the largest lr whose run still trained (neither diverged nor collapsed), among "
           f"the runs sharing the setting of that {x}'s best run in everything but lr — the tuning grid, "
           "refined by bisection (`hydra.sweeper.lr_max.rounds`). lr_max lies in [lo, hi); the "
           "estimate is √(lo·hi). *above*/*below*: censored at the edge of the lr range tried. "
           f"{slope} How easy {x} makes tuning: the lr window, the width in "
           f"decades of the lr range around that {x}'s best where the best validation value at each lr "
           f"is within {TOLERANCE:.0%} of the best (relative to it; linear interpolation of the value "
           "against log10 lr between the lr tried, the refinement's points included; ≥: the window "
           "reaches the edge of the lr range tried).\n"]
    if not a.variants:
        return join(*out, missing(_NONE, GAMMA))
    for r in a.variants:
        s, col, label = r.lr_scaling, r.variant.column, r.variant.label
        fit = ("" if not s else   # not γ: no fit (the intro says why)
               f"Slope b = {fmt(s['slope'])} [{fmt(s['ci_low'])}, {fmt(s['ci_high'])}] over {s['n']} γ."
               if finite(s["slope"]) else f"No slope: {s['n']} uncensored γ < 1 (3 needed).")
        out += [f"\n### {r.variant.name}\n", fit, window_sentence(r.lr_max, col, label), table(r.lr_max, {
            label: lambda x, col=col: f"{x[col]:g}", "lo (trained)": lambda x: num(x["lo"], ".3g"),
            "hi (failed)": lambda x: num(x["hi"], ".3g"), "lr_max": lambda x: num(x["lr_max"], ".3g"),
            "censored": "censored", "runs": "n_runs", "of them bisection": "n_bisection",
            f"lr window ({TOLERANCE:.0%}), decades": _window_cell})]
    return join(*out)


def _window_cell(x) -> str:
    if not finite(x.get("window_decades")):
        return "–"
    return ("≥ " if x["window_censored"] else "") + f"{x['window_decades']:.2f}"


def window_sentence(t, column: str = "gamma", label: str = "γ") -> str:
    """The widest and the narrowest lr window among the values of one variant's factor (its
    ``column``, named ``label``), read from its table."""
    t = t[t["window_decades"].notna()] if "window_decades" in t else t.iloc[:0]
    if len(t) < 2:
        return ""
    wide, narrow = t.loc[t["window_decades"].idxmax()], t.loc[t["window_decades"].idxmin()]
    return (f"The lr window is widest at {label} = {wide[column]:g} ({_window_cell(wide)} decades) and "
            f"narrowest at {label} = {narrow[column]:g} ({_window_cell(narrow)} decades).")


def budget_section(a: FamilyAnalysis) -> str:
    x = a.label
    out = ["## Budget\n",
           f"Expected best validation value after B tuning trials drawn at random from each {x}'s pool "
           "(Dodge et al. 2019, \"Show your work\"), B = 1…64, ± its standard deviation; runs that "
           f"did not train count with their penalty. A {x} whose curve needs a larger B to reach the "
           "others is harder to tune.\n"]
    if not a.variants:
        return join(*out, missing(_NONE, GAMMA))
    for r in a.variants:
        col, label = r.variant.column, r.variant.label
        if r.budget.empty:
            out.append(f"\n### {r.variant.name}\n\n_{label} was not swept on a grid: no per-{label} pool._\n")
            continue
        b = r.budget
        rows = [{"value": g, **{f"B={k}": b[(b[col] == g) & (b["budget"] == k)]["expected"].iloc[0]
                                for k in (1, 4, 16, 64) if ((b[col] == g) & (b["budget"] == k)).any()}}
                for g in sorted(b[col].unique())]
        out += [f"\n### {r.variant.name}\n", image(variant_file("budget", r.variant.name), "budget"),
                table(rows, {label: lambda x: f"{x['value']:g}",
                             **{k: (lambda x, k=k: num(x.get(k, math.nan))) for k in ("B=1", "B=4", "B=16", "B=64")}})]
    return join(*out)
