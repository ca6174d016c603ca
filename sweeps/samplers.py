"""Build Optuna samplers and pruners from the sweeper's config (names, not classes, in YAML)."""

from __future__ import annotations

from typing import Any

import optuna
from optuna.distributions import BaseDistribution

from .errors import SweepError
from .search_space import grid

SAMPLERS = ("tpe", "random", "cmaes", "gp", "qmc", "grid")
PRUNERS = ("median", "hyperband", "none")


def make_sampler(
    cfg: dict[str, Any],
    distributions: dict[str, BaseDistribution],
    grid_points: int,
    n_existing: int,
) -> optuna.samplers.BaseSampler:
    """A sampler seeded so that a resumed study draws new points.

    A study resumed with the same seed would replay the first invocation's random draws (TPE's
    startup trials, random search, CMA-ES's initial population) and repeat those points, so the
    seed is offset by the number of trials the study already has. Grid and QMC samplers continue
    by themselves: they read which points the storage already holds.
    """
    opts = dict(cfg)
    name = str(opts.pop("name", "tpe")).lower()
    seed = opts.pop("seed", None)
    if name not in SAMPLERS:
        raise SweepError(
            f"Unknown sampler {name!r} (hydra.sweeper.sampler.name). Allowed: {', '.join(SAMPLERS)}."
        )
    fresh_seed = None if seed is None else int(seed) + n_existing
    try:
        if name == "tpe":
            return optuna.samplers.TPESampler(seed=fresh_seed, **opts)
        if name == "random":
            return optuna.samplers.RandomSampler(seed=fresh_seed)
        if name == "cmaes":
            return optuna.samplers.CmaEsSampler(seed=fresh_seed, **opts)
        if name == "gp":
            return optuna.samplers.GPSampler(seed=fresh_seed, **opts)
        if name == "qmc":
            return optuna.samplers.QMCSampler(seed=seed, **_without(opts, "n_startup_trials"))
        return AskTellGridSampler(grid(distributions, grid_points), seed=seed)
    except (TypeError, ValueError, ImportError) as e:
        raise SweepError(f"The {name} sampler cannot be built from {cfg}: {e}") from None


def make_pruner(cfg: dict[str, Any]) -> optuna.pruners.BasePruner:
    opts = dict(cfg)
    name = str(opts.pop("name", "median")).lower()
    try:
        if name == "median":
            return optuna.pruners.MedianPruner(**opts)
        if name == "hyperband":
            return optuna.pruners.HyperbandPruner(**_without(opts, "n_startup_trials", "n_warmup_steps"))
        if name == "none":
            return optuna.pruners.NopPruner()
    except (TypeError, ValueError) as e:
        raise SweepError(f"The {name} pruner cannot be built from {cfg}: {e}") from None
    raise SweepError(
        f"Unknown pruner {name!r} (hydra.sweeper.pruner.name). Allowed: {', '.join(PRUNERS)}."
    )


def _without(opts: dict[str, Any], *keys: str) -> dict[str, Any]:
    """Drop the options of the default config that this sampler or pruner does not take."""
    return {k: v for k, v in opts.items() if k not in keys}


class AskTellGridSampler(optuna.samplers.GridSampler):
    """A grid sampler for ask/tell: the sweeper stops at ``is_exhausted``.

    Optuna's GridSampler calls ``study.stop()`` after the last grid point, which is only legal
    inside ``study.optimize``; with ask/tell it raises after the trial was stored.
    """

    def after_trial(self, study, trial, state, values) -> None:
        pass
