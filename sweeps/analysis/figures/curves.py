"""Per-γ figures of one variant: the sensitivity curves, the divergence rate, steps to target."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..family import VariantResult
from ._style import gamma_axis, metric_scale, save


def sensitivity_figure(r: VariantResult, path: Path) -> Path:
    c, v = r.curve, r.variant
    fig, ax = plt.subplots(figsize=(7, 4.3))
    xs = gamma_axis(ax, c["gamma"])
    below = (c["gamma"] < 1).to_numpy()  # γ = 1 is drawn apart: no line across the break
    ax.plot(xs[below], c["best"][below], "o-", color="C0", label="best, lr re-tuned")
    ax.plot(xs[~below], c["best"][~below], "o", color="C0")
    fixed = c["fixed_best"].notna().to_numpy()
    if fixed.any():
        ax.plot(xs[fixed & below], c["fixed_best"][fixed & below], "s--", color="C1", ms=4,
                label=f"best at fixed lr ≈ {c['fixed_lr'].iloc[0]:.3g}")
        ax.plot(xs[fixed & ~below], c["fixed_best"][fixed & ~below], "s", color="C1", ms=4)
    seeds = (c["seed_n"] > 0).to_numpy()
    if seeds.any():
        mean, std = c["seed_mean"].to_numpy(float), np.nan_to_num(c["seed_std"].to_numpy(float))
        band = seeds & below
        ax.fill_between(xs[band], (mean - std)[band], (mean + std)[band], color="C0", alpha=0.2,
                        label="seed re-runs: mean ± std")
        one = seeds & ~below  # γ = 1 gets an error bar, not a band across the break
        ax.errorbar(xs[one], mean[one], yerr=std[one], fmt="none", ecolor="C0", alpha=0.4, lw=6)
        ax.vlines(xs[seeds], c["seed_min"][seeds], c["seed_max"][seeds], color="C0", alpha=0.5,
                  lw=1, label="seed re-runs: min–max")
    div = c["best_diverged"].to_numpy(bool)
    if div.any():
        ax.plot(xs[div], c["best"][div], "x", color="red", ms=9, mew=2,
                label="every run diverged (penalty value)")
    metric_scale(ax, list(c["best"]) + list(c["fixed_best"]))
    ax.set_ylabel(f"final {v.metric}")
    ax.set_title(f"{v.name}: best {v.metric} by γ")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, path)


def divergence_figure(r: VariantResult, path: Path) -> Path:
    d, v = r.divergence, r.variant
    fig, ax = plt.subplots(figsize=(7, 3.8))
    pos = np.arange(len(d))
    ax.bar(pos, d["rate"], color="C3")
    for x, (k, n) in enumerate(zip(d["n_diverged"], d["n"])):
        ax.annotate(f"{k}/{n}", (x, 0), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=8)
    ax.set_xticks(pos, d["span"], rotation=30, ha="right")
    ax.set(xlabel="γ", ylabel="fraction of runs diverged", ylim=(0, 1.05),
           title=f"{v.name}: divergence rate by γ (all lr)")
    ax.grid(axis="y", alpha=0.3)
    return save(fig, path)


def speed_figure(r: VariantResult, path: Path) -> Path:
    s, v = r.speed, r.variant
    fig, ax = plt.subplots(figsize=(7, 3.8))
    pos = np.arange(len(s))
    ax.bar(pos, s["steps"].fillna(0), color="C2")
    for x, (steps, k, n) in enumerate(zip(s["steps"], s["n_reached"], s["n"])):
        label = "never" if not np.isfinite(steps) else f"{k}/{n} reached"
        ax.annotate(label, (x, 0 if not np.isfinite(steps) else steps), xytext=(0, 3),
                    textcoords="offset points", ha="center", fontsize=8)
    ax.set_xticks(pos, s["span"], rotation=30, ha="right")
    ax.set(xlabel="γ", ylabel="steps (fastest run at this γ)",
           title=f"{v.name}: steps to {v.metric} ≤ {r.target:.3g}" if v.direction == "minimize"
           else f"{v.name}: steps to {v.metric} ≥ {r.target:.3g}")
    ax.grid(axis="y", alpha=0.3)
    return save(fig, path)
