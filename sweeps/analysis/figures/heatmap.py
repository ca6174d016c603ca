"""The lr × γ map: colour = best final metric in the cell; × = every run there diverged.

Columns sit on the γ axis of ``_style`` (−log10(1 − γ), each cell reaching halfway to its
neighbours), γ = 1 in a panel of its own; rows are the lr values, log-spaced, labelled 1e-3, 3e-4.
γ is the variant's factor (its ``column``, ``label``, ``scale``).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..family import VariantResult
from ..points import LR_BIN_DECADES
from ._style import figure, gamma_panels, lr_label, on_main, place, save, title

_GREY = "0.85"


def lr_row_label(lr: float, span: str) -> str:
    """``lr_label`` of a grid value; [lo, hi) of a half-decade bin (whose key is its centre)."""
    if isinstance(span, str) and span.startswith("["):
        half = 10 ** (LR_BIN_DECADES / 2)
        return f"[{lr_label(lr / half)}, {lr_label(lr * half)})"
    return lr_label(lr)


def cell_edges(x: np.ndarray) -> np.ndarray:
    """Edges halfway between sorted centres ``x``; the outer cells as wide as their neighbour's half."""
    if len(x) == 1:
        return np.array([x[0] - 0.5, x[0] + 0.5])
    mid = (x[1:] + x[:-1]) / 2
    return np.concatenate([[x[0] - (mid[0] - x[0])], mid, [x[-1] + (x[-1] - mid[-1])]])


def heatmap_figure(r: VariantResult, path: Path) -> Path:
    m, v = r.lr_gamma, r.variant
    m = m.rename(columns={v.column: "gamma"})   # the factor's values, whatever it is
    lrs = sorted(m["lr"].unique())
    gammas = sorted(m["gamma"].unique())
    grid = np.full((len(lrs), len(gammas)), np.nan)
    for row in m.itertuples(index=False):
        if not row.all_diverged:  # a penalty value would swamp the colour scale
            grid[lrs.index(row.lr), gammas.index(row.gamma)] = row.best
    fig = figure(2.8 + 0.55 * max(len(gammas), 4), 1.9 + 0.36 * max(len(lrs), 3))
    ax, one = gamma_panels(fig, gammas, label=v.label, scale=v.scale)
    finite = grid[np.isfinite(grid)]
    norm = (LogNorm(finite.min(), finite.max())
            if len(finite) and finite.min() > 0 and finite.max() / finite.min() > 10 else
            Normalize(*(finite.min(), finite.max()) if len(finite) else (0, 1)))
    cmap = plt.get_cmap("viridis_r" if v.direction == "minimize" else "viridis").with_extremes(bad=_GREY)
    g = np.asarray(gammas, dtype=float)
    below = on_main(g, v.scale)
    y_edges = np.arange(len(lrs) + 1) - 0.5
    image = None
    if below.any():
        x_edges = cell_edges(place(g[below], v.scale))
        image = ax.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(grid[:, below]), cmap=cmap, norm=norm)
        ax.set_xlim(x_edges[0], x_edges[-1])
    if one is not None:
        image = one.pcolormesh([-1, 1], y_edges, np.ma.masked_invalid(grid[:, ~below]), cmap=cmap, norm=norm)
        one.grid(False)
    x_of = dict(zip(gammas, place(g, v.scale).tolist()))
    for row in m.itertuples(index=False):
        a = ax if on_main(row.gamma, v.scale) else one
        i, x = lrs.index(row.lr), x_of[row.gamma]
        if row.all_diverged:
            a.text(x, i, "×", ha="center", va="center", color="red", fontsize=13, weight="bold")
        elif row.n_diverged:
            a.text(x, i, f"{row.n_diverged}/{row.n}", ha="center", va="center", color="red", fontsize=7)
    spans_l = m.drop_duplicates("lr").set_index("lr")["lr_span"]
    ax.set_yticks(range(len(lrs)), [lr_row_label(lr, spans_l[lr]) for lr in lrs], fontsize=8)
    ax.set_ylim(-0.5, max(len(lrs), 1) - 0.5)
    ax.set_ylabel("lr (log-spaced rows)")
    if image is not None:
        fig.colorbar(image, ax=[a for a in (ax, one) if a is not None], label=f"best final {v.metric}",
                     pad=0.02, location="right")
    keys = [Patch(facecolor=_GREY, label="every run diverged (×)"),
            Line2D([], [], ls="none", marker="$k/n$", color="red", ms=14, label="k of n runs diverged")]
    fig.legend(handles=keys, loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    title(fig, f"{v.name}: best final {v.metric} over lr × {v.label}")
    return save(fig, path)

