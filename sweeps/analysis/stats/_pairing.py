"""Checking a table of runs and pairing two of its configs by seed (common random numbers).

A run is one row ``(config, seed, value)``, with an optional boolean ``trained`` (False: the run
diverged or collapsed; its value is then not a loss and may be NaN). Two configs run with the
same seed share the initialisation and the batch order, so their per-seed difference

    d_s = value(a, s) − value(b, s)

cancels the seed's effect; only seeds present for both configs are paired, and only seeds on
which both runs trained enter a difference.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

COLUMNS = ("config", "seed", "value")
DIRECTIONS = ("minimize", "maximize")


def check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'minimize' or 'maximize', but got {direction=}.")
    return direction


def check_level(*, alpha: float) -> None:
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a float in (0, 1), but got {alpha=}.")


def check_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` reduced to ``config, seed, value, trained`` (all True when not given); errors name
    missing columns, duplicates and NaN values of trained runs."""
    if not isinstance(runs, pd.DataFrame):
        raise TypeError(f"runs must be a pandas DataFrame, but got {type(runs).__name__}.")
    missing = [c for c in COLUMNS if c not in runs.columns]
    if missing:
        raise ValueError(f"runs lacks columns {missing}; it needs {list(COLUMNS)}, "
                         f"but has {list(runs.columns)}.")
    trained = runs["trained"].astype(bool) if "trained" in runs.columns else True
    runs = runs[list(COLUMNS)].assign(trained=trained)
    dup = runs.duplicated(["config", "seed"], keep=False)
    if dup.any():
        pairs = sorted({(c, s) for c, s in runs.loc[dup, ["config", "seed"]].itertuples(index=False)},
                       key=repr)
        raise ValueError(f"runs has several rows for (config, seed) {pairs}; "
                         "each config may be run once per seed.")
    bad = runs["value"].isna() & runs["trained"]
    if bad.any():
        pairs = [(c, s) for c, s in runs.loc[bad, ["config", "seed"]].itertuples(index=False)]
        raise ValueError(f"runs has NaN values for (config, seed) {pairs}; mark runs that did not "
                         "train with trained=False, so that they are counted as failures.")
    return runs


def check_config(runs: pd.DataFrame, key, name: str) -> None:
    if key not in set(runs["config"]):
        raise ValueError(f"{name}={key!r} is not a config of runs; the configs are "
                         f"{sorted_configs(runs['config'].unique().tolist())}.")


def sorted_configs(configs) -> list:
    """Configs in their natural order, or by ``repr`` when they do not compare (mixed types)."""
    configs = list(configs)
    try:
        return sorted(configs)
    except TypeError:
        return sorted(configs, key=repr)


def by_config(runs: pd.DataFrame) -> dict:
    """{config: (seeds, values, trained)} as numpy arrays, from checked ``runs`` (one pass)."""
    return {key: (g["seed"].to_numpy(), g["value"].to_numpy(float), g["trained"].to_numpy(bool))
            for key, g in runs.groupby("config", sort=False)}


def common(by: dict, a, b) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_a, x_b, trained_a, trained_b)`` on the seeds run for both ``a`` and ``b``, by seed.

    ``by`` is ``by_config(runs)``.
    """
    (seeds_a, xa, ta), (seeds_b, xb, tb) = by[a], by[b]
    _, ia, ib = np.intersect1d(seeds_a, seeds_b, assume_unique=True, return_indices=True)
    return xa[ia], xb[ib], ta[ia], tb[ib]


def paired(by: dict, a, b) -> tuple[np.ndarray, np.ndarray]:
    """``(x_a, x_b)``: values of ``a`` and ``b`` on the common seeds where both runs trained."""
    xa, xb, ta, tb = common(by, a, b)
    both = ta & tb
    return xa[both], xb[both]


def all_equal(d: np.ndarray, scale: float = 0.0) -> bool:
    """True when the differences are one number up to rounding: max − min ≤ 64 ε · max(|d|, scale).

    ``scale`` is the size of the values subtracted (x − y loses ε · |x| of precision), so that
    x + c − x counts as constant; the t statistics are undefined for such differences.
    """
    if len(d) == 0:
        return False
    tol = 64 * np.finfo(float).eps * max(float(np.max(np.abs(d))), scale)
    return bool(np.ptp(d) <= tol)


def value_scale(x: np.ndarray, y: np.ndarray) -> float:
    """Largest |value| of two paired samples: the ``scale`` of their differences' rounding."""
    return float(max(np.max(np.abs(x), initial=0.0), np.max(np.abs(y), initial=0.0)))


def mean_or_nan(d: np.ndarray) -> float:
    return float(np.mean(d)) if len(d) else math.nan
