"""compare_paired: intervals, pairing, adjustment, failures, the verdict rule's edge cases, errors."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from sweeps.analysis.stats import VERDICTS, compare_paired

KW = {"reference": 0.99, "margin": 0.01, "direction": "minimize"}


def runs_of(values: dict, seeds=None) -> pd.DataFrame:
    """``{config: values by seed}`` as a ``config, seed, value`` table."""
    rows = [(c, s, v) for c, vs in values.items()
            for s, v in zip(seeds or range(len(vs)), vs)]
    return pd.DataFrame(rows, columns=["config", "seed", "value"])


def test_columns_order_and_self_description():
    rng = np.random.default_rng(0)
    base = rng.normal(size=6)
    t = compare_paired(runs_of({0.99: base, 0.9: base + 0.1, 0.5: base + 0.2}), **KW)
    assert list(t.columns) == ["config", "n", "mean_diff", "sd_diff", "ci_low", "ci_high", "level",
                               "p_diff", "p_diff_adj", "p_equiv", "p_equiv_adj", "mde", "verdict",
                               "reason", "n_seeds", "failed", "ref_failed", "p_fail", "p_fail_holm",
                               "m", "reference", "margin", "alpha"]
    assert t["config"].tolist() == [0.5, 0.9]
    assert (t["reference"] == 0.99).all() and (t["margin"] == 0.01).all() and (t["alpha"] == 0.05).all()
    assert set(t["verdict"]) <= set(VERDICTS)


@pytest.mark.usefixtures("frozen_heap")
def test_interval_covers_the_true_mean_difference():
    """Simultaneous coverage over 200 data sets of 10 paired seeds, two configs (m = 2): both
    intervals hold their true differences in ≥ 95 % of them (Bonferroni), within Monte-Carlo error
    (sd ≈ 1.5 %)."""
    rng = np.random.default_rng(1)
    covered = []
    for _ in range(200):
        base = rng.normal(0, 0.05, 10)
        t = compare_paired(runs_of({0.99: base, 0.9: base + 0.02 + rng.normal(0, 0.01, 10),
                                    0.5: base - 0.01 + rng.normal(0, 0.01, 10)}), **KW).set_index("config")
        covered.append(t.loc[0.9, "ci_low"] <= 0.02 <= t.loc[0.9, "ci_high"]
                       and t.loc[0.5, "ci_low"] <= -0.01 <= t.loc[0.5, "ci_high"])
    print(f"\nsimultaneous 95 % intervals covered both differences in {np.mean(covered):.3f} of 200")
    assert np.mean(covered) >= 0.92


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


def test_bonferroni_level_and_adjusted_p_values_over_the_configs_tested():
    rng = np.random.default_rng(3)
    base = rng.normal(0, 0.05, 8)
    values = {0.99: base} | {g: base + e + rng.normal(0, 0.01, 8)
                             for g, e in [(0.5, 0.0), (0.8, 0.005), (0.9, 0.01), (0.95, 0.02)]}
    t = compare_paired(runs_of(values), **KW)
    assert (t["m"] == 4).all() and np.allclose(t["level"], 1 - 0.05 / 4)
    assert np.allclose(t["p_diff_adj"], multipletests(t["p_diff"], method="bonferroni")[1])
    assert np.allclose(t["p_equiv_adj"], np.minimum(1, 8 * t["p_equiv"]))


def test_failures_are_compared_apart_and_never_enter_the_losses():
    """γ = 1 fails on 5 of 10 seeds (value NaN or a penalty): its losses are paired on the other 5,
    and its failure rate is McNemar's exact test against the reference's (0 of 10)."""
    rng = np.random.default_rng(6)
    base = rng.normal(0, 0.05, 10)
    runs = runs_of({0.99: base, 1.0: base + 0.002 + rng.normal(0, 0.001, 10), 0.9: base + 0.05})
    failed = (runs["config"] == 1.0) & (runs["seed"] < 5)
    runs["trained"] = ~failed
    runs.loc[failed, "value"] = [np.nan, 9.0, 9.0, 9.0, 9.0]   # a penalty is ignored like a NaN
    t = compare_paired(runs, **KW).set_index("config")
    row = t.loc[1.0]
    assert (row["n"], row["n_seeds"], row["failed"], row["ref_failed"]) == (5, 10, 5, 0)
    assert row["mean_diff"] == pytest.approx(np.mean(runs.loc[(runs["config"] == 1.0) & ~failed, "value"].to_numpy()
                                                     - base[5:]))
    assert row["p_fail"] == pytest.approx(stats.binomtest(5, 5, 0.5).pvalue)   # 0.0625
    assert row["p_fail_holm"] == pytest.approx(row["p_fail"])   # the only config with discordant seeds
    assert math.isnan(t.loc[0.9, "p_fail"]) and t.loc[0.9, "failed"] == 0


def test_failure_p_values_are_the_exact_binomial_on_discordant_seeds_by_hand():
    """McNemar's exact p on b = 4 discordant failures of the config, c = 1 of the reference is the
    two-sided binomial p of 4 in 5; Holm over two configs matches statsmodels'."""
    n = 12
    trained = {0.99: [True] * 11 + [False], 0.5: [False] * 4 + [True] * 8, 0.9: [False] * 2 + [True] * 10}
    runs = pd.DataFrame([(c, s, 1.0 + 0.01 * s + (0.0 if c == 0.99 else 0.001 * s), t[s])
                         for c, t in trained.items() for s in range(n)],
                        columns=["config", "seed", "value", "trained"])
    t = compare_paired(runs, **KW).set_index("config")
    p5 = stats.binomtest(4, 5, 0.5).pvalue     # 0.5: b = 4 (seeds 0-3), c = 1 (seed 11)
    p9 = stats.binomtest(2, 3, 0.5).pvalue     # 0.9: b = 2, c = 1
    assert t.loc[0.5, "p_fail"] == pytest.approx(p5) and t.loc[0.9, "p_fail"] == pytest.approx(p9)
    assert np.allclose(t.loc[[0.5, 0.9], "p_fail_holm"], multipletests([p5, p9], method="holm")[1])


