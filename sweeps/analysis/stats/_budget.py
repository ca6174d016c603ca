"""Expected best of B trials (Dodge et al., "Show your work", EMNLP 2019).

From a pool of n trial values, the best of B draws *with replacement* has, for a maximised metric
with the pool sorted ascending v_(1) ≤ … ≤ v_(n),

    P(max = v_(i)) = (i/n)^B − ((i − 1)/n)^B,
    E[max_B] = Σ_i v_(i) P(max = v_(i)),   Var[max_B] = Σ_i (v_(i) − E)² P(max = v_(i)).

A minimised metric is the mirror: min_B(v) = −max_B(−v). B = 1 gives the pool mean; as B → ∞ the
expectation tends to the pool's best. NaN values are dropped; an empty pool gives no rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._pairing import check_direction, sorted_configs

DEFAULT_BUDGETS = range(1, 65)


def _budgets(budgets) -> np.ndarray:
    given = list(budgets)
    b = np.asarray(given)
    if b.size == 0 or not np.issubdtype(b.dtype, np.integer) or (b < 1).any():
        raise ValueError(f"budgets must be positive ints, but got budgets={given!r}.")
    return b


def expected_best(values, budgets=DEFAULT_BUDGETS, direction: str = "minimize") -> pd.DataFrame:
    """Columns ``budget, expected, std``: the best of B draws from ``values``, for each B.

    >>> expected_best([3.0, 1.0, 2.0], budgets=[1, 2])
       budget  expected       std
    0       1  2.000000  0.816497
    1       2  1.555556  0.684935
    """
    sign = 1.0 if check_direction(direction) == "maximize" else -1.0
    b = _budgets(budgets)
    v = np.asarray(values, dtype=float)
    v = np.sort(sign * v[~np.isnan(v)])  # ascending in "goodness"
    if v.size == 0:
        return pd.DataFrame({"budget": pd.Series(dtype=int), "expected": pd.Series(dtype=float),
                             "std": pd.Series(dtype=float)})
    i = np.arange(1, v.size + 1) / v.size  # (n,)
    p = i[None, :] ** b[:, None] - (i - 1 / v.size)[None, :] ** b[:, None]  # (B, n)
    mean = p @ v
    var = np.einsum("bn,bn->b", p, (v[None, :] - mean[:, None]) ** 2)
    return pd.DataFrame({"budget": b.astype(int), "expected": sign * mean,
                         "std": np.sqrt(np.maximum(var, 0.0))})


def expected_best_by(runs: pd.DataFrame, group: str, value: str = "value",
                     budgets=DEFAULT_BUDGETS, direction: str = "minimize") -> pd.DataFrame:
    """``expected_best`` of each group's pool, stacked: columns ``group, budget, expected, std``."""
    for col in (group, value):
        if col not in runs.columns:
            raise ValueError(f"runs has no column {col!r}; its columns are {list(runs.columns)}.")
    b = _budgets(budgets)
    parts = []
    for key in sorted_configs(runs[group].dropna().unique()):
        curve = expected_best(runs.loc[runs[group] == key, value], b, direction)
        curve.insert(0, group, [key] * len(curve))
        parts.append(curve)
    if not parts:
        return pd.DataFrame(columns=[group, "budget", "expected", "std"])
    return pd.concat(parts, ignore_index=True)
