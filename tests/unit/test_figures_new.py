"""paired_figure and budget_figure from plain DataFrames: a PNG for typical inputs, with γ = 1,
with NaN / empty rows and with one γ; the reference, margin and verdicts drawn where they belong;
bad inputs rejected with the bad value named."""

import math

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sweeps.analysis.figures import budget, budget_figure, paired, paired_figure

GAMMAS = (0.0, 0.5, 0.9, 0.95, 0.995, 0.999, 1.0)  # reference 0.99 is not a row of its own
VERDICTS = ("different", "different", "equivalent", "equivalent", "inconclusive", "inconclusive", "different")


def paired_table(gammas=GAMMAS, *, nan=False) -> pd.DataFrame:
    mean = np.array([0.05, 0.02, -0.004, 0.001, 0.003, 0.01, 0.6][: len(gammas)])
    half = np.full(len(gammas), 0.01)
    if nan:
        mean[:] = np.nan
    return pd.DataFrame({"config": list(gammas), "mean_diff": mean, "ci_low": mean - half, "ci_high": mean + half,
                         "verdict": list(VERDICTS[: len(gammas)]), "n": 5})


def budget_table(gammas=GAMMAS, *, nan=False) -> pd.DataFrame:
    rows = [{"gamma": g, "budget": b, "expected": math.nan if nan else 0.4 + 0.1 * k + 0.2 / b, "std": 0.02}
            for k, g in enumerate(gammas) for b in range(1, 65)]
    return pd.DataFrame(rows, columns=list(budget.COLUMNS))


def png_ok(path):
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 400
    assert image[..., :3].std() > 0.01


PAIRED_CASES = {
    "typical": paired_table(GAMMAS[:-1]),
    "with_gamma_one": paired_table(),
    "all_nan": paired_table(nan=True),
    "empty": paired_table().iloc[:0],
    "single_gamma": paired_table((0.9,)),
}
BUDGET_CASES = {
    "typical": budget_table(GAMMAS[:-1]),
    "with_gamma_one": budget_table(),
    "all_nan": budget_table(nan=True),
    "empty": budget_table().iloc[:0],
    "single_gamma": budget_table((0.9,)),
}


@pytest.mark.parametrize("case", PAIRED_CASES)
def test_paired_figure_writes_a_png(case, tmp_path):
    png_ok(paired_figure(PAIRED_CASES[case], reference=0.99, margin=0.01, metric="test_loss",
                         path=tmp_path / f"paired_{case}.png"))


@pytest.mark.parametrize("case", BUDGET_CASES)
def test_budget_figure_writes_a_png(case, tmp_path):
    png_ok(budget_figure(BUDGET_CASES[case], metric="test_loss", direction="minimize",
                         path=tmp_path / f"budget_{case}.png"))


@pytest.fixture
def kept(monkeypatch):
    """Figures of ``paired`` and ``budget`` kept open instead of saved."""
    figs = []
    for module in (paired, budget):
        monkeypatch.setattr(module, "save", lambda fig, path: figs.append(fig) or path)
    yield figs
    for fig in figs:
        plt.close(fig)


def test_paired_figure_draws_reference_margin_and_verdicts_and_gamma_one_apart(kept, tmp_path):
    paired_figure(paired_table(), reference=0.99, margin=0.01, metric="test_loss", path=tmp_path / "p.png")
    fig = kept[0]
    main, one = fig.axes[:2]
    assert "test_loss" in fig._suptitle.get_text() and "0.99" in fig._suptitle.get_text()
    labels = [t.get_text() for t in one.get_legend().get_texts()]
    assert {"different", "inconclusive", "reference γ = 0.99", "±margin (0.01)"} <= set(labels)
    assert any(lab.startswith("equivalent") for lab in labels)
    ref = [line for line in main.get_lines() if line.get_linestyle() == ":"]
    assert len(ref) == 1 and ref[0].get_xdata()[0] == pytest.approx(2.0)  # 0.99: two nines
    # γ = 1's difference (0.6) lives in its own panel: the γ < 1 panel keeps the scale of ±0.06
    assert main.get_ylim()[1] < 0.1 and one.get_ylim()[1] > 0.6
    ticks = [t.get_text() for t in main.get_xticklabels()]
    assert {"0", "0.5", "0.9", "0.95", "0.99", "0.995", "0.999"} <= set(ticks)


def test_budget_figure_log2_axis_and_colours_ordered_by_gamma(kept, tmp_path):
    budget_figure(budget_table(GAMMAS[:-1]), metric="test_accuracy", direction="maximize", path=tmp_path / "b.png")
    ax = kept[0].axes[0]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4", "8", "16", "32", "64"]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == [f"γ = {g:g}" for g in GAMMAS[:-1]]
    # a sequential colormap in order of γ: viridis gets lighter (more green-yellow) as γ grows
    greens = [line.get_color()[1] for line in lines]
    assert greens == sorted(greens) and len(set(greens)) == len(greens)
    assert "higher is better" in ax.get_ylabel()


def test_bad_inputs_name_the_bad_value(tmp_path):
    with pytest.raises(ValueError, match="missing \\['n'\\]"):
        paired_figure(paired_table().drop(columns="n"), reference=0.99, margin=0.01, metric="m", path=tmp_path / "p.png")
    with pytest.raises(ValueError, match="'maybe'"):
        paired_figure(paired_table().assign(verdict="maybe"), reference=0.99, margin=0.01, metric="m",
                      path=tmp_path / "p.png")
    with pytest.raises(ValueError, match="direction='up'"):
        budget_figure(budget_table(), metric="m", direction="up", path=tmp_path / "b.png")
