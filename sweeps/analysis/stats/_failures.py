"""Failure rates of paired runs: an exact test of "fails more (or less) often than the reference".

A run *failed* when it did not train (diverged or collapsed, ``models/outcome.py``). On the seeds
run for both a config and the reference the outcomes are paired, so the test is McNemar's exact
test: of the discordant seeds (one of the two failed, the other trained), b are the config's
failures and c the reference's; under "same failure rate" b ~ Binomial(b + c, 1/2), and

    p_fail = scipy.stats.binomtest(b, b + c, 0.5).pvalue   (two-sided).

A config with no discordant seed (b + c = 0) has no test (p NaN): conditional on b + c = 0 it
could never be rejected, so leaving it out of the Holm family only sharpens the others.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def failure_test(failed: np.ndarray, ref_failed: np.ndarray) -> dict:
    """``failed, ref_failed, discordant, p_fail`` of two boolean arrays paired by seed."""
    failed, ref_failed = np.asarray(failed, bool), np.asarray(ref_failed, bool)
    b = int((failed & ~ref_failed).sum())
    c = int((~failed & ref_failed).sum())
    p = float(stats.binomtest(b, b + c, 0.5).pvalue) if b + c else math.nan
    return {"failed": int(failed.sum()), "ref_failed": int(ref_failed.sum()), "discordant": b + c,
            "p_fail": p}
