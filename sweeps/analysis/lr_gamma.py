"""The lr × γ map: the best final metric in each (lr, γ) cell, and how many of its runs diverged.

Cells are grid values, or bins (γ: see ``points.GAMMA_EDGES``; lr: half-decade bins) when the
sampler drew continuous values. "Best" is over everything else swept (ε, ...). A cell whose runs
all diverged holds the divergence penalty (the untrained metric), so the map marks it.
γ is the variant's factor: its columns are named ``v.column`` and ``<v.column>_span``.
"""

from __future__ import annotations

import pandas as pd

from . import points
from .direction import best_value
from .sensitivity import complete
from .variants import Variant

# "gamma" and "gamma_span" are named after the variant's factor (``Variant.column``: beta1 ...)
COLUMNS = ["lr", "lr_span", "gamma", "gamma_span", "n", "best", "n_diverged", "all_diverged"]


def lr_gamma(v: Variant) -> pd.DataFrame:
    """Long table, one row per non-empty (lr, γ) cell."""
    done = complete(v.tuning)
    x = v.column
    columns = [c.replace("gamma", x) for c in COLUMNS]
    if done.empty:
        return pd.DataFrame(columns=columns)
    gp, lp = points.fit_factor(done[x], v.scale), points.fit(done["lr"], log=True)
    frame = done.assign(
        lr_key=lp.key(done["lr"]), lr_span=lp.span(done["lr"]),
        g_key=gp.key(done[x]), g_span=gp.span(done[x]),
    )
    rows = []
    for (lr, g), cell in frame.groupby(["lr_key", "g_key"], sort=True):
        n_div = int(cell["diverged"].sum())
        rows.append({
            "lr": lr, "lr_span": cell["lr_span"].iloc[0], x: g,
            f"{x}_span": cell["g_span"].iloc[0], "n": len(cell),
            "best": best_value(cell["value"], v.direction),
            "n_diverged": n_div, "all_diverged": n_div == len(cell),
        })
    return pd.DataFrame(rows, columns=columns)
