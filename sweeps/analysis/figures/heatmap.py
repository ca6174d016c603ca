"""The lr × γ map: colour = best final metric in the cell; × = every run there diverged."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm, Normalize

from ..family import VariantResult
from ._style import save


def heatmap_figure(r: VariantResult, path: Path) -> Path:
    m, v = r.lr_gamma, r.variant
    lrs = sorted(m["lr"].unique())
    gammas = sorted(m["gamma"].unique())
    grid = np.full((len(lrs), len(gammas)), np.nan)
    for row in m.itertuples(index=False):
        if not row.all_diverged:  # a penalty value would swamp the colour scale
            grid[lrs.index(row.lr), gammas.index(row.gamma)] = row.best
    fig, ax = plt.subplots(figsize=(1.6 + 0.75 * len(gammas), 1.5 + 0.42 * len(lrs)))
    finite = grid[np.isfinite(grid)]
    norm = (LogNorm(finite.min(), finite.max())
            if len(finite) and finite.min() > 0 and finite.max() / finite.min() > 10 else Normalize())
    cmap = plt.get_cmap("viridis_r" if v.direction == "minimize" else "viridis").with_extremes(bad="0.85")
    image = ax.imshow(np.ma.masked_invalid(grid), origin="lower", aspect="auto", cmap=cmap, norm=norm)
    fig.colorbar(image, ax=ax, label=f"best final {v.metric}")
    for row in m.itertuples(index=False):
        i, j = lrs.index(row.lr), gammas.index(row.gamma)
        if row.all_diverged:
            ax.text(j, i, "×", ha="center", va="center", color="red", fontsize=13, weight="bold")
        elif row.n_diverged:
            ax.text(j, i, f"{row.n_diverged}/{row.n}", ha="center", va="center", color="red", fontsize=7)
    spans_g = m.drop_duplicates("gamma").set_index("gamma")["gamma_span"]
    spans_l = m.drop_duplicates("lr").set_index("lr")["lr_span"]
    ax.set_xticks(range(len(gammas)), [spans_g[g] for g in gammas], rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(lrs)), [spans_l[lr] for lr in lrs], fontsize=8)
    ax.set(xlabel="γ", ylabel="lr (log-spaced rows)",
           title=f"{v.name}: lr × γ\n(×: every run diverged, shown grey; k/n: some did)")
    return save(fig, path)
