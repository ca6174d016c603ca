"""Shared figure plumbing: the Agg backend, saving, titles, the lr labels and the γ axis.

The γ axis is spaced by −log10(1 − γ), the number of nines: 0, 0.9, 0.99, 0.999 are equally far
apart, as the memory 1/(1 − γ) of the average grows tenfold each time. γ = 1 (infinite memory)
cannot sit on that scale; it gets a narrow panel of its own to the right, sharing the y axis.

Values that are not trained results (the divergence penalty, a γ = 1 point far off) never set a
y range: ``trained_limits`` computes it from the trained runs, and ``edge_markers`` draws what
falls outside at the panel's edge with its value.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

DPI = 110
_NINES_CAP = 4.0  # 1 − γ below 1e-4 is drawn at γ = 0.9999
GAMMA_TICKS = (0.0, 0.9, 0.99, 0.999, 0.9999)
_MIN_TICK_GAP = 0.07  # of the axis width: closer swept values are not labelled (they overlap)
TITLE_WIDTH = 72      # characters per title line
_CHARS_PER_INCH = 10  # of a 12 pt title: a line of this many characters per inch fits its figure
DIVERGED = dict(marker="x", color="red", ms=9, mew=2, ls="none", clip_on=False, zorder=5)
OFF_RANGE = dict(color="0.3", ms=7, ls="none", clip_on=False, zorder=5)


def figure(width: float, height: float, **kw):
    """A figure with constrained layout: titles, labels and outside legends are never clipped."""
    return plt.figure(figsize=(width, height), layout="constrained", **kw)


def save(fig, path: Path) -> Path:
    """The figure as drawn on its canvas: constrained layout keeps every label, legend and title on
    it, so one draw suffices (``bbox_inches="tight"`` would draw it twice)."""
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def title(ax_or_fig, text: str, width: int = TITLE_WIDTH, **kw) -> None:
    """Set a title wrapped to ``width`` characters a line, fewer on a narrow figure so that the
    title stays on its canvas (a figure gets a suptitle)."""
    fig = ax_or_fig.get_figure() if hasattr(ax_or_fig, "get_figure") else None
    if fig is not None:
        width = min(width, int(fig.get_figwidth() * _CHARS_PER_INCH))
    wrapped = "\n".join(textwrap.fill(line, width) for line in text.split("\n"))
    if hasattr(ax_or_fig, "suptitle"):
        ax_or_fig.suptitle(wrapped, **kw)
    else:
        ax_or_fig.set_title(wrapped, **kw)


def check_columns(table, columns, what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} needs columns {list(columns)}, but got {list(table.columns)} "
                         f"(missing {missing}).")


def legend_outside(ax, **kw):
    """The legend to the right of the axes, off the data; nothing if there is nothing to label."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0,
                     fontsize=8, **kw)


def legend_right(*axes) -> None:
    """One legend right of the last of ``axes`` (None skipped), with every label of them once."""
    axes = [a for a in axes if a is not None]
    handles, labels = [], []
    for a in axes:
        for h, lab in zip(*a.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if handles:
        axes[-1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.04, 1.0), borderaxespad=0,
                        fontsize=8)


# ---- lr ---------------------------------------------------------------------------------------


def lr_label(x: float) -> str:
    """1e-3, 3e-4, 1e-1, 1, 2.5e-3: one significant digit when the value is close to one."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x <= 0:
        return f"{x:g}"
    e = math.floor(math.log10(x) + 1e-9)
    m = x / 10 ** e
    one = round(m)
    text = f"{one:d}" if abs(m - one) / m < 0.1 else f"{m:.2g}"
    if text == "10":  # 9.7e-4 rounds up to 1e-3
        text, e = "1", e + 1
    return text if e == 0 else f"{text}e{e}"


LR_FORMATTER = FuncFormatter(lambda x, _pos: lr_label(x))


# ---- γ ----------------------------------------------------------------------------------------


def nines(gamma) -> np.ndarray:
    g = np.asarray(gamma, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.minimum(-np.log10(np.clip(1.0 - g, 0.0, None)), _NINES_CAP)


def gamma_label(g: float) -> str:
    return f"{g:.4g}"


def place(values, scale: str = "memory") -> np.ndarray:
    """x positions of a factor's values on its scale (``sweeps.factor.scale``): nines for an
    average's coefficient (γ, β1 ...; γ = 1 goes to its own panel, at 0), log10 for lr and ε,
    the value itself on a linear scale."""
    v = np.asarray(values, dtype=float)
    if scale == "memory":
        return np.where(v < 1, nines(v), 0.0)
    if scale == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(v)
    return v


def on_main(values, scale: str = "memory") -> np.ndarray:
    """Which values sit on the main panel: all but γ = 1 (and above) on the memory scale."""
    v = np.asarray(values, dtype=float)
    return v < 1 if scale == "memory" else np.ones(v.shape, bool)


def gamma_ticks(gammas, lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Tick positions (nines) and labels: 0, 0.9, 0.99, ... within [lo, hi], then every swept γ
    that is not too close to a tick already labelled."""
    gap = _MIN_TICK_GAP * max(hi - lo, 1e-9)
    chosen: dict[float, str] = {}
    for t in GAMMA_TICKS:
        x = float(nines(t))
        if lo - 1e-9 <= x <= hi + 1e-9:
            chosen[x] = gamma_label(t)
    for g in sorted({float(g) for g in gammas if np.isfinite(g) and g < 1}):
        x = float(nines(g))
        if all(abs(x - c) >= gap for c in chosen):
            chosen[x] = gamma_label(g)
    pos = sorted(chosen)
    return pos, [chosen[p] for p in pos]


