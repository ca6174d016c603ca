"""The tuning stage: the study's sampler and pruner propose trials until this invocation's budget."""

from __future__ import annotations

import time
from typing import Any

from omegaconf import OmegaConf

from sweeps.hydra.plan import StudyPlan
from sweeps.launch.population import Population, population_size
from sweeps.samplers import make_pruner, make_sampler
from sweeps.stages.summaries import summarize
from sweeps.stages.trials import TrialLoop
from sweeps.storages.rdb import riding_out
from sweeps.study import remaining_budget
from sweeps.tracking import curve_worker
from sweeps import records


def run(loop: TrialLoop, plan: StudyPlan) -> tuple[Any, Population, dict[str, Any]]:
    """Tune ``plan``'s study; returns the study, its jobs' population and its summary."""
    o = loop.options
    study = riding_out(lambda: loop.open(plan.name, plan.identity), "opening the study")
    protocol = OmegaConf.to_container(o.protocol)
    riding_out(lambda: study.set_user_attr(records.PROTOCOL, protocol), "recording the protocol")  # the latest
    n_trials = riding_out(lambda: len(study.trials), "counting trials")
    study.sampler = make_sampler(dict(o.sampler), plan.distributions, o.grid_points, n_trials, plan.name)
    study.pruner = make_pruner(dict(o.pruner))
    k = population_size(o.population, o.sampler.name, plan.cfg)
    if plan.cfg.mlflow.log_curve_png:
        curve_worker.warm_up()
    loop.progress.start(plan.name)
    planned = remaining_budget(study, 0, o.n_trials, o.max_trials)
    loop.progress.plan(planned - o.n_trials)
    started = time.monotonic()
    launched = loop.optimize(study, plan, plan.distributions, population=k)
    loop.progress.plan(launched - planned)
    return study, k, summarize(loop, study, plan, launched, time.monotonic() - started)
