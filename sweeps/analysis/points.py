"""The γ (and lr) values a curve is drawn at: the grid values themselves, or bins of sampled values.

A grid sweep repeats each γ many times (once per lr, ε, ...), so "best at this γ" re-tunes lr
over the trials sharing it. A continuous sampler gives every trial its own γ, so trials are
pooled in bins first; otherwise "best at this γ" would be a single trial with lr untuned.

γ bins are fixed, spaced on the scale that matters for an exponential average: its memory
1/(1 − γ) steps. γ = 1 is always a point of its own (the degenerate average; see gamma_one).
lr bins are half a decade wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

GAMMA_EDGES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 1.0)
LR_BIN_DECADES = 0.5
# A sweep counts as a grid when it has few distinct values, each tried at least twice on average.
MAX_GRID_POINTS = 12
MIN_TRIALS_PER_GRID_POINT = 2


@dataclass(frozen=True)
class Points:
    """Maps raw values to curve points: ``key`` (a representative value) and ``span`` (a label)."""

    grid: tuple[float, ...] | None  # the exact values of a grid sweep; None: binned
    log: bool = False               # lr: bins in log10 space

    def key(self, values: pd.Series) -> pd.Series:
        return values.map(self._key_one)

    def span(self, values: pd.Series) -> pd.Series:
        return values.map(self._span_one)

    def _key_one(self, v: float) -> float:
        if v is None or not math.isfinite(v) or self.grid is not None:
            return v
        if self.log:
            lo = math.floor(math.log10(v) / LR_BIN_DECADES) * LR_BIN_DECADES
            return 10 ** (lo + LR_BIN_DECADES / 2)
        if v >= 1.0:
            return 1.0
        lo, hi = _gamma_bin(v)
        # the centre in memory space: 1 − γ is the geometric mean of the ends (the open end of
        # the last bin taken as 0.9999 so that the bin is not centred at γ = 1)
        return 1.0 - math.sqrt((1.0 - lo) * (1.0 - min(hi, 0.9999)))

    def _span_one(self, v: float) -> str:
        if v is None or not math.isfinite(v):
            return "n/a"
        if self.grid is not None or (not self.log and v >= 1.0):
            return f"{v:g}"
        if self.log:
            lo = math.floor(math.log10(v) / LR_BIN_DECADES) * LR_BIN_DECADES
            return f"[{10 ** lo:.2g}, {10 ** (lo + LR_BIN_DECADES):.2g})"
        lo, hi = _gamma_bin(v)
        return f"[{lo:g}, {hi:g})"


def fit(values: pd.Series, *, log: bool = False) -> Points:
    """Grid points if ``values`` look like a grid sweep, bins otherwise."""
    v = values.dropna()
    distinct = np.unique(v.to_numpy(float))
    if 0 < len(distinct) <= MAX_GRID_POINTS and len(v) >= MIN_TRIALS_PER_GRID_POINT * len(distinct):
        return Points(tuple(float(x) for x in distinct), log)
    return Points(None, log)


def fit_factor(values: pd.Series, scale: str) -> Points:
    """``fit`` for the values of a protocol's factor on its scale (``sweeps.factor.scale``): bins
    of γ's edges on the memory scale, half-decade bins on the log scale; on a linear scale every
    distinct value is a point of its own (no bins are defined there)."""
    if scale == "log":
        return fit(values, log=True)
    found = fit(values)
    if scale == "memory" or found.grid is not None:
        return found
    return Points(tuple(float(x) for x in np.unique(values.dropna().to_numpy(float))))


def nearest(values: pd.Series, target: float, points: Points) -> pd.Series:
    """Which of ``values`` count as "at lr = target": the nearest grid value, or within a bin
    width (half a decade, i.e. ±0.25 decade) of it on a continuous lr axis."""
    if points.grid is not None:
        closest = min(points.grid, key=lambda g: abs(math.log10(g) - math.log10(target)))
        return values == closest
    return (np.log10(values) - math.log10(target)).abs() <= LR_BIN_DECADES / 2


def _gamma_bin(v: float) -> tuple[float, float]:
    for lo, hi in zip(GAMMA_EDGES[:-1], GAMMA_EDGES[1:]):
        if lo <= v < hi:
            return lo, hi
    raise ValueError(f"gamma must lie in [0, 1], but got gamma={v!r}.")
