"""Paired comparison of each config against a reference config declared up front.

Estimand: for config c, the mean over seeds of the paired difference

    μ_d(c) = E_s[ value(c, s) − value(reference, s) ],

seeds being common random numbers (same seed → same initialisation and batch order), so the seed's
effect cancels in each difference. Only seeds run for both c and the reference are paired.

Per config c with n ≥ 3 pairs d_1..d_n:

* ``mean_diff`` = mean(d); ``ci_low, ci_high`` its (1 − α) BCa bootstrap interval
  (``scipy.stats.bootstrap``; percentile method if BCa is undefined). Intervals are *unadjusted*
  (per config, not family-wise).
* ``p_diff``: two-sided paired t-test of μ_d = 0 (``scipy.stats.ttest_rel``).
* ``p_equiv``: TOST equivalence test of −margin < μ_d < margin
  (``statsmodels.stats.weightstats.ttost_paired``), the larger of its two one-sided p-values.
* ``p_diff_holm``, ``p_equiv_holm``: Holm's step-down adjustment across the configs compared
  (``statsmodels.stats.multitest.multipletests``), separately for each test, so that the chance
  of *any* false "different" (or any false "equivalent") over the family is at most α.

Verdicts use only the Holm-adjusted p-values; the rule is in ``_verdict``:
"equivalent" if p_equiv_holm < α, else "different" if p_diff_holm < α, else "inconclusive".
Fewer than 3 pairs: "inconclusive", NaN interval and p-values. All differences equal up to
rounding (no spread): an exact verdict from |d| against the margin, interval [d, d], NaN
p-values. Both kinds of config are left out of the Holm family (they are not tested).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.weightstats import ttost_paired

from . import _verdict
from ._bootstrap import mean_ci
from ._pairing import (all_equal, check_config, check_direction, check_level, check_runs,
                       by_config, mean_or_nan, paired, sorted_configs, value_scale)

COLUMNS = ["config", "n", "mean_diff", "ci_low", "ci_high", "p_diff", "p_diff_holm", "p_equiv",
           "p_equiv_holm", "verdict", "reason", "reference", "margin", "alpha"]


def _tests(x: np.ndarray, ref: np.ndarray, margin: float) -> tuple[float, float]:
    """(p_diff, p_equiv) of the paired differences x − ref."""
    with warnings.catch_warnings():
        # Differences with a spread just above rounding level make scipy warn of catastrophic
        # cancellation; the p-values it returns are still the right limit (≈ 0).
        warnings.simplefilter("ignore", RuntimeWarning)
        p_diff = float(stats.ttest_rel(x, ref).pvalue)
        p_equiv = float(ttost_paired(x, ref, -margin, margin)[0])
    return p_diff, p_equiv


def compare_paired(runs: pd.DataFrame, *, reference, margin: float, direction: str,
                   alpha: float = 0.05, n_resamples: int = 9999,
                   random_state: int = 0) -> pd.DataFrame:
    """One row per config other than ``reference``: paired difference, tests and verdict.

    ``runs`` has columns ``config, seed, value``; see the module docstring for the statistics.
    Speed: statsmodels' Holm adjustment calls ``gc.collect()`` (~0.1-0.2 s in a process with
    pandas and scipy loaded, twice a call); a loop over many tables can ``gc.freeze()`` first.

    >>> runs = pd.DataFrame({"config": [0.9] * 4 + [0.99] * 4, "seed": [0, 1, 2, 3] * 2,
    ...                      "value": [0.50, 0.61, 0.42, 0.55, 0.30, 0.40, 0.21, 0.36]})
    >>> compare_paired(runs, reference=0.99, margin=0.01, direction="minimize",
    ...                n_resamples=999)[["config", "n", "verdict"]]
       config  n    verdict
    0     0.9  4  different
    """
    runs = check_runs(runs)
    check_direction(direction)
    check_level(alpha=alpha, n_resamples=n_resamples)
    if not (isinstance(margin, (int, float)) and math.isfinite(margin) and margin > 0):
        raise ValueError(f"margin must be a finite number > 0 in metric units, but got {margin=}.")
    check_config(runs, reference, "reference")

    by = by_config(runs)
    rows = []
    for config in sorted_configs(c for c in by if c != reference):
        x, ref = paired(by, config, reference)
        d = x - ref
        scale = value_scale(x, ref)
        row = {"config": config, "n": len(d), "mean_diff": mean_or_nan(d),
               "ci_low": math.nan, "ci_high": math.nan, "p_diff": math.nan, "p_equiv": math.nan}
        if len(d) < _verdict.MIN_PAIRS:
            row["verdict"], row["reason"] = _verdict.too_few(len(d))
            rows.append(row)
            continue
        row["ci_low"], row["ci_high"] = mean_ci(d, alpha=alpha, n_resamples=n_resamples,
                                                random_state=random_state, scale=scale)
        if all_equal(d, scale):
            row["verdict"], row["reason"] = _verdict.constant(row["mean_diff"], margin=margin)
        else:
            row["p_diff"], row["p_equiv"] = _tests(x, ref, margin)
        rows.append(row)

    p_diff_holm = _verdict.holm([r["p_diff"] for r in rows], alpha)
    p_equiv_holm = _verdict.holm([r["p_equiv"] for r in rows], alpha)
    for row, pd_h, pe_h in zip(rows, p_diff_holm, p_equiv_holm):
        row["p_diff_holm"], row["p_equiv_holm"] = pd_h, pe_h
        if not math.isnan(row["p_diff"]):
            row["verdict"], row["reason"] = _verdict.tested(
                p_equiv_holm=pe_h, p_diff_holm=pd_h, alpha=alpha, margin=margin,
                mean_diff=row["mean_diff"], direction=direction)
        row["reference"], row["margin"], row["alpha"] = reference, float(margin), float(alpha)
    return pd.DataFrame(rows, columns=COLUMNS).astype({"n": int})
