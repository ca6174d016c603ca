"""Expected best result after B tuning trials, per γ (Dodge et al. 2019, "Show your work").

One line per γ, coloured along a sequential colormap in order of γ (γ = 1 dashed), with the band
expected ± std; B on a log2 axis 1, 2, 4, ..., 64.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ._style import check_columns, figure, gamma_label, legend_right, save, title

COLUMNS = ("gamma", "budget", "expected", "std")
CMAP = "viridis"


def budget_figure(curves: pd.DataFrame, *, metric: str, direction: str, path: Path, column: str = "gamma",
                  label: str = "γ") -> Path:
    """``curves``: one row per (``gamma``, ``budget``) with the ``expected`` best ``metric`` over
    ``budget`` trials and its ``std``; ``direction`` says which way is better. Rows without a
    finite ``expected`` are left out. ``column``, ``label``: the factor's column in ``curves``
    and its name (another factor than γ: β1 ..., whose values are all below 1)."""
    curves = curves.rename(columns={column: "gamma"}) if column != "gamma" else curves
    check_columns(curves, COLUMNS, "budget_figure")
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be 'minimize' or 'maximize', but got {direction=}.")
    c = curves[np.isfinite(curves["expected"].astype(float))]
    gammas = sorted(c["gamma"].astype(float).unique())
    fig = figure(8.2, 4.4)
    has_one = any(g >= 1 for g in gammas)
    if has_one:  # γ = 1 on its own y scale: it never squashes the trained γ < 1 curves
        ax, one = fig.subplots(1, 2, width_ratios=[3, 1])
    else:
        ax, one = fig.add_subplot(), None
    colours = plt.get_cmap(CMAP)(np.linspace(0.05, 0.9, max(len(gammas), 1)))
    for g, colour in zip(gammas, colours):
        part = c[c["gamma"] == g].sort_values("budget")
        b, e = part["budget"].to_numpy(float), part["expected"].to_numpy(float)
        s = np.nan_to_num(part["std"].to_numpy(float))
        a = one if g >= 1 else ax
        a.plot(b, e, "--" if g >= 1 else "-", color=colour, lw=1.6, label=f"{label} = {gamma_label(g)}")
        a.fill_between(b, e - s, e + s, color=colour, alpha=0.15, lw=0)
    top = int(max(64, c["budget"].max() if len(c) else 64))
    for a in (ax, one):
        if a is not None:
            _budget_axis(a, top)
    if one is not None:
        one.set_title("γ = 1 (own scale)", fontsize=9)
        one.tick_params(axis="x", labelsize=7)
    if not len(c):
        ax.text(0.5, 0.5, "no trials to draw a budget curve from", transform=ax.transAxes, ha="center",
                color="0.4")
    better = "lower" if direction == "minimize" else "higher"
    ax.set_ylabel(f"expected best {metric} after B trials\n({better} is better; band ± std)")
    title(fig, f"Expected best {metric} by tuning budget, per {label}")
    legend_right(ax, one)
    return save(fig, path)


def _budget_axis(ax, top: int) -> None:
    """B on a log2 axis with every power of two labelled: 1, 2, 4, ..., ``top``."""
    ax.set_xscale("log", base=2)
    ticks = [2 ** k for k in range(int(np.log2(top)) + 1)]
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    ax.set_xlim(1, top)
    ax.set_xlabel("budget B (tuning trials)")
    ax.grid(alpha=0.3)
