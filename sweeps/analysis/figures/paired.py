"""Forest plot of paired differences: each γ against a reference γ, with the equivalence margin.

One point per γ: the mean of the paired difference (config − reference, same seeds) and the
simultaneous t-interval its verdict is read from, coloured by that verdict; the band ±margin is
where a difference counts as negligible. γ on the axis of ``_style`` (−log10(1 − γ)), γ = 1 in its own panel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.transforms import blended_transform_factory

from ._style import check_columns, figure, gamma_label, gamma_panels, legend_right, on_main, place, save, title

COLUMNS = ("config", "mean_diff", "ci_low", "ci_high", "verdict", "n")
VERDICTS = {  # verdict: (colour, marker, legend label)
    "different": ("C3", "o", "different"),
    "equivalent": ("C2", "s", "equivalent (within ±margin)"),
    "inconclusive": ("0.45", "D", "inconclusive"),
}


def diff_limits(lo, hi, mean, margin: float) -> tuple[float, float]:
    """y limits holding every interval, the ±margin band and 0, with room below for the n labels."""
    values = np.concatenate([np.asarray(v, dtype=float) for v in (lo, hi, mean)] + [[-margin, margin, 0.0]])
    values = values[np.isfinite(values)]
    span = values.max() - values.min() or 1.0
    return values.min() - 0.12 * span, values.max() + 0.08 * span


def paired_figure(table: pd.DataFrame, *, reference: float, margin: float, metric: str, path: Path,
                  label: str = "γ", scale: str = "memory") -> Path:
    """``table``: one row per γ (``config``) with ``mean_diff``, ``ci_low``, ``ci_high`` of the
    paired difference config − reference, ``verdict`` (different / equivalent / inconclusive)
    and ``n`` pairs. Rows without a finite ``mean_diff`` are left out. ``label``, ``scale``: the
    factor's name and scale (``sweeps.factor``) when it is not γ."""
    check_columns(table, COLUMNS, "paired_figure")
    bad = sorted(set(table["verdict"].dropna()) - set(VERDICTS))
    if bad:
        raise ValueError(f"verdict must be one of {list(VERDICTS)}, but got {bad}.")
    if not np.isfinite(margin) or margin < 0:
        raise ValueError(f"margin must be a finite number >= 0, but got {margin=}.")
    t = table[np.isfinite(table["mean_diff"].astype(float))].sort_values("config")
    g = t["config"].to_numpy(float)
    fig = figure(8.6, 4.4)
    ax, one = gamma_panels(fig, list(g) + [reference], sharey=False, label=label,
                           scale=scale)  # γ = 1 never squashes γ < 1
    main = on_main(g, scale)
    panels = [(ax, main)] + ([(one, ~main)] if one is not None else [])
    x = place(g, scale)
    mean, lo, hi = (t[c].to_numpy(float) for c in ("mean_diff", "ci_low", "ci_high"))
    for a, m in panels:
        a.axhspan(-margin, margin, color="C2", alpha=0.12, lw=0, label=f"±margin ({margin:.3g})")
        a.axhline(0, color="0.2", lw=0.8, label="no difference")
        for verdict, (colour, marker, shown) in VERDICTS.items():
            k = m & (t["verdict"] == verdict).to_numpy()
            if k.any():
                err = np.vstack([mean[k] - lo[k], hi[k] - mean[k]])
                a.errorbar(x[k], mean[k], yerr=np.nan_to_num(np.abs(err)), fmt=marker, color=colour,
                           ms=6, capsize=3, lw=1.4, label=shown)
        under = blended_transform_factory(a.transData, a.transAxes)
        for xi, n in zip(x[m], t["n"].to_numpy()[m]):
            a.text(xi, 0.02, f"n={n}", transform=under, ha="center", fontsize=6, color="0.35")
        a.grid(alpha=0.3)
    ref = ax if (on_main(reference, scale) or one is None) else one
    ref.axvline(float(place(reference, scale)), color="C0", ls=":", lw=1.5,
                label=f"reference {label} = {gamma_label(reference)}")
    for a, m in panels:
        a.set_ylim(*diff_limits(lo[m], hi[m], mean[m], margin))
    if not len(t):
        ax.text(0.5, 0.5, "no paired comparison to show", transform=ax.transAxes, ha="center", color="0.4")
    ax.set_ylabel(f"Δ {metric} (config − reference)")
    title(fig, f"Paired difference in {metric}: each {label} − reference {label} = {gamma_label(reference)} "
               f"(mean and the interval its verdict reads)")
    legend_right(ax, one)
    return save(fig, path)
