"""The section on the pick across tuning seeds: how often it changes, and what that does to the
tuned difference (``analysis.tuning_seeds``)."""

from __future__ import annotations

import json

from ..confirmation import setting_means
from ..family import FamilyAnalysis
from ..tuning_seeds import from_table, stability, tuned_spread
from ._markdown import join, missing, num, table

HEADING = "## The pick across tuning seeds\n"


def tuning_seeds_section(a: FamilyAnalysis) -> str:
    """Per study tuned on several seeds and per value of its factor: the setting picked by the
    mean, on how many tuning seeds alone it was also the best, and the tuned difference to the
    reference with the mean picks against its range over the single seeds' picks."""
    blocks = [HEADING, "Each setting was trained on every tuning seed and picked by its mean validation "
              "value; *agrees* counts the tuning seeds on which that setting alone was also the best. "
              "The tuned difference (value − reference, lower is better for a loss) is computed with "
              "the mean picks, and with each single seed's picks for the range; *on* says whether the "
              "settings compared were all re-run on the confirmation seeds (mean test value) or not "
              "(mean validation value over the tuning seeds)."]
    shown = False
    for r in a.variants:
        v = r.variant
        done = v.tuning[v.tuning["state"] == "COMPLETE"]
        if done.empty or done.groupby("setting")["seed"].nunique().max() < 2:
            continue
        rows = from_table(done, [v.column])
        stable = stability(rows, v.direction).set_index("group")
        spread = tuned_spread(rows, _key(rows, r.protocol["reference"]), v.direction, setting_means(v))
        spread = spread.set_index("group") if len(spread) else spread
        out = []
        for value in sorted(stable.index):
            s = stable.loc[value]
            d = spread.loc[value] if value in getattr(spread, "index", []) else None
            out.append({"value": value, "pick": _lr(s["pick"]), "agrees": f"{s['agree']} of {s['n_seeds']}",
                        "distinct": s["distinct"],
                        "difference": "reference" if d is None else num(d["difference"], "+.3g"),
                        "range": "–" if d is None else f"{num(d['low'], '+.3g')} … {num(d['high'], '+.3g')}",
                        "on": "–" if d is None else d["basis"]})
        blocks += [f"**{v.name}**:", table(out, {
            v.label: "value", "picked lr": "pick", "agrees": "agrees", "distinct single-seed picks": "distinct",
            "tuned difference": "difference", "over single-seed picks": "range", "on": "on"})]
        shown = True
    if not shown:
        return join(HEADING, missing("no study of this family trained its settings on several tuning seeds",
                                     "gamma_rigorous"))
    return join(*blocks)


def _key(rows, reference):
    """The group equal to the declared reference (float-tolerant), or the reference itself."""
    for g in rows["group"].unique():
        try:
            if abs(float(g) - float(reference)) <= 1e-12:
                return g
        except (TypeError, ValueError):
            continue
    return reference


def _lr(setting: str | None) -> str:
    """The picked setting's lr (its other parameters are in *Per task*)."""
    if not isinstance(setting, str):
        return "–"
    return num(json.loads(setting).get("optimizer.lr"), ".3g")
