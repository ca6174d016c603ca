"""The verdict rule: one of three words per config, read off the interval the report prints.

With m configs tested against the reference and family-wise level α, every config gets the
two-sided t-interval of its mean paired difference at confidence 1 − α/m (Bonferroni: the m
intervals cover all m true differences together with probability ≥ 1 − α). Then

    equivalent    −margin < low and high < margin   the interval lies inside ±margin
    different     else low > 0 or high < 0          the interval excludes 0
    inconclusive  otherwise                         the data cannot tell

so the word is a fact about the printed interval and nothing else. In test terms: *different* is
the paired t-test at α/m (p·m < α), *equivalent* is TOST with each one-sided test at α/(2m)
(p·2m < α); all the verdicts of a family are right together with probability ≥ 1 − α.
Equivalence is checked first: with many seeds a difference far inside the margin can also be
"significant", and the question asked is whether the config matters by more than the margin.
Fewer than ``MIN_PAIRS`` pairs give "inconclusive" without a test. When all differences are the
same number d (no spread) the interval is [d, d] and the same rule applies.
"""

from __future__ import annotations

import math

from statsmodels.stats.multitest import multipletests

VERDICTS = ("equivalent", "different", "inconclusive")
MIN_PAIRS = 3


def _p(p: float) -> str:
    return f"{p:.2g}" if p >= 1e-3 else f"{p:.1e}"


def rule(low: float, high: float, margin: float) -> str:
    """The verdict of an interval [low, high] against ±margin; see the module docstring."""
    if not (math.isfinite(low) and math.isfinite(high) and math.isfinite(margin)):
        return "inconclusive"
    if -margin < low and high < margin:
        return "equivalent"
    if low > 0 or high < 0:
        return "different"
    return "inconclusive"


def reason(verdict: str, *, level: float, margin: float, mean_diff: float, direction: str,
           p_diff_adj: float, p_equiv_adj: float) -> str:
    """Why an interval got its word, with the adjusted p-values that say the same."""
    tests = f"Bonferroni-adjusted t p = {_p(p_diff_adj)}, TOST p = {_p(p_equiv_adj)}"
    if math.isnan(p_diff_adj):
        tests = "no spread to test"
    if verdict == "equivalent":
        return f"{level:.4g} interval inside ±{margin:.3g} ({tests})"
    if verdict == "different":
        worse = mean_diff > 0 if direction == "minimize" else mean_diff < 0
        return (f"{level:.4g} interval excludes 0: {'worse' if worse else 'better'} than the reference "
                f"({tests})")
    return f"{level:.4g} interval holds 0 and reaches past ±{margin:.3g} ({tests})"


def too_few(n: int) -> tuple[str, str]:
    return "inconclusive", f"fewer than {MIN_PAIRS} pairs in which both runs trained (n = {n})"


def holm(pvalues: list[float], alpha: float) -> list[float]:
    """Holm-adjusted p-values over the finite entries; NaN entries stay NaN and are not counted."""
    return _adjust(pvalues, alpha, "holm")


def _adjust(pvalues: list[float], alpha: float, method: str) -> list[float]:
    finite = [i for i, p in enumerate(pvalues) if not math.isnan(p)]
    out = [math.nan] * len(pvalues)
    if finite:
        adjusted = multipletests([pvalues[i] for i in finite], alpha=alpha, method=method)[1]
        for i, p in zip(finite, adjusted):
            out[i] = float(p)
    return out
