"""The per-run figure logged to MLflow: loss curves, and the path for 2-D problems.

Drawn on a bare Agg canvas without pyplot or tight_layout: it is made for every trial, so it
must cost tens of milliseconds, not half a second (the report draws the careful figures).
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter


def plot_run(result, title: str, path: Path) -> Path:
    h = result.history
    has_path = result.trajectory is not None and result.trajectory.shape[1] == 2
    fig = Figure(figsize=(9 if has_path else 5, 3.4), dpi=80)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.16 if not has_path else 0.09, right=0.97, bottom=0.15, top=0.88, wspace=0.3)
    ax = fig.add_subplot(1, 2 if has_path else 1, 1)
    for key in ("train_loss", "test_loss"):
        if h.get(key):
            ax.plot(h["step"], h[key], label=key.replace("_", " "))
    losses = [v for key in ("train_loss", "test_loss") for v in h.get(key, ())]
    if losses and min(losses) > 0:
        ax.set_yscale("log")
        # plain labels (the default 10^k labels go through mathtext, ~20 ms), at 1, 2, 5 × 10^k
        # within two decades
        few = max(losses) / min(losses) < 100
        ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5) if few else (1,)))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set(xlabel="step", ylabel="loss")
    # an explicit y fixes the title's height: no search through the tick labels' extents
    ax.set_title(title + (" (diverged)" if result.diverged else ""), fontsize=9, y=1.0)
    ax.legend(fontsize=8)
    if has_path:
        p = fig.add_subplot(1, 2, 2)
        p.plot(result.trajectory[:, 0], result.trajectory[:, 1], ".-", ms=3, lw=1)
        p.plot(*result.trajectory[0], "k^")
        p.plot(0, 0, "r*")
        p.set(xlabel="θ1", ylabel="θ2")
        p.set_title("path (start ▲, optimum ★)", fontsize=9, y=1.0)
    fig.savefig(path)
    return path
