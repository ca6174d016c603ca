"""The lr window width (sweeps/analysis/lr_window.py) on curves whose width is known exactly."""

import math

import numpy as np
import pandas as pd
import pytest

from sweeps.analysis.lr_window import window, windows

LR = 10 ** np.arange(-5, 0.01, 0.25)   # a quarter-decade grid, 1e-5 ... 1


def vee(lr, centre, slope, floor=1.0):
    """1 + slope·|log10 lr − centre|: linear in log lr, so interpolation between grid points is exact."""
    return floor * (1 + slope * np.abs(np.log10(lr) - centre))


def test_a_vee_has_width_two_tolerance_over_slope():
    # within 5 % of the floor 1: |u| ≤ 0.05/slope, so the width is 0.1/slope decades exactly; the
    # centre and both crossings fall between grid points (0.1/0.08 = 1.25 decades, ends at ±0.625)
    # centre off the grid: the best tried is 1.008 at 10^-2.5, the limit 1.008·1.05, so the ends are
    # at −2.6 ± (1.008·1.05 − 1)/0.08 (the kink lies between tried points, beyond them all is linear)
    w = window(pd.Series(LR), pd.Series(vee(LR, -2.6, 0.08)), "minimize")
    assert w["window_decades"] == pytest.approx(2 * (1.008 * 1.05 - 1) / 0.08, rel=1e-12)
    centre_on_grid = window(pd.Series(LR), pd.Series(vee(LR, -2.5, 0.08)), "minimize")
    assert centre_on_grid["window_decades"] == pytest.approx(1.25, rel=1e-12)
    assert centre_on_grid["window_low"] == pytest.approx(10 ** -3.125)
    assert centre_on_grid["window_high"] == pytest.approx(10 ** -1.875)
    assert centre_on_grid["window_censored"] == ""


def test_the_width_scales_with_the_tolerance_and_the_floor_does_not_matter():
    for floor in (0.01, 1.0, 30.0):
        w = window(LR, vee(LR, -2.5, 0.02, floor), "minimize", tolerance=0.01)
        assert w["window_decades"] == pytest.approx(2 * 0.01 / 0.02)


def test_a_maximised_metric_measures_down_from_its_best():
    acc = 0.9 * (1 - 0.08 * np.abs(np.log10(LR) + 2.5))   # within 5 % of 0.9: |u| ≤ 0.625
    assert window(LR, acc, "maximize")["window_decades"] == pytest.approx(1.25)


def test_a_window_at_the_edge_is_censored_and_a_failed_run_ends_it():
    w = window(LR, vee(LR, 0.0, 0.08), "minimize")           # best at lr = 1, the grid's top
    assert w["window_censored"] == "above" and w["window_decades"] == pytest.approx(0.625)
    v = vee(LR, -2.5, 0.01)                                   # flat: 10 decades wide ...
    v[np.isclose(LR, 10 ** -1.75)] = math.inf                 # ... but a divergence at 10^-1.75
    v[np.isclose(LR, 10 ** -3.5)] = math.nan
    w = window(LR, v, "minimize")
    assert (w["window_low"], w["window_high"]) == pytest.approx((10 ** -3.25, 10 ** -2.0))
    assert w["window_censored"] == ""


def test_one_window_per_gamma_from_the_best_value_at_each_lr():
    rows = []
    for gamma, slope in ((0.9, 0.08), (0.99, 0.04)):
        for eps, worse in ((1e-8, 0.0), (1e-4, 0.5)):             # the best over ε at each lr counts
            rows += [{"gamma": gamma, "lr": lr, "value": v + worse, "state": "COMPLETE", "eps": eps}
                     for lr, v in zip(LR, vee(LR, -2.5, slope))]
    rows.append({"gamma": 0.99, "lr": 1e-3, "value": None, "state": "RUNNING", "eps": 1e-8})
    frame = pd.DataFrame(rows).assign(outcome="trained")
    t = windows(frame, "minimize")
    assert t["gamma"].tolist() == [0.9, 0.99]
    assert t["window_decades"].tolist() == pytest.approx([1.25, 2.5])
    # a run that did not train is outside, whatever its penalty; a γ with none trained has no window
    frame.loc[np.isclose(frame["lr"], 10 ** -2.25), "outcome"] = "diverged"
    frame.loc[frame["gamma"] == 0.9, "outcome"] = "collapsed"
    t = windows(frame, "minimize")
    assert math.isnan(t["window_decades"].iloc[0])
    assert t["window_high"].iloc[1] == pytest.approx(10 ** -2.5)   # ends at the last trained lr


def test_the_sentence_names_the_widest_and_narrowest_windows_of_its_table():
    from sweeps.analysis.sections.evidence import window_sentence

    t = pd.DataFrame({"gamma": [0.0, 0.9, 0.99], "window_decades": [0.31, 1.25, 2.5],
                      "window_censored": ["", "", "above"]})
    assert window_sentence(t) == ("The lr window is widest at γ = 0.99 (≥ 2.50 decades) and narrowest "
                                  "at γ = 0 (0.31 decades).")
    assert window_sentence(t.iloc[:1]) == ""


def test_with_tuning_seeds_a_setting_counts_by_its_mean_and_fails_if_any_seed_failed():
    rows = [{"gamma": 0.9, "lr": lr, "eps": 1e-8, "seed": seed, "state": "COMPLETE", "outcome": "trained",
             "value": v + (0.2 if seed else -0.2)}
            for lr, v in zip(LR, vee(LR, -2.5, 0.08)) for seed in (0, 1000)]
    frame = pd.DataFrame(rows)
    t = windows(frame, "minimize", params=["eps", "seed"])
    assert t["window_decades"].iloc[0] == pytest.approx(1.25)   # the means are the vee itself
    frame.loc[np.isclose(frame["lr"], 10 ** -2.25) & (frame["seed"] == 1000), "outcome"] = "diverged"
    t = windows(frame, "minimize", params=["eps", "seed"])
    assert t["window_high"].iloc[0] == pytest.approx(10 ** -2.5)
