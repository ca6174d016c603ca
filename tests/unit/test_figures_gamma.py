"""The per-variant γ figures (sensitivity, divergence, speed, lr × γ) drawn from hand-built tables:
a PNG for typical inputs, with γ = 1, with empty / all-NaN rows and with one γ; and the y range of
the sensitivity figure set by the trained runs, not by the divergence penalty."""

import math

import matplotlib.image
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from sweeps.analysis.divergence import COLUMNS as DIVERGENCE
from sweeps.analysis.lr_gamma import COLUMNS as LR_GAMMA
from sweeps.analysis.sensitivity import COLUMNS as CURVE
from sweeps.analysis.speed import COLUMNS as SPEED
from sweeps.analysis.family import VariantResult
from sweeps.analysis.figures import (
    divergence_figure, heatmap_figure, sensitivity_figure, speed_figure,
)
from sweeps.analysis.figures import curves
from sweeps.analysis.variants import Variant

GAMMAS = (0.0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999)
LRS = (1e-4, 10 ** -3.5, 1e-3, 10 ** -2.5, 1e-2)
PENALTY = 23.0  # 10x the worst trained run below


def result(gammas, *, penalty_at=(), empty=False, nan=False) -> VariantResult:
    """A VariantResult with the tables the figures read; best loss 1.0 + (γ - 0.9)^2 ... at most 2.3."""
    gammas = [] if empty else list(gammas)
    crow, lrow, drow, srow = [], [], [], []
    for k, g in enumerate(gammas):
        best = math.nan if nan else 1.0 + 1.3 * (g - 0.9) ** 2 + 0.01 * k
        diverged = g in penalty_at
        crow.append({
            "gamma": g, "span": f"{g:g}", "n": len(LRS), "best": PENALTY if diverged else best,
            "best_lr": 1e-3, "best_eps": 1e-8, "best_trial": k, "best_diverged": diverged,
            "fixed_lr": 10 ** -2.5, "fixed_best": math.nan if nan else best + 0.05, "fixed_n": 1,
            "seed_mean": math.nan if (nan or diverged) else best + 0.01, "seed_std": 0.02,
            "seed_min": best - 0.02, "seed_max": best + 0.04, "seed_n": 0 if (nan or diverged) else 3,
            "seed_source": k,
        })
        drow.append({"gamma": g, "span": f"{g:g}", "n": 5, "n_diverged": 5 if diverged else k % 2,
                     "rate": 1.0 if diverged else (k % 2) / 5})
        srow.append({"gamma": g, "span": f"{g:g}", "n": 5, "n_reached": 0 if diverged else 2,
                     "steps": math.nan if (diverged or nan) else 50.0 * (k + 1), "target": 1.1})
        for i, lr in enumerate(LRS):
            all_div = diverged or (i == len(LRS) - 1 and g < 0.5)
            lrow.append({"lr": lr, "lr_span": f"{lr:g}", "gamma": g, "gamma_span": f"{g:g}", "n": 2,
                         "best": PENALTY if all_div else (math.nan if nan else best + 0.1 * i),
                         "n_diverged": 2 if all_div else int(i == 2), "all_diverged": all_div})
    v = Variant("mnist_mlp/mnist_5k/rmsprop (s₀=0.0, a long name that makes the title wrap)", "study",
                "minimize", "test_loss", pd.DataFrame(), pd.DataFrame())
    return VariantResult(
        variant=v, curve=pd.DataFrame(crow, columns=CURVE),
        lr_gamma=pd.DataFrame(lrow, columns=LR_GAMMA),
        divergence=pd.DataFrame(drow, columns=DIVERGENCE), target=1.1,
        speed=pd.DataFrame(srow, columns=SPEED), tunability=pd.DataFrame(), noise=math.nan)


CASES = {
    "typical": dict(gammas=GAMMAS, penalty_at=(0.0,)),
    "with_gamma_one": dict(gammas=GAMMAS + (1.0,), penalty_at=(1.0,)),
    "empty": dict(gammas=GAMMAS, empty=True),
    "all_nan": dict(gammas=GAMMAS + (1.0,), nan=True),
    "single_gamma": dict(gammas=(0.9,)),
    "only_gamma_one": dict(gammas=(1.0,)),
}
FIGURES = {"sensitivity": sensitivity_figure, "divergence": divergence_figure, "speed": speed_figure,
           "heatmap": heatmap_figure}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", FIGURES)
