"""expected_best against exact enumeration and brute-force Monte Carlo."""

import itertools

import numpy as np
import pandas as pd
import pytest

from sweeps.analysis.stats import expected_best, expected_best_by

POOL = np.array([0.31, 0.25, 0.40, 0.28, 0.52])


@pytest.mark.parametrize(("direction", "best"), [("minimize", min), ("maximize", max)])
def test_exact_enumeration_n3_b2(direction, best):
    pool = [3.0, 1.0, 2.0]
    draws = [best(p) for p in itertools.product(pool, repeat=2)]  # all 9 equally likely pairs
    row = expected_best(pool, budgets=[2], direction=direction).iloc[0]
    assert row["expected"] == pytest.approx(np.mean(draws))
    assert row["std"] == pytest.approx(np.std(draws))


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_against_monte_carlo(direction):
    rng = np.random.default_rng(0)
    budgets = [1, 2, 4, 8]
    curve = expected_best(POOL, budgets=budgets, direction=direction)
    reduce = np.min if direction == "minimize" else np.max
    for b, row in zip(budgets, curve.itertuples()):
        draws = reduce(rng.choice(POOL, size=(200_000, b)), axis=1)
        assert row.expected == pytest.approx(draws.mean(), abs=4 * draws.std() / np.sqrt(len(draws)) + 1e-12)
        assert row.std == pytest.approx(draws.std(), rel=0.02, abs=1e-4)


def test_limits():
    curve = expected_best(POOL, budgets=[1, 10_000], direction="minimize")
    assert curve["expected"].iloc[0] == pytest.approx(POOL.mean())
    assert curve["std"].iloc[0] == pytest.approx(POOL.std())
    assert curve["expected"].iloc[1] == pytest.approx(POOL.min())
    assert expected_best(POOL, budgets=[10_000], direction="maximize")["expected"].iloc[0] == \
        pytest.approx(POOL.max())


def test_monotone_in_budget_and_ties():
    curve = expected_best([1.0, 1.0, 2.0, 2.0, 5.0], direction="minimize")
    assert list(curve.columns) == ["budget", "expected", "std"]
    assert curve["budget"].tolist() == list(range(1, 65))
    assert (np.diff(curve["expected"]) <= 1e-15).all()


def test_nan_dropped_and_empty_pool():
    assert expected_best([np.nan, 2.0], budgets=[3])["expected"].iloc[0] == 2.0
    empty = expected_best([np.nan], budgets=[1, 2])
    assert empty.empty and list(empty.columns) == ["budget", "expected", "std"]


@pytest.mark.parametrize("budgets", [[0], [1.5], []])
def test_bad_budgets_are_named(budgets):
    with pytest.raises(ValueError, match="budgets must be positive ints"):
        expected_best(POOL, budgets=budgets)


def test_bad_direction_is_named():
    with pytest.raises(ValueError, match="direction='min'"):
        expected_best(POOL, direction="min")


def test_by_group_one_curve_each():
    runs = pd.DataFrame({"gamma": [0.9] * 3 + [0.99] * 2 + [0.5],
                         "loss": [3.0, 1.0, 2.0, 0.5, 0.7, np.nan]})
    long = expected_best_by(runs, "gamma", value="loss", budgets=[1, 2])
    assert list(long.columns) == ["gamma", "budget", "expected", "std"]
    assert long["gamma"].tolist() == [0.9, 0.9, 0.99, 0.99]  # the all-NaN group has no rows
    one = long[long["gamma"] == 0.9].reset_index(drop=True)
    pd.testing.assert_frame_equal(one.drop(columns="gamma"),
                                  expected_best([3.0, 1.0, 2.0], budgets=[1, 2]))
    with pytest.raises(ValueError, match="no column 'value'"):
        expected_best_by(runs, "gamma")
