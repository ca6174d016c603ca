"""The confirmation stage: the best settings re-run on paired seeds and scored once on the test split."""

from __future__ import annotations

import dataclasses
import time

import optuna
from optuna.distributions import IntDistribution

from sweeps.checks.sweeper import seeds_per
from sweeps.hydra.plan import StudyPlan
from sweeps.stages.summaries import summarize
from sweeps.stages.trials import TrialLoop
from sweeps.storages import shared_study
from sweeps.storages.lock import storage_lock
from sweeps.study import best_trials, confirmations, unfinished
from sweeps import records


def run(loop: TrialLoop, tuned: optuna.Study, plan: StudyPlan) -> int:
    """Re-run the best settings (per value of ``seeds.per``, by default of ``protocol.factor``)
    with ``seeds.n`` fresh seeds into ``<study>.seeds``; returns the trials run. With several
    tuning seeds a setting is picked by its mean over them (``study.best_trials``).

    Every setting gets the same seeds (train.seed + 1 ... + n): the same initialisations and
    minibatch orders across γ (common random numbers), so the report compares them paired.
    """
    o = loop.options
    study = loop.open(f"{plan.name}.seeds", plan.identity | {records.SEEDS_OF: plan.name})
    study.sampler, study.pruner = optuna.samplers.RandomSampler(), optuna.pruners.NopPruner()
    seeds = [plan.cfg.train.seed + 1 + i for i in range(o.seeds.n)]
    with storage_lock(study, shared_study.lock_name(study.study_name)):  # workers queue once
        done = confirmations(study)
        todo = [(t, s) for t in best_trials(tuned, seeds_per(o), o.seeds.top_k) for s in seeds
                if (t.number, s) not in done]
        for trial, seed in todo:
            study.enqueue_trial(trial.params | {"train.seed": seed},
                                user_attrs={records.SOURCE_TRIAL: trial.number})
        planned = unfinished(study)   # with what an interrupted invocation left queued
    space = plan.distributions | {"train.seed": IntDistribution(0, 2**31 - 1)}
    # settings chosen on validation, now scored once on the test split
    confirm = dataclasses.replace(plan, overrides=[*plan.overrides, "train.score_test=true"])
    loop.progress.start(study.study_name)
    loop.progress.plan(planned)
    started = time.monotonic()
    launched = loop.optimize(study, confirm, space, budget=planned, queued_only=True)
    loop.progress.plan(launched - planned)
    summarize(loop, study, plan, launched, time.monotonic() - started)
    return launched
