"""Divergence rate by γ: the fraction of COMPLETE trials at each γ point whose run diverged
(and how many collapsed: finished no better than the constant predictor, models/outcome.py).

Only COMPLETE trials count: a pruned run was stopped before we could know whether it would have
diverged, and a FAIL is a crash, not a divergence.
"""

from __future__ import annotations

import pandas as pd

from . import points
from .sensitivity import complete
from .variants import Variant

# the first, "gamma", is named after the variant's factor (``Variant.column``: beta1 ...)
COLUMNS = ["gamma", "span", "n", "n_diverged", "n_collapsed", "rate"]


def divergence_rate(v: Variant) -> pd.DataFrame:
    done = complete(v.tuning)
    x = v.column   # the factor's column names the table's first
    if done.empty:
        return pd.DataFrame(columns=[x, *COLUMNS[1:]])
    gp = points.fit_factor(done[x], v.scale)
    keys, spans = gp.key(done[x]), gp.span(done[x])
    rows = [
        {x: g, "span": spans.loc[sub.index[0]], "n": len(sub),
         "n_diverged": int(sub["diverged"].sum()),
         "n_collapsed": int((sub["outcome"] == "collapsed").sum()),
         "rate": float(sub["diverged"].mean())}
        for g, sub in done.groupby(keys, sort=True)
    ]
    return pd.DataFrame(rows, columns=[x, *COLUMNS[1:]])
