"""The verdict rule: one of three words per config, read off Holm-adjusted tests.

    equivalent    p_equiv_holm < α     TOST rejects |μ_d| ≥ margin: the difference is within ±margin
    different     else p_diff_holm < α the paired t-test rejects μ_d = 0
    inconclusive  otherwise            the data cannot tell

Equivalence is checked first: with many seeds a difference far inside the margin can also be
"significant", and the question asked is whether γ matters by more than the margin.
Fewer than ``MIN_PAIRS`` paired seeds give "inconclusive" without a test. When all differences
are the same number d (no spread; the t statistics are undefined) the verdict is exact rather
than tested: "equivalent" if |d| < margin, "different" if |d| > margin, "inconclusive" if
|d| = margin.
"""

from __future__ import annotations

import math

from statsmodels.stats.multitest import multipletests

VERDICTS = ("equivalent", "different", "inconclusive")
MIN_PAIRS = 3


def _p(p: float) -> str:
    return f"{p:.2g}" if p >= 1e-3 else f"{p:.1e}"


def tested(*, p_equiv_holm: float, p_diff_holm: float, alpha: float, margin: float,
           mean_diff: float, direction: str) -> tuple[str, str]:
    """(verdict, reason) from the Holm-adjusted p-values of one config."""
    if p_equiv_holm < alpha:
        return "equivalent", (f"Holm-adjusted TOST p = {_p(p_equiv_holm)} < {alpha:g}: "
                              f"within ±{margin:g} of the reference")
    if p_diff_holm < alpha:
        worse = mean_diff > 0 if direction == "minimize" else mean_diff < 0
        return "different", (f"Holm-adjusted paired t p = {_p(p_diff_holm)} < {alpha:g} "
                             f"({'worse' if worse else 'better'} than the reference); "
                             f"TOST p = {_p(p_equiv_holm)}")
    return "inconclusive", (f"Holm-adjusted TOST p = {_p(p_equiv_holm)} and paired t "
                            f"p = {_p(p_diff_holm)}, both ≥ {alpha:g}")


def too_few(n: int) -> tuple[str, str]:
    return "inconclusive", f"fewer than {MIN_PAIRS} paired seeds (n = {n})"


def constant(d: float, *, margin: float) -> tuple[str, str]:
    """(verdict, reason) when every paired difference equals ``d``."""
    if abs(d) < margin:
        return "equivalent", f"all differences equal {d:.3g}, inside ±{margin:g} (no spread to test)"
    if abs(d) > margin:
        return "different", f"all differences equal {d:.3g}, outside ±{margin:g} (no spread to test)"
    return "inconclusive", f"all differences equal {d:.3g}, exactly the margin {margin:g}"


def holm(pvalues: list[float], alpha: float) -> list[float]:
    """Holm-adjusted p-values over the finite entries; NaN entries stay NaN and are not counted."""
    finite = [i for i, p in enumerate(pvalues) if not math.isnan(p)]
    out = [math.nan] * len(pvalues)
    if finite:
        adjusted = multipletests([pvalues[i] for i in finite], alpha=alpha, method="holm")[1]
        for i, p in zip(finite, adjusted):
            out[i] = float(p)
    return out
