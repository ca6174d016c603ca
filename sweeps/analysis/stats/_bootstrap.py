"""Bootstrap interval of a mean paired difference.

For differences d_1..d_n the interval is the (1 − α) BCa interval of mean(d) from
``scipy.stats.bootstrap`` (Efron's bias-corrected and accelerated percentiles of the resampled
means). BCa is undefined when the jackknife has no spread or the resamples are degenerate; then
the plain percentile interval is used. All differences equal (up to rounding) gives exactly [d, d]; fewer than two
differences give no interval (NaN, NaN).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

from ._pairing import all_equal


def mean_ci(d: np.ndarray, *, alpha: float, n_resamples: int, random_state: int,
            scale: float = 0.0) -> tuple[float, float]:
    """(low, high) of the (1 − alpha) bootstrap interval of ``mean(d)``; see the module docstring.

    ``scale``: size of the values whose differences ``d`` are, for ``all_equal``'s rounding slack.
    """
    d = np.asarray(d, dtype=float)
    if len(d) < 2:
        return math.nan, math.nan
    if all_equal(d, scale):
        return float(np.mean(d)), float(np.mean(d))
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            # scipy warns (DegenerateDataWarning, RuntimeWarning) when BCa is undefined; the NaN
            # it then returns is caught below and the percentile method used instead.
            warnings.simplefilter("ignore")
            try:
                res = stats.bootstrap((d,), np.mean, method=method, n_resamples=n_resamples,
                                      confidence_level=1 - alpha, vectorized=True,
                                      rng=np.random.default_rng(random_state))
            except (ValueError, FloatingPointError):
                continue
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            return low, high
    return math.nan, math.nan
