"""The per-run figure logged to MLflow: loss curves, and the path for 2-D problems.

It is drawn for every trial, so it must cost milliseconds, not the half second of a careful
pyplot figure (the report draws those): one bare Agg figure per layout is made once per process
and reused, only its lines, limits and title changing from run to run (~25 ms a run, ~75 ms for
a new figure each time); tick labels are plain text (the default 10^k labels go through
mathtext's parser), and the title, the axis labels and the legend sit at fixed places (no search
through the tick labels or the data); the PNG is compressed fast (level 1: 10 % larger).
"""

from __future__ import annotations

import functools
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import AutoLocator, FormatStrFormatter, LogLocator, NullFormatter, ScalarFormatter

_CURVES = ("train_loss", "val_loss")


def plot_run(result, title: str, path: Path) -> Path:
    h = result.history
    has_path = result.trajectory is not None and result.trajectory.shape[1] == 2
    fig, ax, lines, path_ax = _figure(has_path)
    for key, line in zip(_CURVES, lines):
        values = h.get(key) or []
        line.set_data(h["step"][: len(values)], values)
    losses = [v for key in _CURVES for v in h.get(key, ())]
    if losses and min(losses) > 0:
        ax.set_yscale("log")
        # 1, 2, 5 × 10^k within two decades, else powers of ten only
        few = max(losses) / min(losses) < 100
        ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5) if few else (1,)))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    else:
        ax.set_yscale("linear")
        ax.yaxis.set_major_locator(AutoLocator())
        ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.relim()
    ax.autoscale_view()
    ax.set_title(title + (" (diverged)" if result.diverged else ""), fontsize=9, y=1.0)
    if has_path:
        walk, start = path_ax
        walk.set_data(result.trajectory[:, 0], result.trajectory[:, 1])
        start.set_data(result.trajectory[:1, 0], result.trajectory[:1, 1])
        walk.axes.relim()
        walk.axes.autoscale_view()
    fig.canvas.print_png(path, pil_kwargs={"compress_level": 1})   # savefig's bbox and colour handling: not needed here
    return path


@functools.cache
def _figure(has_path: bool):
    """(figure, loss axes, its two lines, (path line, start marker) or None), made once."""
    fig = Figure(figsize=(9 if has_path else 5, 3.4), dpi=80)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.09 if has_path else 0.16, right=0.97, bottom=0.15, top=0.88, wspace=0.3)
    ax = fig.add_subplot(1, 2 if has_path else 1, 1)
    lines = [ax.plot([], [], label=key.replace("_", " "))[0] for key in _CURVES]
    ax.set(xlabel="step", ylabel="loss")
    _fixed_labels(ax)
    ax.legend(fontsize=8, loc="upper right")   # "best" searches the data for a free corner at every draw
    path_ax = None
    if has_path:
        p = fig.add_subplot(1, 2, 2)
        walk = p.plot([], [], ".-", ms=3, lw=1)[0]
        start = p.plot([], [], "k^")[0]
        p.plot(0, 0, "r*")
        p.set(xlabel="θ1", ylabel="θ2")
        _fixed_labels(p)
        p.set_title("path (start ▲, optimum ★)", fontsize=9, y=1.0)
        path_ax = (walk, start)
    return fig, ax, lines, path_ax


def _fixed_labels(ax) -> None:
    """Axis labels at fixed places: else every draw measures all tick labels to place them."""
    ax.xaxis.set_label_coords(0.5, -0.12)
    ax.yaxis.set_label_coords(-0.13, 0.5)
