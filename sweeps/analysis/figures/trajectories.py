"""The textbook figure: contour lines of a 2-D problem with optimizers' paths drawn over them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import models

from ._style import figure, legend_outside, save
from ._style import title as wrapped_title


def trajectory_figure(problem: str, paths: list, title: str, path: Path) -> Path:
    f = models.create(problem)
    pts = np.concatenate([p.points for p in paths] + [f.start[None, :], f.optimum[None, :]])
    lo, hi = pts.min(0), pts.max(0)
    pad = 0.1 * (hi - lo) + 0.5
    xs, ys = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], 240),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], 240))
    zs = np.vectorize(lambda x, y: f.loss({"theta": np.array([x, y])}))(xs, ys)
    fig = figure(9.5, 5.5)
    ax = fig.add_subplot()
    levels = np.quantile(zs, np.linspace(0.01, 0.95, 14))
    ax.contour(xs, ys, zs, levels=np.unique(levels), colors="0.75", linewidths=0.7)
    for p in paths:
        ax.plot(p.points[:, 0], p.points[:, 1], ".-", ms=3, lw=1.2, label=f"{p.label}: f = {p.value:.2g}")
    ax.plot(*f.start, "k^", ms=8, label="start")
    ax.plot(*f.optimum, "r*", ms=12, label="optimum")
    ax.set(xlabel="θ1", ylabel="θ2")
    wrapped_title(ax, title)
    legend_outside(ax)
    return save(fig, path)
