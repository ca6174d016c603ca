"""Before any trial runs: compose each study's config, narrow its space, validate it, fingerprint it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf
from optuna.distributions import BaseDistribution, CategoricalDistribution

from sweeps.jobs.builders import build_data, build_model, build_optimizer, check_pairing, model_options
from sweeps.checks import (check_batch_size, check_derived_name, check_experiment_name, check_limits,
                          check_metric, check_training)
from sweeps.checks.sweeper import SEED_STRIDE
from sweeps.errors import SweepError
from sweeps.hydra.search_space import SearchSpace, to_json
from sweeps.study import study_name

_ABSENT = object()
# Settings that change what a trial measures; a study refuses to mix trials that differ in them.
_MEASURE = ("steps", "batch_size", "dtype", "divergence_factor")


@dataclass
class StudyPlan:
    name: str
    overrides: list[str]                       # the cell's group choices and the fixed values
    distributions: dict[str, BaseDistribution]  # the part of the space this optimizer has
    identity: dict[str, Any]
    cfg: DictConfig                             # the composed job config (without trial values)


def make_plans(space: SearchSpace, family: str, compose, group_options) -> list[StudyPlan]:
    """One plan per cell; ``compose(overrides)`` returns the job config for those overrides.

    A swept key that a cell's config lacks (sgd has no gamma) is left out of that cell's study;
    a key that no option of its group has at all is a typo and an error.
    """
    plans = [_plan(cell, space, family, compose) for cell in space.cells()]
    used = {k for p in plans for k in p.distributions}
    unknown = sorted(k for k in set(space.distributions) - used if not key_exists(k, compose, group_options))
    if unknown:
        raise SweepError(
            f"The search space names {', '.join(unknown)}, which no swept config has. Check the "
            "spelling (keys look like optimizer.lr, optimizer.gamma, optimizer.eps, train.steps)."
        )
    return plans


def key_exists(key: str, compose, group_options) -> bool:
    """Does some option of the key's config group (``optimizer`` for optimizer.gamma) have ``key``?"""
    group = key.split(".", 1)[0]
    return any(
        OmegaConf.select(compose([f"{group}={option}"]), key, default=_ABSENT) is not _ABSENT
        for option in group_options(group)
    )


def _plan(cell: dict[str, str], space: SearchSpace, family: str, compose) -> StudyPlan:
    overrides = [f"{k}={v}" for k, v in cell.items()] + [f"{k}={v}" for k, v in space.fixed.items()]
    cfg = compose(overrides)
    dists = {
        k: d for k, d in space.distributions.items()
        if OmegaConf.select(cfg, k, default=_ABSENT) is not _ABSENT
    }
    groups = {"model": cfg.model.name, "data": cfg.data.name, "optimizer": cfg.optimizer.name}
    groups |= {k: v for k, v in cell.items() if k not in groups}
    name = study_name(family, groups)
    check_derived_name(name, groups)   # it names folders and an MLflow run
    data = _validate(cfg, dists)
    optimizer = OmegaConf.to_container(cfg.optimizer, resolve=True)
    identity = {
        **groups,
        "data_fingerprint": data.fingerprint if data is not None else "none",
        # lr_warmup = 0 is every optimizer's plain update: not a setting that sets a study apart
        "optimizer_settings": {k: v for k, v in optimizer.items() if f"optimizer.{k}" not in dists
                               and not (k == "lr_warmup" and v == 0)},
        "train": {k: cfg.train[k] for k in _MEASURE},
        "optimized_metric": cfg.optimized_metric,
        "search_space": to_json(dists),
    }
    options = {k: v for k, v in model_options(cfg).items() if v is not None}
    if options:  # unset (null) options leave the identity as it was before models had options
        identity["model_options"] = options
    return StudyPlan(name, overrides, dists, identity, cfg)


SEED = "train.seed"


def tuning_seeds(base: int, k: int) -> list[int]:
    """The tuning seeds of ``seeds.tune`` = k: train.seed, then a stride apart, so that they never
    meet the confirmation seeds train.seed + 1 … + n (n < the stride, ``checks.sweeper``)."""
    return [base + SEED_STRIDE * i for i in range(k)]


def with_tuning_seeds(plan: StudyPlan, k: int) -> StudyPlan:
    """The plan with ``train.seed`` a grid axis of ``k`` tuning seeds (k = 1: the plan as it is).

    The seed axis is part of the search space, so a study tuned on one seed is refused by the
    identity check rather than mixed with trials on several (``study.open_study``)."""
    if k <= 1:
        return plan
    if SEED in plan.distributions:
        raise SweepError(f"The search space sweeps {SEED} and hydra.sweeper.seeds.tune={k} makes it a grid "
                         "axis of tuning seeds too; sweep one or the other.")
    dists = plan.distributions | {SEED: CategoricalDistribution(tuning_seeds(int(plan.cfg.train.seed), k))}
    return StudyPlan(plan.name, plan.overrides, dists, plan.identity | {"search_space": to_json(dists)}, plan.cfg)


def _validate(cfg: DictConfig, dists: dict[str, BaseDistribution]):
    """Build everything once, with every swept value at each end of its range."""
    check_training(cfg)
    check_metric(cfg)
    check_experiment_name(cfg.mlflow.experiment_name)   # split_by may make it from a value
    model, data = build_model(cfg), build_data(cfg)
    check_pairing(model, data, cfg)
    check_batch_size(cfg, data)
    build_optimizer(cfg)
    for key, d in dists.items():
        ends = d.choices if isinstance(d, CategoricalDistribution) else (d.low, d.high)
        for value in ends:
            probe = cfg.copy()
            OmegaConf.update(probe, key, value)
            try:
                build_optimizer(probe)
                if key.startswith("train."):   # a value no trial could finish with
                    check_limits(probe, data)
            except (ValueError, SweepError) as e:
                raise SweepError(f"The search space of {key} reaches {value!r}, which is invalid: {e}") from None
    return data
