"""Steps to a target by γ: how soon, with lr re-tuned, a run first reaches a good metric.

Target: the final metric of the best quarter of the variant's non-diverged runs, i.e. the 25 %
quantile of final losses (75 % for a maximised metric such as accuracy). It is reachable by
construction, on the scale of the problem, and less noisy than "the best run's final value".
A run reaches it at the first evaluation step (its Optuna intermediate values: step 0, every
``eval_every`` steps and the last step) whose metric is at least that good; the γ point's value
is the fastest of its runs that did not diverge, lr re-tuned for speed. Steps are only as fine
as ``eval_every``.
"""

from __future__ import annotations

import math

import pandas as pd

from . import points
from .direction import check
from .sensitivity import complete
from .variants import Variant

TARGET_QUANTILE = 0.25
# the first, "gamma", is named after the variant's factor (``Variant.column``: beta1 ...)
COLUMNS = ["gamma", "span", "n", "n_reached", "steps", "target"]


def target(v: Variant) -> float:
    ok = complete(v.tuning)
    ok = ok[~ok["diverged"]]["value"]
    if ok.empty:
        return math.nan
    q = TARGET_QUANTILE if check(v.direction) == "minimize" else 1 - TARGET_QUANTILE
    return float(ok.quantile(q))


def first_step(curve: dict, goal: float, direction: str) -> float:
    """First step whose value reaches ``goal``; NaN if none does."""
    for step, value in sorted(curve.items()):
        if (value <= goal) if direction == "minimize" else (value >= goal):
            return float(step)
    return math.nan


def steps_to_target(v: Variant, goal: float | None = None) -> pd.DataFrame:
    done = complete(v.tuning)
    x = v.column   # the factor's column names the table's first
    goal = target(v) if goal is None else goal
    if done.empty or not math.isfinite(goal):
        return pd.DataFrame(columns=[x, *COLUMNS[1:]])
    gp = points.fit_factor(done[x], v.scale)
    keys, spans = gp.key(done[x]), gp.span(done[x])
    steps = done["curve"].map(lambda c: first_step(c or {}, goal, v.direction))
    steps[done["diverged"]] = math.nan  # reaching the target on the way to blowing up is no help
    rows = [
        {x: g, "span": spans.loc[sub.index[0]], "n": len(sub),
         "n_reached": int(steps.loc[sub.index].notna().sum()),
         "steps": float(steps.loc[sub.index].min()), "target": goal}
        for g, sub in done.groupby(keys, sort=True)
    ]
    return pd.DataFrame(rows, columns=[x, *COLUMNS[1:]])
