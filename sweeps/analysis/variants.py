"""The unit every γ analysis works on: one tuning study under one set of conventions.

Each analysis groups a variant's trials by the factor its protocol compares (``factor``: γ unless
``hydra.sweeper.protocol.factor`` names another), read from ``column`` and named ``label``; its
tables name that column the same way (``gamma``, ``beta1`` ...).

A study that sweeps a convention (``optimizer.initial_square_avg``, ``optimizer.gamma_schedule``,
``optimizer.eps_in_sqrt``) measures different algorithms in one study; its γ curves are drawn per
convention, never pooled across them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd

from sweeps import factor as factors

from .direction import sole_direction

CONVENTIONS = ("initial_square_avg", "eps_in_sqrt", "bias_correction", "gamma_schedule")
_SHORT = {"initial_square_avg": "s₀", "eps_in_sqrt": "ε in √", "bias_correction": "bias-corrected",
          "gamma_schedule": "schedule"}


@dataclass
class Variant:
    name: str              # the study label, plus the conventions it splits on
    study: str
    direction: str
    metric: str
    tuning: pd.DataFrame   # finished trials of the tuning study under these conventions
    seeds: pd.DataFrame    # finished trials of its seed study under these conventions
    lr_max: pd.DataFrame = field(default_factory=pd.DataFrame)  # its lr_max bisection trials
    factor: str = factors.GAMMA   # the key its protocol compares (hydra.sweeper.protocol.factor)

    @property
    def column(self) -> str:
        """The factor's column in ``tuning`` and ``seeds`` (``gamma``, ``beta1`` ...)."""
        return factors.column(self.factor)

    @property
    def label(self) -> str:
        """The factor's name in the report (γ, β1, μ ...)."""
        return factors.label(self.factor)

    @property
    def scale(self) -> str:
        """How the factor's values are spaced (``sweeps.factor.scale``: memory, log, linear)."""
        return factors.scale(self.factor)

    @property
    def deterministic(self) -> bool:
        """Whether every seed gives the same run, so paired seeds have nothing to test."""
        return deterministic(self.tuning)


# Problems with a fixed start and exact gradients: the seed changes nothing (models/problems.py).
SEEDLESS = ("quadratic", "rotated_quadratic", "linear_regression")


def deterministic(rows: pd.DataFrame) -> bool:
    """True for trials of a seedless problem, or of Reddi's online (not stochastic) problem."""
    if rows.empty or "model" not in rows:
        return False
    model = rows["model"].iloc[0]
    if model == "reddi":
        stochastic = rows["stochastic"].iloc[0] if "stochastic" in rows else False
        return str(stochastic).lower() != "true"
    return model in SEEDLESS


def gamma_variants(trials: pd.DataFrame) -> list[Variant]:
    """Every (tuning study, conventions) whose COMPLETE trials have at least two values of the
    factor its protocol compares (γ unless ``hydra.sweeper.protocol.factor`` says otherwise)."""
    out = []
    tuning = trials[trials["role"] == "tuning"]
    for study, rows in tuning.groupby("study", sort=True):
        key = _factor(rows)
        column = factors.column(key)
        if column not in rows or rows[rows["state"] == "COMPLETE"][column].dropna().nunique() < 2:
            continue
        seeds = trials[(trials["role"] == "seeds") & (trials["tuning_study"] == study)]
        bisection = trials[(trials["role"] == "lr_max") & (trials["tuning_study"] == study)]
        out += [dataclasses.replace(v, factor=key) for v in split(rows, seeds, bisection)]
    return out


def _factor(rows: pd.DataFrame) -> str:
    """The study's declared factor (``analysis.load``'s ``factor`` column), γ when it has none."""
    found = rows["factor"].dropna() if "factor" in rows else pd.Series(dtype=object)
    return found.iloc[0] if len(found) else factors.GAMMA


def split(rows: pd.DataFrame, seeds: pd.DataFrame, bisection: pd.DataFrame | None = None) -> list[Variant]:
    """One variant per combination of the conventions that vary within ``rows``."""
    bisection = pd.DataFrame() if bisection is None else bisection
    varying = [c for c in CONVENTIONS if c in rows and rows[c].astype(str).nunique() > 1]
    first = rows.iloc[0]
    if not varying:
        return [Variant(first["label"], first["study"], sole_direction(rows), first["metric"], rows, seeds,
                        bisection)]
    out = []
    for values, part in rows.groupby(varying, sort=True, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        mask = pd.Series(True, index=seeds.index)
        bmask = pd.Series(True, index=bisection.index)
        for c, v in zip(varying, values):
            mask &= seeds[c].astype(str) == str(v)
            if len(bisection):
                bmask &= bisection[c].astype(str) == str(v)
        tag = ", ".join(f"{_SHORT[c]}={v}" for c, v in zip(varying, values))
        out.append(Variant(f"{first['label']} ({tag})", first["study"], sole_direction(part),
                           first["metric"], part, seeds[mask], bisection[bmask] if len(bisection) else bisection))
    return out
