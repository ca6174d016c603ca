"""``hydra.sweeper.*``: the sweeper's options, each against what it may be, before a study exists."""

from __future__ import annotations

import math
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from optuna.distributions import CategoricalDistribution

from sweeps.errors import SweepError
from sweeps.factor import GAMMA, declared
from sweeps.samplers import check_pruner, check_sampler

from ._values import is_finite, is_int, is_real, refuse
from .margin import check_margin
from .names import check_study_name

# The options of conf/hydra/sweeper/gammasweep.yaml (tests/unit/test_checks.py compares them).
SWEEPER_KEYS = ("study_name", "storage", "direction", "n_trials", "max_trials", "n_jobs", "population",
                "max_failure_rate", "grid_points", "heartbeat_interval", "grace_period",
                "retry_failed_trials", "split_by", "report", "fail_on_change", "seeds", "refine", "lr_max", "protocol", "sampler",
                "pruner", "params", "parts")
SCALES = ("study", "smoke")
SEED_STRIDE = 1000   # tuning seed i is train.seed + SEED_STRIDE·i (hydra.plan.tuning_seeds)
S = "hydra.sweeper."


def check_sweeper(o: DictConfig) -> None:
    """Every sweeper option (and the sampler's and pruner's, against their constructors)."""
    unknown = sorted(k for k in o if k not in SWEEPER_KEYS and not k.startswith("_"))
    if unknown:
        raise SweepError(f"Unknown sweeper option {', '.join(S + k for k in unknown)}; the options are "
                         f"{', '.join(SWEEPER_KEYS)} (conf/hydra/sweeper/gammasweep.yaml).")
    check_study_name(o.study_name)
    check_protocol(o.protocol)
    for key, low in (("n_trials", 1), ("n_jobs", 1), ("retry_failed_trials", 0)):
        if not is_int(o[key], low):
            raise refuse(S + key, o[key], f"an integer >= {low}")
    if o.max_trials is not None and not is_int(o.max_trials, 1):
        raise refuse(S + "max_trials", o.max_trials, "null (no total budget) or an integer >= 1")
    points = o.grid_points
    values = list(points.values()) if isinstance(points, DictConfig) else [points]
    if not values or not all(is_int(v, 1) for v in values):
        raise refuse(S + "grid_points", points, "an integer >= 1, or a mapping such as {lr: 7, default: 3}")
    if o.direction not in ("minimize", "maximize"):
        raise refuse(S + "direction", o.direction, "'minimize' or 'maximize'")
    if not is_real(o.max_failure_rate) or not 0 <= o.max_failure_rate <= 1:
        raise refuse(S + "max_failure_rate", o.max_failure_rate, "a fraction in [0, 1]")
    beat, grace = o.heartbeat_interval, o.grace_period
    if beat is not None:
        if not is_real(beat) or not 0 < beat < math.inf:
            raise refuse(S + "heartbeat_interval", beat, "null (no heartbeats) or a number of seconds > 0")
        if not is_real(grace) or not beat < grace < math.inf:
            raise refuse(S + "grace_period", grace, f"a number of seconds above heartbeat_interval={beat}")
    if o.population != "auto" and not is_int(o.population, 1):
        raise refuse(S + "population", o.population, "'auto' or an integer >= 1")
    for key in ("report", "fail_on_change"):
        if not isinstance(o[key], bool):
            raise refuse(S + key, o[key], "true or false")
    _keys(o.split_by, "split_by")
    if not is_int(o.seeds.n, 0):
        raise refuse(S + "seeds.n", o.seeds.n, "an integer >= 0")
    if not is_int(o.seeds.top_k, 1):
        raise refuse(S + "seeds.top_k", o.seeds.top_k, "an integer >= 1")
    check_tuning_seeds(o)
    if o.seeds.per is not None:   # null: per value of protocol.factor
        _keys(o.seeds.per, "seeds.per")
    if not is_int(o.refine.per_decade, 0):
        raise refuse(S + "refine.per_decade", o.refine.per_decade,
                     "an integer >= 0 (lr points a decade around each best lr; 0: no refinement)")
    _keys(o.refine.per, "refine.per")
    if not is_int(o.lr_max.rounds, 0):
        raise refuse(S + "lr_max.rounds", o.lr_max.rounds, "an integer >= 0 (0: no bisection)")
    if not is_finite(o.lr_max.resolution) or not o.lr_max.resolution > 0:
        raise refuse(S + "lr_max.resolution", o.lr_max.resolution,
                     "a finite number > 0 (the width, in decades of lr, at which the bisection stops)")
    _keys(o.lr_max.per, "lr_max.per")
    check_sampler(o.sampler)
    check_pruner(o.pruner)


def check_tuning_seeds(o: DictConfig) -> None:
    """``seeds.tune``: tuning seeds per setting, a grid axis (``hydra.plan.with_tuning_seeds``)."""
    tune = o.seeds.get("tune", 1)
    if not is_int(tune, 1):
        raise refuse(S + "seeds.tune", tune, "an integer >= 1 (tuning seeds per setting; 1: train.seed alone)")
    if tune > 1 and str(o.sampler.get("name", "tpe")).lower() != "grid":
        raise SweepError(
            f"{S}seeds.tune={tune} needs the grid sampler, but {S}sampler.name is {o.sampler.get('name')!r}: "
            "the seeds are a grid axis, so every setting is trained on each of them. Use "
            f"{S}sampler.name=grid, or seeds.tune=1 with the other samplers.")
    if tune > 1 and is_int(o.seeds.n, 0) and o.seeds.n >= SEED_STRIDE:
        raise refuse(S + "seeds.n", o.seeds.n, f"below {SEED_STRIDE} with seeds.tune > 1 (the tuning seeds are "
                     f"train.seed + {SEED_STRIDE}·i, kept apart from the confirmation seeds train.seed + 1 … + n)")


