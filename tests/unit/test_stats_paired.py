"""compare_paired: intervals, pairing, Holm, the verdict rule's edge cases, and input errors."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from sweeps.analysis.stats import VERDICTS, compare_paired

KW = {"reference": 0.99, "margin": 0.01, "direction": "minimize", "n_resamples": 999}


def runs_of(values: dict, seeds=None) -> pd.DataFrame:
    """``{config: values by seed}`` as a ``config, seed, value`` table."""
    rows = [(c, s, v) for c, vs in values.items()
            for s, v in zip(seeds or range(len(vs)), vs)]
    return pd.DataFrame(rows, columns=["config", "seed", "value"])


def test_columns_order_and_self_description():
    rng = np.random.default_rng(0)
    base = rng.normal(size=6)
    t = compare_paired(runs_of({0.99: base, 0.9: base + 0.1, 0.5: base + 0.2}), **KW)
    assert list(t.columns) == ["config", "n", "mean_diff", "ci_low", "ci_high", "p_diff",
                               "p_diff_holm", "p_equiv", "p_equiv_holm", "verdict", "reason",
                               "reference", "margin", "alpha"]
    assert t["config"].tolist() == [0.5, 0.9]
    assert (t["reference"] == 0.99).all() and (t["margin"] == 0.01).all() and (t["alpha"] == 0.05).all()
    assert set(t["verdict"]) <= set(VERDICTS)


@pytest.mark.usefixtures("frozen_heap")
def test_interval_covers_the_true_mean_difference():
    """Coverage of the 95 % BCa interval over 100 data sets of 20 paired seeds (true diff 0.02)."""
    rng = np.random.default_rng(1)
    covered = []
    for _ in range(100):
        base = rng.normal(0, 0.05, 20)
        t = compare_paired(runs_of({0.99: base, 0.9: base + 0.02 + rng.normal(0, 0.01, 20)}), **KW)
        covered.append(t.loc[0, "ci_low"] <= 0.02 <= t.loc[0, "ci_high"])
    print(f"\n95 % BCa interval covered the true difference in {np.mean(covered):.2f} of 100")
    assert 0.85 <= np.mean(covered) <= 1.0


def test_pairing_matters():
    """A shared seed effect 100× the planted effect hides it from an unpaired test, not a paired one."""
    rng = np.random.default_rng(2)
    base = rng.normal(0, 1.0, 10)
    x = base + 0.03 + rng.normal(0, 0.01, 10)
    ref = base + rng.normal(0, 0.01, 10)
    assert stats.ttest_ind(x, ref).pvalue > 0.5
    t = compare_paired(runs_of({0.99: ref, 0.9: x}), **KW)
    assert t.loc[0, "verdict"] == "different"
    assert "worse" in t.loc[0, "reason"]


def test_only_common_seeds_are_paired():
    runs = pd.concat([runs_of({0.99: [1.0, 2.0, 3.0, 4.0]}, seeds=[0, 1, 2, 3]),
                      runs_of({0.9: [1.5, 2.4, 3.6, 9.0]}, seeds=[0, 1, 2, 7])])
    t = compare_paired(runs, **KW)
    assert t.loc[0, "n"] == 3
    assert t.loc[0, "mean_diff"] == pytest.approx(0.5)


def test_holm_adjusts_each_test_across_configs():
    rng = np.random.default_rng(3)
    base = rng.normal(0, 0.05, 8)
    values = {0.99: base} | {g: base + e + rng.normal(0, 0.01, 8)
                             for g, e in [(0.5, 0.0), (0.8, 0.005), (0.9, 0.01), (0.95, 0.02)]}
    t = compare_paired(runs_of(values), **KW)
    for p in ("p_diff", "p_equiv"):
        assert (t[f"{p}_holm"] >= t[p]).all() and (t[f"{p}_holm"] <= 1).all()
        assert np.allclose(t[f"{p}_holm"], multipletests(t[p], method="holm")[1])


def test_equivalence_takes_precedence_over_a_tiny_significant_difference():
    rng = np.random.default_rng(4)
    base = rng.normal(0, 0.05, 400)
    t = compare_paired(runs_of({0.99: base, 0.9: base + 0.002 + rng.normal(0, 0.005, 400)}), **KW)
    assert t.loc[0, "p_diff_holm"] < 0.05 and t.loc[0, "verdict"] == "equivalent"
    assert "TOST" in t.loc[0, "reason"]


@pytest.mark.parametrize("n", [0, 1, 2])
def test_too_few_pairs(n):
    runs = pd.concat([runs_of({0.99: [1.0, 2.0, 3.0]}),
                      runs_of({0.9: [5.0] * 3}, seeds=[*range(n), 10, 11, 12][:3])])
    t = compare_paired(runs, **KW)
    assert t.loc[0, "verdict"] == "inconclusive"
    assert t.loc[0, "reason"] == f"fewer than 3 paired seeds (n = {n})"
    assert t[["p_diff", "p_equiv", "p_diff_holm", "p_equiv_holm"]].isna().all(axis=None)


@pytest.mark.parametrize(("d", "verdict"), [(0.5, "different"), (-0.5, "different"),
                                            (0.001, "equivalent"), (0.0, "equivalent")])
def test_identical_differences_are_exact_and_silent(d, verdict):
    base = np.array([1.0, 2.0, 3.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = compare_paired(runs_of({0.99: base, 0.9: base + d}), **KW)
    row = t.loc[0]
    assert row["verdict"] == verdict and "no spread" in row["reason"]
    assert math.isnan(row["p_diff"]) and math.isnan(row["p_equiv"])
    assert row["ci_low"] == pytest.approx(d) and row["ci_high"] == pytest.approx(d)


def test_maximize_reads_a_lower_value_as_worse():
    rng = np.random.default_rng(5)
    base = rng.normal(0, 0.05, 10)
    t = compare_paired(runs_of({0.99: base, 0.9: base - 0.05 + rng.normal(0, 0.01, 10)}),
                       **KW | {"direction": "maximize"})
    assert t.loc[0, "verdict"] == "different" and "worse" in t.loc[0, "reason"]


def test_duplicates_are_named():
    runs = runs_of({0.99: [1.0, 2.0, 3.0], 0.9: [1.0, 2.0, 3.0]})
    runs = pd.concat([runs, runs.iloc[[4]]])
    with pytest.raises(ValueError, match=r"\(0\.9, 1\)"):
        compare_paired(runs, **KW)


def test_missing_reference_is_named():
    with pytest.raises(ValueError, match=r"reference=0\.999 .*\[0\.9, 0\.99\]"):
        compare_paired(runs_of({0.99: [1.0, 2.0, 3.0], 0.9: [1.0, 2.0, 3.0]}),
                       **KW | {"reference": 0.999})


@pytest.mark.parametrize(("kw", "match"), [({"margin": 0.0}, "margin=0.0"),
                                           ({"margin": -1}, "margin=-1"),
                                           ({"direction": "min"}, "direction='min'"),
                                           ({"alpha": 1.5}, "alpha=1.5"),
                                           ({"n_resamples": 0}, "n_resamples=0")])
def test_bad_arguments_are_named(kw, match):
    with pytest.raises(ValueError, match=match):
        compare_paired(runs_of({0.99: [1.0, 2.0, 3.0], 0.9: [1.0, 2.0, 3.0]}), **KW | kw)


def test_nan_values_and_missing_columns_are_named():
    runs = runs_of({0.99: [1.0, 2.0, 3.0], 0.9: [1.0, np.nan, 3.0]})
    with pytest.raises(ValueError, match=r"NaN .*\(0\.9, 1\)"):
        compare_paired(runs, **KW)
    with pytest.raises(ValueError, match="lacks columns \\['seed'\\]"):
        compare_paired(runs.drop(columns="seed"), **KW)
