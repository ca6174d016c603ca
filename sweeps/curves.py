"""The per-run figure logged to MLflow: loss curves, and the path over contours for 2-D problems."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_run(result, title: str, path: Path) -> Path:
    h = result.history
    has_path = result.trajectory is not None and result.trajectory.shape[1] == 2
    fig, axes = plt.subplots(1, 2 if has_path else 1, figsize=(10 if has_path else 5.5, 4))
    ax = axes[0] if has_path else axes
    for key in ("train_loss", "test_loss"):
        if h.get(key):
            ax.plot(h["step"], h[key], label=key.replace("_", " "))
    ax.set_yscale("log" if min(min(h.get("test_loss", [1])), 1) > 0 else "linear")
    ax.set(xlabel="step", ylabel="loss", title=title + (" (diverged)" if result.diverged else ""))
    ax.legend()
    if has_path:
        plot_trajectory(axes[1], result.trajectory)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_trajectory(ax, trajectory: np.ndarray, f=None, label: str | None = None) -> None:
    """The path of the iterates; with ``f``, over its contour lines."""
    if f is not None:
        lo, hi = trajectory.min(0) - 1, trajectory.max(0) + 1
        xs, ys = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
        ax.contour(xs, ys, f(xs, ys), levels=20, cmap="Greys", linewidths=0.6)
    ax.plot(trajectory[:, 0], trajectory[:, 1], "o-", ms=2, lw=1, label=label)
    ax.plot(*trajectory[0], "k^")
    ax.set(xlabel="x1", ylabel="x2", title="path")
