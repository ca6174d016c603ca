"""Tunability of a hyperparameter with an interval (Probst, Boulesteix & Bischl, JMLR 2019).

On seed-paired runs of a default config and a best config,

    d_s = value(default, s) − value(best, s)     (minimize)
    d_s = value(best, s) − value(default, s)     (maximize)

so d ≥ 0 means tuning helps; ``d`` is mean_s d_s with its (1 − α) BCa bootstrap interval
(the paired machinery of ``compare_paired``). ``best`` should be chosen on other data
(validation) by the caller. When it is not given, the config with the best mean over its seeds is
taken from these same runs, and ``selected_on_same_data`` is True: d is then biased upwards
(winner's curse) and a report must say so.
"""

from __future__ import annotations

import pandas as pd

from ._bootstrap import mean_ci
from ._pairing import (check_config, check_direction, check_level, check_runs, by_config,
                       mean_or_nan, paired, value_scale)


def tunability(runs: pd.DataFrame, *, default, direction: str, best=None, alpha: float = 0.05,
               n_resamples: int = 9999, random_state: int = 0) -> dict:
    """``{default, best, n, d, ci_low, ci_high, selected_on_same_data}``; see the module docstring."""
    runs = check_runs(runs)
    check_direction(direction)
    check_level(alpha=alpha, n_resamples=n_resamples)
    check_config(runs, default, "default")
    selected = best is None
    if selected:
        means = runs.groupby("config", sort=False)["value"].mean()
        best = means.idxmin() if direction == "minimize" else means.idxmax()
    else:
        check_config(runs, best, "best")
    x_default, x_best = paired(by_config(runs), default, best)
    d = x_default - x_best if direction == "minimize" else x_best - x_default
    scale = value_scale(x_default, x_best)
    low, high = mean_ci(d, alpha=alpha, n_resamples=n_resamples, random_state=random_state,
                        scale=scale)
    return {"default": default, "best": best, "n": len(d), "d": mean_or_nan(d),
            "ci_low": low, "ci_high": high, "selected_on_same_data": selected}