def test_figure_writes_a_png(kind, case, tmp_path):
    path = FIGURES[kind](result(**CASES[case]), tmp_path / f"{kind}_{case}.png")
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 400
    assert image[..., :3].std() > 0.01  # something is drawn, not a blank canvas


@pytest.fixture
def drawn(monkeypatch):
    """The figures ``curves`` saves, kept open for inspection."""
    figs = []
    def keep(fig, path):
        figs.append(fig)
        fig.savefig(path)
        return path

    monkeypatch.setattr(curves, "save", keep)
    yield figs
    for fig in figs:
        plt.close(fig)


def test_sensitivity_y_range_is_set_by_trained_runs_not_the_penalty(drawn, tmp_path):
    r = result(GAMMAS + (1.0,), penalty_at=(0.0, 1.0))
    trained = r.curve[~r.curve["best_diverged"] & (r.curve["gamma"] < 1)]["best"]
    assert PENALTY >= 10 * trained.max()
    sensitivity_figure(r, tmp_path / "s.png")
    ax = drawn[0].axes[0]
    lo, hi = ax.get_ylim()
    assert lo <= trained.min() and trained.max() <= hi < PENALTY / 5
    assert (hi - lo) < 2 * (trained.max() - trained.min()) + 0.2
    # the penalty points are drawn, at the top edge, as red crosses labelled "diverged"
    legend = drawn[0].axes[-1].get_legend()
    assert any("diverged" in t.get_text() for t in legend.get_texts())
    crosses = [line for a in drawn[0].axes for line in a.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 2 and all(line.get_ydata()[0] == pytest.approx(hi) for line in crosses)


def test_sensitivity_limits_ignore_penalty_and_gamma_one():
    c = result(GAMMAS + (1.0,), penalty_at=(0.0,)).curve
    c.loc[c["gamma"] == 1.0, "best"] = 50.0  # γ = 1 trained, but far off: it must not stretch the range
    lo, hi = curves.sensitivity_limits(c)
    trained = c[(c["gamma"] < 1) & ~c["best_diverged"]]
    values = pd.concat([trained["best"], trained["seed_mean"]])
    assert lo < values.min() and values.max() < hi < 2 * values.max()


def test_gamma_one_has_its_own_panel_and_every_tick_is_labelled(drawn, tmp_path):
    sensitivity_figure(result(GAMMAS + (1.0,)), tmp_path / "s.png")
    main, one = drawn[0].axes[:2]
    labels = [t.get_text() for t in main.get_xticklabels()]
    assert {"0", "0.9", "0.99", "0.999"} <= set(labels) and {"0.5", "0.95", "0.995"} <= set(labels)
    assert "1" not in labels and [t.get_text() for t in one.get_xticklabels()] == ["1"]
    positions = main.get_xticks()
    assert positions[labels.index("0.99")] == pytest.approx(2.0) and positions[labels.index("0.9")] == pytest.approx(1.0)


def test_heatmap_lr_rows_are_labelled_like_1e_3(tmp_path, monkeypatch):
    from sweeps.analysis.figures import heatmap
    figs = []
    monkeypatch.setattr(heatmap, "save", lambda fig, path: figs.append(fig) or path)
    heatmap_figure(result(GAMMAS), tmp_path / "h.png")
    labels = [t.get_text() for t in figs[0].axes[0].get_yticklabels()]
    assert labels == ["1e-4", "3e-4", "1e-3", "3e-3", "1e-2"]
    plt.close(figs[0])


def test_heatmap_bins_are_labelled_by_their_ends():
    from sweeps.analysis.figures.heatmap import lr_row_label
    assert lr_row_label(10 ** -3.75, "[0.0001, 0.00032)") == "[1e-4, 3e-4)"
    assert lr_row_label(1e-3, "0.001") == "1e-3"
