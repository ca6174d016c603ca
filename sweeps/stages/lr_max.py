"""lr_max(γ): the largest learning rate at which a run still trains, found by bisection.

For each value of the ``per`` parameters (γ), the bracket [lo, hi) over lr is read from the
finished trials that share the setting of that γ's best trial in everything but lr:

    lo = the largest lr whose run trained (models/outcome.py)
    hi = the smallest lr above lo whose run did not (diverged or collapsed)

A bracket with both ends is bisected in log space (lr = √(lo·hi)) until hi/lo ≤ 10^resolution
or the rounds run out; a γ without a trained run (lr_max below the grid) or without a failed
run above its trained ones (lr_max above the grid) is censored and not bisected. The brackets
are recomputed from the storage each round, so an interrupted search resumes where it stopped
and workers that share the study agree on the next lr.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import optuna
from optuna.trial import TrialState

from sweeps import records
from sweeps.hydra.plan import StudyPlan
from sweeps.launch.population import Population
from sweeps.stages.summaries import summarize
from sweeps.stages.trials import TrialLoop
from sweeps.storages import shared_study
from sweeps.storages.lock import storage_lock
from sweeps.study import planned_params, unfinished

LR = "optimizer.lr"


@dataclass(frozen=True)
class Bracket:
    key: tuple                 # the ``per`` values (e.g. (γ,))
    params: dict               # the setting bisected: the best trial's params, lr aside
    lo: float | None           # largest lr that trained; None: no run trained (censored below)
    hi: float | None           # smallest lr above lo that did not; None: censored above

    def next_lr(self, resolution: float) -> float | None:
        """The lr to try next, or None when the bracket is closed or censored."""
        if self.lo is None or self.hi is None or math.log10(self.hi / self.lo) <= resolution:
            return None
        return math.sqrt(self.lo * self.hi)


def brackets(trials: list[optuna.trial.FrozenTrial], per: list[str], direction: str) -> list[Bracket]:
    """One bracket per value of ``per`` among the COMPLETE ``trials`` (tuning and bisection)."""
    done = [t for t in trials if t.state == TrialState.COMPLETE and LR in t.params]
    groups: dict[tuple, list] = {}
    for t in done:
        groups.setdefault(tuple(t.params.get(k) for k in per), []).append(t)
    sign = 1 if direction == "minimize" else -1
    out = []
    for key, ts in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0]))):
        trained = [t for t in ts if records.outcome(t) == "trained"]
        anchor = min(trained or ts, key=lambda t: sign * t.value)
        rest = {k: v for k, v in anchor.params.items() if k != LR}
        same = [t for t in ts if {k: v for k, v in t.params.items() if k != LR} == rest]
        ok = [t.params[LR] for t in same if records.outcome(t) == "trained"]
        lo = max(ok) if ok else None
        bad = [t.params[LR] for t in same if records.outcome(t) != "trained" and (lo is None or t.params[LR] > lo)]
        out.append(Bracket(key, rest, lo, min(bad) if bad else None))
    return out


def run(loop: TrialLoop, tuned: optuna.Study, plan: StudyPlan, k: Population) -> int:
    """The stage: bisect lr_max(γ) between the tuning grid's last trained and first failed lr,
    one round at a time, into ``<study>.lr_max``; returns the trials run."""
    o, lm = loop.options, loop.options.lr_max
    study = loop.open(f"{plan.name}.lr_max", plan.identity | {records.LR_MAX_OF: plan.name})
    study.sampler, study.pruner = optuna.samplers.RandomSampler(), optuna.pruners.NopPruner()
    per = [key for key in lm.per if key in plan.distributions]
    loop.progress.start(study.study_name)
    started, total = time.monotonic(), 0
    for _ in range(int(lm.rounds)):
        with storage_lock(study, shared_study.lock_name(study.study_name)):  # workers agree
            busy = {tuple(planned_params(t).get(key) for key in per) for t in study.get_trials(
                deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING))}
            trials = tuned.get_trials(deepcopy=False) + study.get_trials(deepcopy=False)
            for b in brackets(trials, per, o.direction):
                lr = b.next_lr(float(lm.resolution))
                if lr is not None and b.key not in busy:
                    study.enqueue_trial(b.params | {LR: lr})
            todo = unfinished(study)   # with what an interrupted invocation left queued
        if not todo:
            break
        loop.progress.plan(todo)
        launched = loop.optimize(study, plan, plan.distributions, budget=todo, population=k, queued_only=True)
        loop.progress.plan(launched - todo)
        summarize(loop, study, plan, launched, time.monotonic() - started)
        total += launched
    return total
