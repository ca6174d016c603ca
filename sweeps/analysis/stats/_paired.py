"""Paired comparison of each config against a reference config declared up front.

Estimand: for config c, the mean over seeds of the paired difference

    μ_d(c) = E_s[ value(c, s) − value(reference, s) | both runs trained ],

seeds being common random numbers (same seed → same initialisation and batch order), so the seed's
effect cancels in each difference. Only seeds run for both c and the reference are paired.

Two questions per config, each answered apart:

* **Failures** (runs with ``trained`` False: diverged or collapsed). On the paired seeds,
  ``failed`` of the config's runs and ``ref_failed`` of the reference's did not train;
  ``p_fail`` is McNemar's exact test on the discordant seeds (``_failures``) and
  ``p_fail_holm`` its Holm adjustment over the configs that have discordant seeds.
* **Losses**, among the n seeds on which both runs trained (a failed run's value never enters):
  ``mean_diff`` = mean(d), ``sd_diff`` its sample standard deviation, and ``ci_low, ci_high``
  the two-sided t-interval at confidence ``level`` = 1 − α/m, m being the number of configs
  tested (Bonferroni: the family's m intervals are simultaneous 1 − α intervals). The verdict is
  read off that interval (``_verdict.rule``: inside ±margin → *equivalent*, excludes 0 →
  *different*, else *inconclusive*). ``p_diff`` is the paired t-test of μ_d = 0
  (``scipy.stats.ttest_rel``), ``p_equiv`` the TOST p-value of −margin < μ_d < margin
  (``statsmodels.stats.weightstats.ttost_paired``); ``p_diff_adj`` = min(1, m·p_diff) and
  ``p_equiv_adj`` = min(1, 2m·p_equiv) are below α exactly when the interval excludes 0, or lies
  inside ±margin. ``mde`` is the smallest margin this design (n, ``level``, the measured
  ``sd_diff``) shows equivalent with 80 % power when the true difference is 0 (``_power``).

Fewer than 3 pairs: "inconclusive", NaN interval and p-values, left out of m. All differences
equal up to rounding: the interval is [d, d] (the rule applies as to any interval), p-values NaN,
also left out of m.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.weightstats import ttost_paired

from . import _verdict
from ._failures import failure_test
from ._pairing import (all_equal, by_config, check_config, check_direction, check_level, check_runs,
                       common, mean_or_nan, sorted_configs, value_scale)
from ._power import equivalence_mde

COLUMNS = ["config", "n", "mean_diff", "sd_diff", "ci_low", "ci_high", "level", "p_diff", "p_diff_adj",
           "p_equiv", "p_equiv_adj", "mde", "verdict", "reason", "n_seeds", "failed", "ref_failed",
           "p_fail", "p_fail_holm", "m", "reference", "margin", "alpha"]
POWER = 0.8


def _tests(x: np.ndarray, ref: np.ndarray, margin: float, level: float) -> dict:
    """p-values and the ``level`` t-interval of the paired differences x − ref."""
    with warnings.catch_warnings():
        # Differences with a spread just above rounding level make scipy warn of catastrophic
        # cancellation; the p-values it returns are still the right limit (≈ 0).
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.ttest_rel(x, ref)
        ci = res.confidence_interval(confidence_level=level)
        p_equiv = float(ttost_paired(x, ref, -margin, margin)[0])
    return {"p_diff": float(res.pvalue), "p_equiv": p_equiv, "ci_low": float(ci.low),
            "ci_high": float(ci.high)}


def compare_paired(runs: pd.DataFrame, *, reference, margin: float, direction: str,
                   alpha: float = 0.05) -> pd.DataFrame:
    """One row per config other than ``reference``: failures, paired difference, interval, verdict.

    ``runs`` has columns ``config, seed, value`` and optionally ``trained``; see the module
    docstring for the statistics. Speed: statsmodels' Holm adjustment calls ``gc.collect()``
    (~0.1-0.2 s in a process with pandas and scipy loaded); a loop over many tables can
    ``gc.freeze()`` first.

    >>> runs = pd.DataFrame({"config": [0.9] * 4 + [0.99] * 4, "seed": [0, 1, 2, 3] * 2,
    ...                      "value": [0.50, 0.61, 0.42, 0.55, 0.30, 0.40, 0.21, 0.36]})
    >>> compare_paired(runs, reference=0.99, margin=0.01, direction="minimize")[["config", "n", "verdict"]]
       config  n    verdict
    0     0.9  4  different
    """
    runs = check_runs(runs)
    check_direction(direction)
    check_level(alpha=alpha)
    if not (isinstance(margin, (int, float)) and math.isfinite(margin) and margin > 0):
        raise ValueError(f"margin must be a finite number > 0 in metric units, but got {margin=}.")
    check_config(runs, reference, "reference")

    by = by_config(runs)
    rows, diffs = [], []
    for config in sorted_configs(c for c in by if c != reference):
        x, ref, tx, tr = common(by, config, reference)
        both = tx & tr
        d = x[both] - ref[both]
        rows.append({"config": config, "n": len(d), "mean_diff": mean_or_nan(d),
                     "sd_diff": float(np.std(d, ddof=1)) if len(d) > 1 else math.nan,
                     "n_seeds": len(x), **failure_test(~tx, ~tr)})
        diffs.append((x[both], ref[both], d, value_scale(x[both], ref[both])))

    tested = [len(d) >= _verdict.MIN_PAIRS and not all_equal(d, s) for _, _, d, s in diffs]
    m = max(1, sum(tested))
    level = 1 - alpha / m
    for row, (x, ref, d, scale), test in zip(rows, diffs, tested):
        row |= {"level": level, "m": sum(tested), "p_diff": math.nan, "p_equiv": math.nan,
                "p_diff_adj": math.nan, "p_equiv_adj": math.nan, "mde": math.nan,
                "ci_low": math.nan, "ci_high": math.nan}
        if len(d) < _verdict.MIN_PAIRS:
            row["verdict"], row["reason"] = _verdict.too_few(len(d))
            continue
        if test:
            row |= _tests(x, ref, margin, level)
            row["p_diff_adj"] = min(1.0, m * row["p_diff"])
            row["p_equiv_adj"] = min(1.0, 2 * m * row["p_equiv"])
            row["mde"] = equivalence_mde(row["sd_diff"], len(d), level, POWER)
        else:
            row["ci_low"] = row["ci_high"] = row["mean_diff"]
        row["verdict"] = _verdict.rule(row["ci_low"], row["ci_high"], margin)
        row["reason"] = _verdict.reason(row["verdict"], level=level, margin=margin,
                                        mean_diff=row["mean_diff"], direction=direction,
                                        p_diff_adj=row["p_diff_adj"], p_equiv_adj=row["p_equiv_adj"])

    for row, p in zip(rows, _verdict.holm([r["p_fail"] for r in rows], alpha)):
        row["p_fail_holm"] = p
        row["reference"], row["margin"], row["alpha"] = reference, float(margin), float(alpha)
    return pd.DataFrame(rows, columns=COLUMNS).astype({"n": int, "n_seeds": int, "failed": int,
                                                      "ref_failed": int, "m": int})
