"""A finer lr grid around each setting's best: more trials of the same tuning study, enqueued.

After the coarse grid, for every combination of the ``per`` params (γ, convention, ...) present in
the study, the anchor is its best trained trial among the coarse-grid lr values (the others
swept, e.g. ε, held at the anchor's values). Around the anchor's lr, within one coarse step either
side (to the neighbouring coarse values; one-sided at the grid's edge), the stage adds the lr
values 10^(j/per_decade), j integer — a grid aligned to whole decades, ``per_decade`` points a
decade — that the setting has not tried yet. They are trials of the tuning study itself, so the
pick of the best lr per γ, the confirmation runs and the lr window width all see them. A study
that tunes on several seeds (``train.seed`` a param) ranks settings by their mean over the seeds
and runs every refined lr on each of them.

Resumable: the anchor is chosen among the coarse values only and the points are aligned, so a
second invocation finds every point tried (done, running or queued) and adds nothing.
"""

from __future__ import annotations

import math
import time

import optuna
from optuna.trial import TrialState

from sweeps import records
from sweeps.hydra.plan import StudyPlan
from sweeps.hydra.search_space import grid
from sweeps.launch.population import Population
from sweeps.stages.summaries import summarize
from sweeps.stages.trials import TrialLoop
from sweeps.storages import shared_study
from sweeps.storages.lock import storage_lock
from sweeps.study import planned_params, unfinished

LR = "optimizer.lr"
SEED = "train.seed"   # a param of the study when it tunes on several seeds (hydra.sweeper.seeds.tune)
SAME = 1e-6   # relative: two lr values this close are one point (coarse grid values are rounded to
             # 12 decimals, 7e-9 relative at 1e-5; fine points are >= 7 % apart at 32 a decade)


def fine_points(lo: float, hi: float, per_decade: int) -> list[float]:
    """10^(j/per_decade) for every integer j with lo < 10^(j/per_decade) < hi, ascending."""
    a, b = math.log10(lo) * per_decade, math.log10(hi) * per_decade
    j0, j1 = math.floor(a + 1e-9) + 1, math.ceil(b - 1e-9) - 1
    return [float(f"{10 ** (j / per_decade):.12g}") for j in range(j0, j1 + 1)]


def _tried(lr: float, values: list[float]) -> bool:
    return any(abs(lr - v) <= SAME * v for v in values)


def _setting(params: dict) -> tuple:
    """What a trial sets apart from lr and its tuning seed."""
    return tuple(sorted((k, str(v)) for k, v in params.items() if k not in (LR, SEED)))


def to_add(trials: list[optuna.trial.FrozenTrial], per: list[str], coarse: list[float], per_decade: int,
           direction: str) -> list[dict]:
    """The params of every refinement trial still missing from ``trials`` (all states).

    With tuning seeds (``train.seed`` a param of the study), a setting is ranked by its mean over
    the seeds it trained on, one that failed on some seed behind those that trained on all, and
    every refined lr runs on every tuning seed of its group."""
    sign = 1 if direction == "minimize" else -1
    coarse = sorted(coarse)
    groups: dict[tuple, list] = {}
    for t in trials:
        params = planned_params(t)
        if LR in params:
            groups.setdefault(tuple(params.get(k) for k in per), []).append(t)
    out = []
    for key, ts in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0]))):
        settings: dict[tuple, list] = {}
        for t in ts:
            if t.state == TrialState.COMPLETE and _tried(t.params[LR], coarse):
                settings.setdefault((t.params[LR], _setting(t.params)), []).append(t)
        ranked = []
        for (lr, _), runs in settings.items():
            values = [sign * t.value for t in runs if records.outcome(t) == "trained"]
            if values:   # a setting that trained on no seed has no optimum to refine around
                ranked.append(((len(values) < len(runs), sum(values) / len(values), lr), runs[0]))
        if not ranked:
            continue
        anchor = min(ranked, key=lambda r: r[0])[1]
        rest = {k: v for k, v in anchor.params.items() if k not in (LR, SEED)}
        seeds = sorted({planned_params(t)[SEED] for t in ts if SEED in planned_params(t)}) or [None]
        best = anchor.params[LR]
        i = min(range(len(coarse)), key=lambda j: abs(math.log(coarse[j] / best)))
        lo, hi = coarse[max(i - 1, 0)], coarse[min(i + 1, len(coarse) - 1)]
        tried: dict = {}
        for t in ts:
            params = planned_params(t)
            if _setting(params) == _setting(rest):
                tried.setdefault(params.get(SEED), []).append(params[LR])
        out += [rest | {LR: lr} | ({} if seed is None else {SEED: seed})
                for lr in fine_points(lo, hi, per_decade) for seed in seeds if not _tried(lr, tried.get(seed, []))]
    return out


def run(loop: TrialLoop, study: optuna.Study, plan: StudyPlan, k: Population) -> int:
    """The stage: enqueue the missing refinement trials into the tuning study and run them;
    returns the trials run."""
    o = loop.options
    if LR not in plan.distributions:
        return 0
    coarse = grid({LR: plan.distributions[LR]}, o.grid_points)[LR]
    per = [key for key in o.refine.per if key in plan.distributions]
    with storage_lock(study, shared_study.lock_name(study.study_name)):   # workers enqueue once
        todo = to_add(study.get_trials(deepcopy=False), per, coarse, int(o.refine.per_decade), o.direction)
        for params in todo:
            study.enqueue_trial(params)
        planned = unfinished(study)   # with what an interrupted invocation left queued
    if not planned:
        return 0
    loop.progress.plan(planned)
    started = time.monotonic()
    launched = loop.optimize(study, plan, plan.distributions, budget=planned, population=k, queued_only=True)
    loop.progress.plan(launched - planned)
    summarize(loop, study, plan, launched, time.monotonic() - started)
    return launched
