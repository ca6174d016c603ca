"""Better and best for a study that minimises (a loss) or maximises (an accuracy)."""

from __future__ import annotations

import math

import pandas as pd

DIRECTIONS = ("minimize", "maximize")


def check(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'minimize' or 'maximize', but got {direction=}.")
    return direction


def best_index(values: pd.Series, direction: str):
    """Index label of the best finite value, or None when there is none."""
    v = values.dropna()
    if v.empty:
        return None
    return v.idxmin() if check(direction) == "minimize" else v.idxmax()


def best_value(values: pd.Series, direction: str) -> float:
    i = best_index(values, direction)
    return math.nan if i is None else float(values[i])


def gain(better: float, worse: float, direction: str) -> float:
    """How much ``better`` improves on ``worse``: positive when it really is better."""
    return worse - better if check(direction) == "minimize" else better - worse


def sole_direction(trials: pd.DataFrame) -> str:
    """The direction shared by ``trials``; mixing directions in one comparison is an error."""
    found = set(trials["direction"].dropna())
    if len(found) != 1:
        raise ValueError(f"Expected trials of one direction, but got directions {sorted(found)}.")
    return check(found.pop())