def _keys(value: Any, key: str) -> None:
    """A list of config keys such as [optimizer.gamma]."""
    if not isinstance(value, (list, ListConfig)) or not all(isinstance(k, str) and k for k in value):
        raise refuse(S + key, value if not isinstance(value, ListConfig) else list(value),
                     "a list of config keys, such as [optimizer.gamma]")


def check_protocol(p: DictConfig) -> None:
    """The report's declared test settings (``hydra.sweeper.protocol``)."""
    _check_factor(p)
    rules = {"alpha": (lambda v: 0 < v < 1, "a number in (0, 1)")}
    for key, (ok, allowed) in rules.items():
        value = p.get(key)
        if not is_real(value) or not ok(value):
            raise refuse(f"{S}protocol.{key}", value, allowed)
    margin = p.get("margin")
    check_margin(OmegaConf.to_container(margin) if isinstance(margin, DictConfig) else margin)
    if p.get("scale", "study") not in SCALES:
        raise refuse(S + "protocol.scale", p.get("scale"),
                     "study (the numbers answer the question) or smoke (they only exercise the pipeline)")
    target = p.get("target")
    values = target.values() if isinstance(target, DictConfig) else [] if target is None else [target]
    if any(not is_finite(v) for v in values):
        raise refuse(S + "protocol.target", target, "null, a number (the validation target "
                     "of steps-to-target) or {model: number}")


def _check_factor(p: DictConfig) -> None:
    """``factor`` a config key, ``reference`` a plain value; ``reference_gamma`` a γ, for γ only."""
    factor = p.get("factor")
    if factor is not None and not (isinstance(factor, str) and "." in factor):
        raise refuse(S + "protocol.factor", factor, "null (γ) or the config key of a swept choice "
                     "parameter, such as optimizer.gamma, optimizer.beta1 or optimizer.momentum")
    old = p.get("reference_gamma")
    if old is not None and (not is_real(old) or not 0 <= old <= 1):
        raise refuse(S + "protocol.reference_gamma", old, "a γ in [0, 1]")
    if old is not None and factor not in (None, GAMMA):
        raise SweepError(f"{S}protocol.reference_gamma={old!r} compares γ, but {S}protocol.factor is "
                         f"{factor!r}; declare that factor's reference value as {S}protocol.reference.")
    ref = p.get("reference")
    if old is not None and ref is not None and not _same(old, ref):
        raise SweepError(f"{S}protocol.reference={ref!r} and {S}protocol.reference_gamma={old!r} disagree; "
                         "declare the reference once, as protocol.reference.")
    if ref is not None and (isinstance(ref, (DictConfig, ListConfig)) or (is_real(ref) and not math.isfinite(ref))):
        raise refuse(S + "protocol.reference", ref, "null (γ = 0.99) or one value of the factor's choice")


def check_factor_swept(o: DictConfig, plans: list) -> None:
    """A part whose confirmation runs are per value of ``protocol.factor`` (it is in
    ``seeds.per``) compares those values: some study of the part must sweep the factor, each that
    does as a ``choice`` holding ``protocol.reference``. Studies without the factor (SGD has no γ)
    re-run their best setting with nothing to compare."""
    factor, reference = declared(o.protocol)
    if not o.seeds.n or factor not in seeds_per(o):
        return
    swept = [p for p in plans if factor in p.distributions]
    if not swept:
        names = ", ".join(p.name for p in plans)
        raise SweepError(
            f"{S}protocol.factor is {factor!r}, but no study of this part sweeps it ({names}): the "
            f"confirmation runs compare the factor's values, so set params.{factor}: choice(...) in the "
            "part, or declare the factor it sweeps.")
    for plan in swept:
        d = plan.distributions[factor]
        if not isinstance(d, CategoricalDistribution):
            raise SweepError(
                f"{S}protocol.factor is {factor!r}, but study {plan.name!r} sweeps it as an interval: the "
                "confirmation runs compare a few values of the factor, each with the reference, so sweep "
                f"it as params.{factor}: choice(...).")
        if not any(_same(reference, c) for c in d.choices):
            raise SweepError(
                f"{S}protocol.reference={reference!r} is not one of {factor}'s values in study {plan.name!r} "
                f"({', '.join(map(str, d.choices))}); every value is compared with the reference, so it "
                "must be swept too.")


def _same(a: Any, b: Any) -> bool:
    if is_real(a) and is_real(b):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-12)
    return str(a) == str(b)


def seeds_per(o: DictConfig) -> list[str]:
    """``seeds.per``, or ``[protocol.factor]`` when it is null."""
    return list(o.seeds.per) if o.seeds.per is not None else [declared(o.protocol)[0]]


def check_keys_exist(o: DictConfig, exists) -> None:
    """The config keys that ``split_by``, ``seeds.per`` and ``lr_max.per`` name exist (``exists(key)``:
    in a study's config, or in some option of the key's config group): a misspelt key would
    otherwise be ignored without a word."""
    named = [("split_by", o.split_by, True), ("seeds.per", seeds_per(o), o.seeds.n > 0),
             ("lr_max.per", o.lr_max.per, o.lr_max.rounds > 0)]
    for option, keys, used in named:
        for key in keys if used else []:
            if not exists(key):
                raise SweepError(
                    f"{S}{option} names {key!r}, which no config has. Check the spelling: keys look like "
                    "optimizer.gamma, optimizer.initial_square_avg, model.options.angle, train.batch_size."
                )
