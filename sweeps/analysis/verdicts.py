"""The thresholds behind every qualitative word in the report, in one place.

Two results are "the same" when they differ by at most the tolerance:
  * NOISE_MULTIPLE × σ_seed, where σ_seed is the typical standard deviation over seeds of the
    study's seed re-runs (median variance over stable γ < 1 configurations, see seeds.noise) (two runs of one configuration differ by about √2·σ; 2σ covers most);
  * without seed re-runs, RELATIVE_TOLERANCE × |best value| (a stand-in, and the report says so).
γ is "insensitive" when its re-tuned curve varies by no more than the tolerance over γ < 1.
γ "moves the best lr" when the fixed-lr curve varies by more than LR_SHIFT_FACTOR times the
re-tuned one (and by more than the tolerance): most of γ's effect is undone by re-tuning lr.
A curve with fewer than MIN_TRIALS_PER_POINT trials per γ point on average has barely re-tuned
lr, and the summary says so.
An importance is "high" from HIGH_IMPORTANCE and "low" below LOW_IMPORTANCE (shares of 1; with
three parameters an uninformative split would be about 1/3 each).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

NOISE_MULTIPLE = 2.0
RELATIVE_TOLERANCE = 0.02
LR_SHIFT_FACTOR = 2.0
HIGH_IMPORTANCE = 0.5
LOW_IMPORTANCE = 0.1
MIN_TRIALS_PER_POINT = 3


@dataclass(frozen=True)
class Tolerance:
    value: float
    how: str   # how it was obtained, for the report


def tolerance(noise: float, best: float) -> Tolerance:
    if math.isfinite(noise):
        return Tolerance(NOISE_MULTIPLE * noise, f"{NOISE_MULTIPLE:g} σ_seed = {NOISE_MULTIPLE * noise:.3g}")
    value = RELATIVE_TOLERANCE * abs(best) if math.isfinite(best) else math.nan
    return Tolerance(value, f"{RELATIVE_TOLERANCE:.0%} of the best value = {value:.3g} (no seed re-runs)")


def same(a: float, b: float, tol: Tolerance) -> bool:
    return abs(a - b) <= tol.value


def sensitivity_word(spread: float, fixed_spread: float, tol: Tolerance) -> str:
    if not math.isfinite(spread):
        return "undetermined"
    if spread <= tol.value:
        word = "insensitive to γ (with lr re-tuned)"
    else:
        word = "sensitive to γ even with lr re-tuned"
    if math.isfinite(fixed_spread) and fixed_spread > max(LR_SHIFT_FACTOR * spread, tol.value):
        word += "; at a fixed lr γ matters much more, i.e. γ moves the best lr"
    return word


def importance_word(share: float) -> str:
    if not math.isfinite(share):
        return "not measurable"
    if share >= HIGH_IMPORTANCE:
        return "high"
    return "low" if share < LOW_IMPORTANCE else "moderate"


def comparison_word(gain: float, tol: Tolerance, better: str, worse: str) -> str:
    """``better`` is better than ``worse`` by ``gain`` (may be negative): phrase it honestly."""
    if not (math.isfinite(gain) and math.isfinite(tol.value)):
        return "cannot be compared"
    if abs(gain) <= tol.value:
        return f"{better} and {worse} are within the tolerance ({tol.how})"
    first, second = (better, worse) if gain > 0 else (worse, better)
    return f"{first} is better than {second} by {abs(gain):.3g} (tolerance {tol.how})"
