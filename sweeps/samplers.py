"""Build Optuna samplers and pruners from the sweeper's config (names, not classes, in YAML), and
check that config against the constructors up front (``check_sampler``, ``check_pruner``)."""

from __future__ import annotations

import datetime
import hashlib
import inspect
import json
import math
import warnings
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from sweeps.hydra.search_space import grid

from .adapters import optuna_private
from .errors import SweepError

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
    name, seed, opts = sampler_options(cfg)
    seed = None if seed is None else study_seed(seed, study_name)
    fresh_seed = None if seed is None else (seed + n_existing) % 2**32
    if name == "grid":   # the points' order is a seeded shuffle, so every worker must shuffle alike
        return EnumeratedGridSampler(grid(distributions, grid_points),
                                     seed=study_seed(0, study_name) if seed is None else seed)
    return _SAMPLERS[name](seed=seed if name == "qmc" else fresh_seed, **opts)


def study_seed(seed: int, study_name: str) -> int:
    """``seed`` mixed with the study's name: reproducible, and different for every study."""
    digest = hashlib.sha256(f"{seed}:{study_name}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def make_pruner(cfg: dict[str, Any]) -> optuna.pruners.BasePruner:
    name, opts = pruner_options(cfg)
    return _PRUNERS[name](**opts)


_SAMPLERS = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler,
             "cmaes": optuna.samplers.CmaEsSampler, "gp": optuna.samplers.GPSampler,
             "qmc": optuna.samplers.QMCSampler, "grid": optuna.samplers.GridSampler}
_PRUNERS = {"median": optuna.pruners.MedianPruner, "hyperband": optuna.pruners.HyperbandPruner,
            "none": optuna.pruners.NopPruner}
# Options of the default config (conf/hydra/sweeper/gammasweep.yaml) that not every sampler or
# pruner takes: dropped for those that do not.
_DEFAULTS = {"sampler": ("n_startup_trials",), "pruner": ("n_startup_trials", "n_warmup_steps")}
# Constructor arguments the sweeper sets itself.
_SET_HERE = ("self", "seed", "search_space")


def sampler_options(cfg) -> tuple[str, int | None, dict[str, Any]]:
    """``hydra.sweeper.sampler`` checked: its name, seed and the options its constructor takes.

    Each option is checked against the sampler's constructor: its name, the type of its default
    (an integer option takes an integer >= 0, a real one a finite number, a flag true or false),
    and then the constructor itself, built once with them, refuses what it refuses.
    """
    opts = dict(cfg)
    name = _lower(opts.pop("name", "tpe"))
    if name not in SAMPLERS:
        raise SweepError(f"Unknown sampler {name!r} (hydra.sweeper.sampler.name); allowed: "
                         f"{', '.join(SAMPLERS)}.")
    seed = opts.pop("seed", None)
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise SweepError(f"hydra.sweeper.sampler.seed={seed!r} is not allowed; it must be null (a fresh "
                         "seed each run) or an integer >= 0.")
    opts = _checked("sampler", name, _SAMPLERS[name], opts)
    try:
        with warnings.catch_warnings():   # QMC and GP are "experimental" in Optuna
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            _build(name, seed, opts)
    except (TypeError, ValueError, ImportError) as e:
        raise SweepError(f"hydra.sweeper.sampler={dict(cfg)} is not allowed: the {name} sampler "
                         f"refuses it ({e}).") from None
    return name, seed, opts


def _build(name: str, seed: int | None, opts: dict[str, Any]) -> None:
    """The sampler built once on a one-point space: what its constructor refuses, it raises."""
    if name == "grid":
        _SAMPLERS[name]({"x": [0.0]}, seed=seed, **opts)
    else:
        _SAMPLERS[name](seed=seed, **opts)


def pruner_options(cfg) -> tuple[str, dict[str, Any]]:
    """``hydra.sweeper.pruner`` checked as the sampler's options are (``sampler_options``)."""
    opts = dict(cfg)
    name = _lower(opts.pop("name", "median"))
    if name not in PRUNERS:
        raise SweepError(f"Unknown pruner {name!r} (hydra.sweeper.pruner.name); allowed: "
                         f"{', '.join(PRUNERS)}.")
    opts = _checked("pruner", name, _PRUNERS[name], opts)
    try:
        _PRUNERS[name](**opts)
    except (TypeError, ValueError) as e:
        raise SweepError(f"hydra.sweeper.pruner={dict(cfg)} is not allowed: the {name} pruner "
                         f"refuses it ({e}).") from None
    return name, opts


