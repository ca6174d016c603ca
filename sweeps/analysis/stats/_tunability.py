"""Tunability of a hyperparameter with an interval (Probst, Boulesteix & Bischl, JMLR 2019).

On seed-paired runs of a default config and a best config, among the seeds where both trained,

    d_s = value(default, s) − value(best, s)     (minimize)
    d_s = value(best, s) − value(default, s)     (maximize)

so d ≥ 0 means tuning helps; ``d`` is mean_s d_s with its (1 − α) t-interval
(``scipy.stats.ttest_1samp``; at the 10 or so seeds of a confirmation the t-interval is
preferred to a bootstrap, whose percentile intervals are too narrow at small n). ``best``
should be chosen on other data (validation) by the caller. When it is not given, the config with
the best mean over its seeds is taken from these same runs, and ``selected_on_same_data`` is
True: d is then biased upwards (winner's curse) and a report must say so.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ._pairing import (all_equal, by_config, check_config, check_direction, check_level, check_runs,
                       mean_or_nan, paired, value_scale)


def t_interval(d: np.ndarray, *, alpha: float, scale: float = 0.0) -> tuple[float, float]:
    """(low, high) of the (1 − alpha) t-interval of mean(d); [d, d] without spread; NaN for n < 2."""
    d = np.asarray(d, dtype=float)
    if len(d) < 2:
        return math.nan, math.nan
    if all_equal(d, scale):
        return float(np.mean(d)), float(np.mean(d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # spread near rounding level; see _paired
        ci = stats.ttest_1samp(d, 0.0).confidence_interval(confidence_level=1 - alpha)
    return float(ci.low), float(ci.high)


def tunability(runs: pd.DataFrame, *, default, direction: str, best=None,
               alpha: float = 0.05) -> dict:
    """``{default, best, n, d, ci_low, ci_high, selected_on_same_data}``; see the module docstring."""
    runs = check_runs(runs)
    check_direction(direction)
    check_level(alpha=alpha)
    check_config(runs, default, "default")
    selected = best is None
    if selected:
        means = runs[runs["trained"]].groupby("config", sort=False)["value"].mean()
        best = means.idxmin() if direction == "minimize" else means.idxmax()
    else:
        check_config(runs, best, "best")
    x_default, x_best = paired(by_config(runs), default, best)
    d = x_default - x_best if direction == "minimize" else x_best - x_default
    low, high = t_interval(d, alpha=alpha, scale=value_scale(x_default, x_best))
    return {"default": default, "best": best, "n": len(d), "d": mean_or_nan(d),
            "ci_low": low, "ci_high": high, "selected_on_same_data": selected}