def gamma_range(gammas) -> tuple[float, float]:
    """The x range (nines) of the γ < 1 panel: 0 to the next whole number of nines, at least 2."""
    g = np.asarray([x for x in gammas if np.isfinite(x) and x < 1], dtype=float)
    top = float(nines(g.max())) if len(g) else 2.0
    return 0.0, max(2.0, float(np.ceil(top - 1e-9)))


def gamma_panels(fig, gammas, *, spec=None, sharey: bool = True, label: str = "γ", scale: str = "memory"):
    """Axes for a γ figure: (main, one) where ``one`` is the γ = 1 panel (None without γ = 1).
    The main x axis is set up (limits, every tick labelled); plot at ``place(γ, scale)`` on it,
    and at x = 0 on ``one``. ``sharey`` False: ``one`` has a y axis of its own. ``label`` and
    ``scale``: the factor's name and scale (``sweeps.factor``), when it is not γ."""
    g = np.asarray([x for x in gammas if np.isfinite(x)], dtype=float)
    if scale != "memory":
        return _factor_axis(fig, g, spec, label, scale), None
    has_one = bool((g >= 1).any())
    parent = spec if spec is not None else fig
    if has_one:
        shape = dict(width_ratios=[7, 1], wspace=0.04 if sharey else 0.1)  # room for its own ticks
        grid = parent.add_gridspec(1, 2, **shape) if spec is None else spec.subgridspec(1, 2, **shape)
        ax = fig.add_subplot(grid[0, 0])
        one = fig.add_subplot(grid[0, 1], sharey=ax if sharey else None)
        one.set_xlim(-1, 1)
        one.set_xticks([0], ["1"])
        if sharey:
            one.tick_params(axis="y", labelleft=False)
        else:
            one.tick_params(axis="y", labelsize=7)
        one.set_xlabel("γ = 1" if sharey else "γ = 1\n(own y scale)", fontsize=9)
        one.set_facecolor("0.97")
        one.grid(alpha=0.3)
    else:
        ax = fig.add_subplot(spec if spec is not None else 111)
        one = None
    lo, hi = gamma_range(g)
    pad = 0.04 * (hi - lo)
    ax.set_xlim(lo - pad, hi + pad)
    pos, labels = gamma_ticks(g, lo, hi)
    ax.set_xticks(pos, labels, fontsize=8)
    ax.set_xlabel(f"{label} (spaced by −log10(1 − {label}))")
    return ax, one


def _factor_axis(fig, values: np.ndarray, spec, label: str, scale: str):
    """The main axes of a factor on a log or linear scale: a tick at every value swept."""
    ax = fig.add_subplot(spec if spec is not None else 111)
    x = place(values, scale)
    if len(x):
        lo, hi = float(x.min()), float(x.max())
        pad = 0.08 * (hi - lo) if hi > lo else 0.5
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_xticks(sorted(set(x)), [gamma_label(v) for v in sorted(set(values))], fontsize=8)
    ax.set_xlabel(f"{label} (log scale)" if scale == "log" else label)
    return ax


# ---- y ranges set by trained runs -------------------------------------------------------------


def metric_scale(ax, values, axis: str = "y") -> bool:
    """A log metric axis when the metric is positive and spans more than a decade."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    log = bool(len(v) and v.min() > 0 and v.max() / v.min() > 10)
    if log:
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    return log


def trained_limits(values, *, log: bool | None = None, pad: float = 0.08) -> tuple[float, float] | None:
    """y limits that hold ``values`` (the trained runs only) with a margin; None if there are none.
    ``log`` None: log when positive and spanning more than a decade (as ``metric_scale``)."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if not len(v):
        return None
    lo, hi = float(v.min()), float(v.max())
    if log is None:
        log = lo > 0 and hi / lo > 10
    if log:
        a, b = math.log10(lo), math.log10(hi)
        m = pad * (b - a) if b > a else 0.1
        return 10 ** (a - m), 10 ** (b + m)
    m = pad * (hi - lo) if hi > lo else (0.1 * abs(hi) if hi else 0.1)
    return lo - m, hi + m


def edge_markers(ax, xs, ys, *, diverged=None, label_diverged: str = "diverged (penalty value)",
                 label_off: str = "off the range of trained runs (value shown)", row: int = 0) -> None:
    """Draw points of ``ys`` outside ``ax``'s y limits at its top or bottom edge: a red × for a
    diverged point, a grey triangle with the value for any other; points inside are left alone.
    ``row`` moves the value's text one line further from the edge (a second series at the same x)."""
    lo, hi = ax.get_ylim()
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    div = np.zeros(len(ys), bool) if diverged is None else np.asarray(diverged, dtype=bool)
    for x, y, d in zip(xs, ys, div):
        inside = lo <= y <= hi
        if not np.isfinite(y) or (inside and not d):
            continue
        at = y if inside else hi if y > hi else lo
        if d:
            ax.plot([x], [at], label=label_diverged, **DIVERGED)
            label_diverged = "_nolegend_"
        else:
            ax.plot([x], [at], "^" if y > hi else "v", label=label_off, **OFF_RANGE)
            label_off = "_nolegend_"
        if not inside:
            ax.annotate(f"{y:.3g}", (x, at), xytext=(0, -12 - 9 * row if y > hi else 6 + 9 * row), textcoords="offset points",
                        ha="center", fontsize=7, color="red" if d else "0.3", annotation_clip=False)