def check_sampler(cfg) -> None:
    """Refuse a bad ``hydra.sweeper.sampler`` before any storage is touched."""
    sampler_options(cfg)


def check_pruner(cfg) -> None:
    """Refuse a bad ``hydra.sweeper.pruner`` before any storage is touched."""
    pruner_options(cfg)


def _checked(kind: str, name: str, cls: type, opts: dict[str, Any]) -> dict[str, Any]:
    params = {k: p for k, p in inspect.signature(cls.__init__).parameters.items()
              if k not in _SET_HERE and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    opts = {k: v for k, v in opts.items() if k in params or k not in _DEFAULTS[kind]}
    unknown = sorted(set(opts) - set(params))
    if unknown:
        raise SweepError(
            f"hydra.sweeper.{kind}.{unknown[0]} is not an option of the {name} {kind} "
            f"({cls.__module__.split('.')[0]}.{kind}s.{cls.__name__}); its options are "
            f"{', '.join(params) or 'none'}.")
    for key, value in opts.items():
        kind_of = _kind(params[key])
        if value is None and kind_of and kind_of[1]:
            continue
        allowed = {"bool": "true or false", "int": "an integer >= 0", "float": "a finite number"}.get(
            kind_of[0] if kind_of else "")
        ok = {"bool": lambda v: isinstance(v, bool),
              "int": lambda v: type(v) is int and v >= 0,
              "float": lambda v: type(v) in (int, float) and math.isfinite(v)}
        if allowed and not ok[kind_of[0]](value):
            raise SweepError(f"hydra.sweeper.{kind}.{key}={value!r} is not allowed; the {name} {kind} "
                             f"takes {allowed}{' or null' if kind_of[1] else ''}.")
    return opts


def _kind(param: inspect.Parameter) -> tuple[str, bool] | None:
    """``(bool|int|float, takes None)`` from a constructor argument's default or its annotation
    (``int``, ``float | None``, ...); None for any other argument (the constructor checks it)."""
    default = param.default
    if default is not None and type(default) in (bool, int, float):
        return type(default).__name__, False
    annotation = str(param.annotation).replace("'", "").replace(" ", "")
    for name in ("bool", "int", "float"):
        if annotation in (name, f"{name}|None", f"None|{name}", f"Optional[{name}]"):
            return name, default is None
    return None


def _lower(name: Any) -> Any:
    return name.lower() if isinstance(name, str) else name


class EnumeratedGridSampler(optuna.samplers.GridSampler):
    """The grid handed out in order of grid id, from a counter the study keeps: O(1) a trial.

    Optuna's GridSampler finds unvisited points by reading every trial of the study, and its
    ``study.ask`` path costs a dozen storage round trips a trial. Here a study system attribute
    (``gammasweep:grid:<hash of the grid>``) holds the next grid id; ``take`` advances it and
    ``create`` stores a batch of trials RUNNING with their params in one transaction. The caller holds the
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

    def create(self, study: optuna.Study, grid_ids: list[int], distributions: dict[str, BaseDistribution],
               user_attrs: dict[str, Any]) -> list[optuna.Trial]:
        """RUNNING trials at grid points ``grid_ids``, params set, in one storage write."""
        names = optuna_private.grid_names(self)
        points = optuna_private.grid_points(self)
        templates = [FrozenTrial(
            number=-1, trial_id=-1, state=TrialState.RUNNING, value=None, values=None,
            datetime_start=datetime.datetime.now(), datetime_complete=None,
            params=dict(zip(names, points[grid_id])),
            distributions={k: distributions[k] for k in names}, user_attrs=user_attrs,
            system_attrs=optuna_private.grid_trial_attrs(self, grid_id), intermediate_values={},
        ) for grid_id in grid_ids]
        return optuna_private.add_trials_from(study, templates)

    def is_exhausted(self, study: optuna.Study) -> bool:
        """Every point handed out (the sweeper still runs re-queued retries)."""
        return self.left(study) == 0

    def after_trial(self, study, trial, state, values) -> None:
        """Nothing: Optuna's calls ``study.stop()``, legal only inside ``study.optimize``."""
