"""Every optimizer's best result per problem, with its spread over seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._style import figure, legend_outside, metric_scale, save, title


def optimizer_figure(table: pd.DataFrame, path: Path) -> Path:
    problems = sorted(table["problem"].unique())
    height = max(3.0, 1.4 + 0.45 * len(table))
    fig = figure(9.5, height)
    axes = fig.subplots(max(len(problems), 1), 1, squeeze=False)
    for ax, prob in zip(axes[:, 0], problems):
        t = table[table["problem"] == prob].sort_values("label")
        y = np.arange(len(t))
        ax.plot(t["best"], y, "o", color="C0", label="best tuning run")
        s = (t["seed_n"] > 0).to_numpy()
        if s.any():
            ax.errorbar(t["seed_mean"][s], y[s], xerr=np.nan_to_num(t["seed_std"][s].to_numpy(float)),
                        fmt="D", color="C1", ms=4, capsize=3,
                        label="seed re-runs of the best-mean setting: mean ± std")
            ax.hlines(y[s], t["seed_min"][s], t["seed_max"][s], color="C1", alpha=0.4, lw=4,
                      label="seed re-runs: min–max")
        ax.set_yticks(y, t["name"])
        metric_scale(ax, list(t["best"]) + list(t["seed_min"]) + list(t["seed_max"]), axis="x")
        ax.set_xlabel(f"final {t['metric'].iloc[0]} ({t['direction'].iloc[0]})")
        title(ax, prob)
        ax.margins(y=0.25)
        ax.grid(alpha=0.3)
        legend_outside(ax)
    title(fig, "Best result per optimizer")
    return save(fig, path)
