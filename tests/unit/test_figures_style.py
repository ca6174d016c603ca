"""The shared figure plumbing: lr labels, γ ticks, y ranges set by trained runs, edge markers."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sweeps.analysis.figures._style import (
    DPI, LR_FORMATTER, edge_markers, figure, gamma_ticks, legend_outside, lr_label, nines, save, title,
    trained_limits,
)


@pytest.mark.parametrize("x, text", [
    (1e-3, "1e-3"), (10 ** -3.5, "3e-4"), (3e-4, "3e-4"), (1e-1, "1e-1"), (1.0, "1"), (0.000316228, "3e-4"),
    (10 ** -1.5, "3e-2"), (2.5e-3, "2.5e-3"), (9.99e-4, "1e-3"), (5e-1, "5e-1"), (30.0, "3e1"),
])
def test_lr_label(x, text):
    assert lr_label(x) == text
    assert LR_FORMATTER(x, 0) == text


def test_lr_label_of_nan_is_na():
    assert lr_label(math.nan) == "n/a"


def test_gamma_ticks_label_the_nines_and_every_swept_value_that_fits():
    pos, labels = gamma_ticks([0.0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999], 0.0, 3.0)
    assert labels == ["0", "0.5", "0.9", "0.95", "0.99", "0.995", "0.999"]
    assert pos == pytest.approx(list(nines([0.0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999])))
    # 0.991 would sit on top of 0.99's label: left unlabelled
    _, labels = gamma_ticks([0.9, 0.99, 0.991], 0.0, 3.0)
    assert "0.991" not in labels and "0.99" in labels


def test_trained_limits_hold_the_values_with_a_margin():
    lo, hi = trained_limits([0.3, 0.5, np.nan, 0.4])
    assert lo < 0.3 and 0.5 < hi < 0.6
    lo, hi = trained_limits([0.01, 1.0])  # two decades: log margins
    assert 0.005 < lo < 0.01 and 1.0 < hi < 2.0
    assert trained_limits([np.nan]) is None


def test_edge_markers_put_off_range_points_on_the_edge():
    fig, ax = plt.subplots()
    ax.set_ylim(0, 1)
    edge_markers(ax, [0, 1, 2], [0.5, 10.0, 5.0], diverged=[False, True, False])
    lines = ax.get_lines()
    assert [(line.get_marker(), line.get_ydata()[0]) for line in lines] == [("x", 1.0), ("^", 1.0)]
    assert ax.get_ylim() == (0, 1)
    plt.close(fig)


def test_a_saved_figure_keeps_its_title_and_outside_legend_on_its_canvas(tmp_path):
    """Figures are drawn once, at their own size (no tight bounding box): everything must fit."""
    fig = figure(5.0, 3.0)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="a long legend entry beside the axes")
    legend_outside(ax)
    title(fig, "mnist_mlp/mnist_5k/rmsprop/convention=pytorch: best final val_loss over lr × γ")
    image = plt.imread(save(fig, tmp_path / "f.png"))[..., :3]
    assert image.shape[:2] == (round(3.0 * DPI), round(5.0 * DPI))
    assert fig.get_suptitle().count("\n") == 1   # wrapped to the figure's width
    edges = np.concatenate([image[:3].reshape(-1, 3), image[-3:].reshape(-1, 3),
                            image[:, :3].reshape(-1, 3), image[:, -3:].reshape(-1, 3)])
    assert (edges == 1.0).all()   # a white margin all round: nothing was cut at the canvas's edge