def test_equivalence_takes_precedence_over_a_tiny_significant_difference():
    rng = np.random.default_rng(4)
    base = rng.normal(0, 0.05, 400)
    t = compare_paired(runs_of({0.99: base, 0.9: base + 0.002 + rng.normal(0, 0.005, 400)}), **KW)
    assert t.loc[0, "p_diff_adj"] < 0.05 and t.loc[0, "verdict"] == "equivalent"
    assert "inside ±0.01" in t.loc[0, "reason"]


@pytest.mark.parametrize("n", [0, 1, 2])
def test_too_few_pairs(n):
    runs = pd.concat([runs_of({0.99: [1.0, 2.0, 3.0]}),
                      runs_of({0.9: [5.0] * 3}, seeds=[*range(n), 10, 11, 12][:3])])
    t = compare_paired(runs, **KW)
    assert t.loc[0, "verdict"] == "inconclusive"
    assert t.loc[0, "reason"] == f"fewer than 3 pairs in which both runs trained (n = {n})"
    assert t[["p_diff", "p_equiv", "p_diff_adj", "p_equiv_adj", "mde"]].isna().all(axis=None)


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
                                           ({"alpha": 1.5}, "alpha=1.5")])
def test_bad_arguments_are_named(kw, match):
    with pytest.raises(ValueError, match=match):
        compare_paired(runs_of({0.99: [1.0, 2.0, 3.0], 0.9: [1.0, 2.0, 3.0]}), **KW | kw)


def test_nan_values_and_missing_columns_are_named():
    runs = runs_of({0.99: [1.0, 2.0, 3.0], 0.9: [1.0, np.nan, 3.0]})
    with pytest.raises(ValueError, match=r"NaN .*\(0\.9, 1\).*trained=False"):
        compare_paired(runs, **KW)
    with pytest.raises(ValueError, match="lacks columns \\['seed'\\]"):
        compare_paired(runs.drop(columns="seed"), **KW)
