"""Build Optuna samplers and pruners from the sweeper's config (names, not classes, in YAML)."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from .adapters import optuna_private
from .errors import SweepError
from sweeps.hydra.search_space import grid

SAMPLERS = ("tpe", "random", "cmaes", "gp", "qmc", "grid")
PRUNERS = ("median", "hyperband", "none")


def make_sampler(
    cfg: dict[str, Any],
    distributions: dict[str, BaseDistribution],
    grid_points: int,
    n_existing: int,
    study_name: str = "",
) -> optuna.samplers.BaseSampler:
    """A sampler seeded so that each study draws its own points, and a resumed study new ones.

    The configured seed is mixed with the study's name (``study_seed``): studies of one family
    that share a space (four MNIST optimizers sweeping lr, γ, ε) would otherwise sample the same
    points in the same order. A study resumed with the same seed would replay the first invocation's random draws (TPE's
    startup trials, random search, CMA-ES's initial population) and repeat those points, so the
    seed is offset by the number of trials the study already has. The grid continues from the
    study's own counter (``EnumeratedGridSampler``); QMC reads which points the storage holds.
    """
    opts = dict(cfg)
    name = str(opts.pop("name", "tpe")).lower()
    seed = opts.pop("seed", None)
    seed = None if seed is None else study_seed(int(seed), study_name)
    if name not in SAMPLERS:
        raise SweepError(
            f"Unknown sampler {name!r} (hydra.sweeper.sampler.name). Allowed: {', '.join(SAMPLERS)}."
        )
    fresh_seed = None if seed is None else (seed + n_existing) % 2**32
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
        # the points' order is a seeded shuffle, so every worker must shuffle alike: seed 0 if unset
        return EnumeratedGridSampler(grid(distributions, grid_points),
                                     seed=study_seed(0, study_name) if seed is None else seed)
    except (TypeError, ValueError, ImportError) as e:
        raise SweepError(f"The {name} sampler cannot be built from {cfg}: {e}") from None


def study_seed(seed: int, study_name: str) -> int:
    """``seed`` mixed with the study's name: reproducible, and different for every study."""
    digest = hashlib.sha256(f"{seed}:{study_name}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


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


class EnumeratedGridSampler(optuna.samplers.GridSampler):
    """The grid handed out in order of grid id, from a counter the study keeps: O(1) a trial.

    Optuna's GridSampler finds unvisited points by reading every trial of the study, and its
    ``study.ask`` path costs a dozen storage round trips a trial. Here a study system attribute
    (``gammasweep:grid:<hash of the grid>``) holds the next grid id; ``take`` advances it and
    ``create`` stores each trial RUNNING with its params in one insert. The caller holds the
    study's storage lock (``shared_study``), so two workers never take the same id, and a re-run
    continues at the counter. A point is used once, as in Optuna: a failed trial's point is not
    handed out again; its retry (re-queued with its params) is. Grid ids index Optuna's own list
    of the points (``optuna_private.grid_points``: the product over sorted param names, in the
    seed's shuffled order), and each trial carries the system attributes Optuna's would, so
    trials are interchangeable with Optuna's; the first take on a study (begun by Optuna's
    sampler, or with another seed) skips the points its trials already hold.
    The sweeper asks through ``take``/``create``; ``study.ask`` still works (Optuna's path).
    """

    def __init__(self, search_space: dict[str, list], seed: int) -> None:
        super().__init__(search_space, seed=seed)   # Optuna shuffles the points with the seed
        spec = json.dumps([optuna_private.grid_space(self), seed], sort_keys=True, default=str)
        self.key = f"gammasweep:grid:{hashlib.sha1(spec.encode()).hexdigest()[:12]}"

    def _state(self, study: optuna.Study) -> dict[str, Any]:
        state = optuna_private.study_system_attrs(study).get(self.key)
        if state is None:   # first take on this study: skip the points its trials hold
            ids = {point: i for i, point in enumerate(optuna_private.grid_points(self))}
            names = optuna_private.grid_names(self)
            used = {ids.get(tuple(t.params.get(k) for k in names))
                    for t in study.get_trials(deepcopy=False) if t.state != TrialState.WAITING} - {None}
            nxt = next((i for i in range(self.n_points) if i not in used), self.n_points)
            state = {"next": nxt, "skip": sorted(i for i in used if i > nxt)}
        return state

    @property
    def n_points(self) -> int:
        """How many points the grid has."""
        return len(optuna_private.grid_points(self))

    def left(self, study: optuna.Study) -> int:
        """Grid points not handed out yet."""
        state = self._state(study)
        return max(self.n_points - state["next"] - len(state["skip"]), 0)

    def take(self, study: optuna.Study, n: int) -> list[int]:
        """The next ``n`` grid ids (fewer at the grid's end); call under the study's lock."""
        state = self._state(study)
        skip, ids, i = set(state["skip"]), [], state["next"]
        while len(ids) < n and i < self.n_points:
            if i not in skip:
                ids.append(i)
            i += 1
        state = {"next": i, "skip": sorted(j for j in skip if j >= i)}
        optuna_private.set_study_system_attr(study, self.key, state)
        return ids

    def create(self, study: optuna.Study, grid_id: int, distributions: dict[str, BaseDistribution],
               user_attrs: dict[str, Any]) -> optuna.Trial:
        """A RUNNING trial at grid point ``grid_id``, params set, in one storage write."""
        names = optuna_private.grid_names(self)
        template = FrozenTrial(
            number=-1, trial_id=-1, state=TrialState.RUNNING, value=None, values=None,
            datetime_start=datetime.datetime.now(), datetime_complete=None,
            params=dict(zip(names, optuna_private.grid_points(self)[grid_id])),
            distributions={k: distributions[k] for k in names}, user_attrs=user_attrs,
            system_attrs=optuna_private.grid_trial_attrs(self, grid_id), intermediate_values={},
        )
        return optuna_private.add_trial_from(study, template)

    def is_exhausted(self, study: optuna.Study) -> bool:
        """Every point handed out (the sweeper still runs re-queued retries)."""
        return self.left(study) == 0

    def after_trial(self, study, trial, state, values) -> None:
        """Nothing: Optuna's calls ``study.stop()``, legal only inside ``study.optimize``."""
