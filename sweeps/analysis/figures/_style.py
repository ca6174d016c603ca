"""Shared figure plumbing: the Agg backend, saving, and the γ axis.

The γ axis is spaced by −log10(1 − γ), the number of nines: 0, 0.9, 0.99, 0.999 are equally far
apart, as the memory 1/(1 − γ) of the average grows tenfold each time. γ = 1 (infinite memory)
cannot sit on that scale; it is drawn one gap to the right of the largest γ < 1, after a break.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 110
_NINES_CAP = 4.0  # 1 − γ below 1e-4 is drawn at γ = 0.9999
GAMMA_TICKS = (0.0, 0.5, 0.9, 0.99, 0.999, 0.9999)


def save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def nines(gamma) -> np.ndarray:
    g = np.asarray(gamma, dtype=float)
    with np.errstate(divide="ignore"):
        return np.minimum(-np.log10(np.clip(1.0 - g, 0.0, None)), _NINES_CAP)


def gamma_x(gamma, below_one_max: float) -> np.ndarray:
    """x positions: nines for γ < 1, one unit right of the largest γ < 1 for γ = 1."""
    g = np.asarray(gamma, dtype=float)
    return np.where(g >= 1.0, np.ceil(nines(below_one_max)) + 1.0, nines(g))


def gamma_axis(ax, gammas) -> np.ndarray:
    """Configure ``ax``'s x axis for these γ values; returns their x positions."""
    g = np.asarray(gammas, dtype=float)
    top = float(g[g < 1].max()) if (g < 1).any() else 0.99
    xs = gamma_x(g, top)
    ticks = [t for t in GAMMA_TICKS if nines(t) <= np.ceil(nines(top)) + 1e-9]
    pos, labels = list(nines(ticks)), [f"{t:g}" for t in ticks]
    if (g >= 1).any():
        one = float(np.ceil(nines(top)) + 1.0)
        pos.append(one)
        labels.append("1")
        ax.axvline(one - 0.5, color="0.8", lw=0.8, ls=":")  # the break before γ = 1
    ax.set_xticks(pos, labels)
    after = "; γ = 1 after the dotted break" if (g >= 1).any() else ""
    ax.set_xlabel(f"γ (spaced by −log10(1 − γ){after})")
    return xs


def metric_scale(ax, values, axis: str = "y") -> None:
    """A log metric axis when the metric is positive and spans more than a decade."""
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    if len(v) and v.min() > 0 and v.max() / v.min() > 10:
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
