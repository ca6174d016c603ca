"""Per-γ figures of one variant: the sensitivity curves, the divergence rate, steps to target.

Every one is drawn on the γ axis of ``_style`` (−log10(1 − γ), γ = 1 in a panel of its own);
γ is the variant's factor (its ``column``, ``label`` and ``scale``: β1 on the same axis, lr or ε
on a log one).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..family import VariantResult
from ._style import (
    edge_markers, figure, gamma_panels, legend_right, lr_label, metric_scale, on_main, place, save, title,
    trained_limits,
)


def trained_values(c: pd.DataFrame, column: str = "gamma", scale: str = "memory") -> list[float]:
    """What sets the sensitivity figure's y range: the trained runs at γ < 1 only (the best run
    that did not diverge, and the seed means), never the penalty value or γ = 1; every finite
    value if there is no trained run. ``column``, ``scale``: the factor's (γ unless given)."""
    below, ok = on_main(c[column], scale), ~c["best_diverged"].to_numpy(bool)
    values = [x for x in list(c["best"][below & ok]) + list(c["seed_mean"][below]) if np.isfinite(x)]
    return values or [x for x in list(c["best"]) + list(c["fixed_best"]) if np.isfinite(x)]


def sensitivity_limits(c: pd.DataFrame, column: str = "gamma", scale: str = "memory") -> tuple[float, float] | None:
    """The y limits of the sensitivity figure (log when the trained values span a decade)."""
    return trained_limits(trained_values(c, column, scale))


def sensitivity_figure(r: VariantResult, path: Path) -> Path:
    c, v = r.curve, r.variant
    fig = figure(8.2, 4.4)
    ax, one = gamma_panels(fig, c[v.column], label=v.label, scale=v.scale)
    g = c[v.column].to_numpy(float)
    below = on_main(g, v.scale)
    xs = place(g, v.scale)
    div = c["best_diverged"].to_numpy(bool)
    best = c["best"].to_numpy(float)
    trained = np.where(div, np.nan, best)  # the line breaks at a diverged point: no slope to a penalty
    ax.plot(xs[below], trained[below], "o-", color="C0", label="best, lr re-tuned")
    fixed = c["fixed_best"].to_numpy(float)
    lr = c["fixed_lr"].iloc[0] if len(c) else np.nan
    if np.isfinite(fixed).any():
        ax.plot(xs[below], fixed[below], "s--", color="C1", ms=4, label=f"best at fixed lr = {lr_label(lr)}")
    mean, std = c["seed_mean"].to_numpy(float), np.nan_to_num(c["seed_std"].to_numpy(float))
    seeds = (c["seed_n"] > 0).to_numpy()
    if (seeds & below).any():
        band = seeds & below
        ax.fill_between(xs[band], (mean - std)[band], (mean + std)[band], color="C0", alpha=0.2,
                        label="seed re-runs: mean ± std")
        ax.vlines(xs[band], c["seed_min"][band], c["seed_max"][band], color="C0", alpha=0.5, lw=1,
                  label="seed re-runs: min–max")
    panels = [(ax, below)] + ([(one, ~below)] if one is not None else [])
    if one is not None:
        at = ~below
        one.plot(xs[at], trained[at], "o", color="C0")
        one.plot(xs[at], fixed[at], "s", color="C1", ms=4)
        if (seeds & at).any():
            one.errorbar(xs[seeds & at], mean[seeds & at], yerr=std[seeds & at], fmt="none", ecolor="C0",
                         alpha=0.4, lw=6)
    log = metric_scale(ax, trained_values(c, v.column, v.scale))
    lim = sensitivity_limits(c, v.column, v.scale)
    if lim is not None:
        ax.set_ylim(*lim)
    for a, m in panels:  # whatever the trained range does not hold goes to the edge, with its value
        edge_markers(a, xs[m], best[m], diverged=div[m])
        edge_markers(a, xs[m], np.where(np.isfinite(fixed[m]) & (fixed[m] != best[m]), fixed[m], np.nan),
                     row=1)
    ax.set_ylabel(f"final {v.metric}" + (" (log)" if log else ""))
    ax.grid(alpha=0.3)
    title(fig, f"{v.name}: best {v.metric} by {v.label}")
    legend_right(ax, one)
    return save(fig, path)


def divergence_figure(r: VariantResult, path: Path) -> Path:
    d, v = r.divergence, r.variant
    fig = figure(8.2, 3.8)
    ax, one = gamma_panels(fig, d[v.column], label=v.label, scale=v.scale)
    g = d[v.column].to_numpy(float)
    below = on_main(g, v.scale)
    xs = place(g, v.scale)
    width = 0.05 * (ax.get_xlim()[1] - ax.get_xlim()[0])
    for a, m, w in [(ax, below, width)] + ([(one, ~below, 0.8)] if one is not None else []):
        a.bar(xs[m], d["rate"].to_numpy(float)[m], width=w, color="C3")
        for x, k, n, rate in zip(xs[m], d["n_diverged"][m], d["n"][m], d["rate"][m]):
            a.annotate(f"{k}/{n}", (x, min(rate, 0.9)), xytext=(0, 3), textcoords="offset points", ha="center",
                       fontsize=7)
        a.set_ylim(0, 1.05)
        a.grid(axis="y", alpha=0.3)
    ax.set_ylabel("fraction of runs diverged")
    title(fig, f"{v.name}: divergence rate by {v.label} (all lr; k/n diverged)")
    return save(fig, path)


def speed_figure(r: VariantResult, path: Path) -> Path:
    s, v = r.speed, r.variant
    fig = figure(8.2, 3.8)
    ax, one = gamma_panels(fig, s[v.column], label=v.label, scale=v.scale)
    g = s[v.column].to_numpy(float)
    below = on_main(g, v.scale)
    xs = place(g, v.scale)
    steps = s["steps"].to_numpy(float)
    reached = np.isfinite(steps)
    top = 1.15 * steps[reached].max() if reached.any() else 1.0
    for a, m in [(ax, below)] + ([(one, ~below)] if one is not None else []):
        a.plot(xs[m & reached], steps[m & reached], "o-" if a is ax else "o", color="C2",
               label="fastest run that reached the target")
        for x, y, k, n in zip(xs[m & reached], steps[m & reached], s["n_reached"][m & reached], s["n"][m & reached]):
            a.annotate(f"{k}/{n}", (x, y), xytext=(0, 5), textcoords="offset points", ha="center", fontsize=7)
        never = m & ~reached
        if never.any():  # an empty unclipped line would break the layout's bounding box
            a.plot(xs[never], np.full(never.sum(), top), "^", color="0.4", ms=7, clip_on=False,
                   label="no run reached the target")
        a.set_ylim(0, top)
        a.grid(alpha=0.3)
    ax.set_ylabel(f"steps (fastest run at this {v.label})")
    sign = "≤" if v.direction == "minimize" else "≥"
    title(fig, f"{v.name}: steps to {v.metric} {sign} {r.target:.3g} (k/n runs reached it)")
    legend_right(ax, one)
    return save(fig, path)
