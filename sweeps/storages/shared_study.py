"""One worker's side of a study that several `python sweep.py -m` processes share.

Every worker loops: take the study's storage lock, fail the trials of dead workers, count the
budget, ask for a batch, release; run the batch; tell. Under the lock the count and the asks are
atomic, so ``max_trials`` is exact however many workers there are (``lock.storage_lock`` says how the
lock is taken on each database). A worker whose budget is held by others' RUNNING trials waits for
them while they show life, and retries those of workers that died (``wait_for_others``).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import socket
import time
import warnings
from typing import Any, Callable

import optuna
from optuna.trial import FrozenTrial

from .heartbeat import fail_stale, first_beat, in_flight, owner_of, running_elsewhere
from ..adapters import optuna_private
from ..samplers import EnumeratedGridSampler
from .lock import storage_lock
from .rdb import riding_out
from sweeps import records

log = logging.getLogger(__name__)


def lock_name(study_name: str) -> str:
    return f"study {study_name}"


@dataclasses.dataclass
class Batch:
    trials: list[optuna.Trial]   # asked for this worker; empty: nothing to run now
    stale: list[FrozenTrial]     # trials of dead workers that this call failed (and re-queued)
    left: int                    # the budget before asking
    exhausted: bool              # a grid or queue with nothing left to hand out or to finish


# Trials that started after this process did were drawn by a worker running now.
_STARTED = datetime.datetime.now()
WORKER = f"{socket.gethostname()}:{os.getpid()}"   # each trial's user attr records.WORKER
_WAIT_POLL = 1.0   # seconds between looks at other workers' trials while waiting for them


class SharedStudy:
    def __init__(self, study: optuna.Study, heartbeat_interval: int | None):
        """Create it right after the study's sampler is seeded (from the study's trial count)."""
        self.study, self.interval = study, heartbeat_interval
        self.known = len(study.get_trials(deepcopy=False))   # trials when we last asked
        self.mine: set[int] = set()
        self.waiting = False
        self.seen: frozenset | None = None   # others' RUNNING trials and heartbeats, as last seen
        self.since = 0.0                     # when they last changed (time.monotonic())

    def _others_drew(self, trials: list[FrozenTrial]) -> bool:
        """Did another worker draw since we seeded or last asked? Then our sampler's state may
        equal theirs (workers started together seed alike), and we would draw their points."""
        return len(trials) != self.known or any(
            t.number not in self.mine and t.datetime_start is not None and t.datetime_start >= _STARTED
            for t in trials
        )

    def ask(self, space: dict[str, Any], n_jobs: int, budget: Callable[[], int],
            queued_only: bool = False) -> Batch:
        """Up to ``n_jobs`` new trials, never more than ``budget()`` counted under the lock.
        With ``queued_only`` only enqueued trials are handed out, never a sampled one: the stages
        that enqueue their own trials (confirmation, lr_max, refinement) drain the queue."""
        study = self.study
        with storage_lock(study, lock_name(study.study_name)):
            stale = fail_stale(study, self.interval)
            left = budget()
            sampler = study.sampler
            grid = isinstance(sampler, EnumeratedGridSampler) and not queued_only
            waiting = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))
            queued = len(waiting)
            grid_left = sampler.left(study) if grid else 0
            # done once every point (or queued trial) was handed out and has finished (others may
            # still retry theirs)
            exhausted = ((grid or queued_only) and grid_left == 0 and queued == 0
                         and not running_elsewhere(study))
            trials = []
            if left > 0 and not exhausted:
                n = min(n_jobs, left, grid_left + queued if grid or queued_only else left)
                with optuna_private.popping_from(study, waiting):   # one read of the queue a batch
                    if queued_only:
                        trials = [self._ask(space) for _ in range(n)]
                    elif grid:   # re-queued trials first (Optuna's ask pops them), then the next points
                        trials = [self._ask(space) for _ in range(min(n, queued))]
                        trials += sampler.create(study, sampler.take(study, n - len(trials)), space,
                                                 {records.WORKER: WORKER})
                    else:
                        if self._others_drew(study.get_trials(deepcopy=False)):
                            sampler.reseed_rng()   # fresh entropy, as Optuna does for n_jobs > 1
                        trials = [self._ask(space) for _ in range(n)]
                first_beat(study, trials, self.interval)
                for t in trials:
                    if t.user_attrs.get(records.WORKER) != WORKER:
                        t.set_user_attr(records.WORKER, WORKER)
                self.mine |= {t.number for t in trials}
                self.known = len(study.get_trials(deepcopy=False))
                self.waiting, self.seen = False, None
        return Batch(trials, stale, left, exhausted)

    def _ask(self, space: dict[str, Any]) -> optuna.Trial:
        with warnings.catch_warnings():   # we beat for asked trials ourselves (heartbeat.py)
            warnings.filterwarnings("ignore", "Heartbeat of storage is supposed to be used with")
            return self.study.ask(space)

    def patience(self) -> float:
        """Seconds the others' trials may show no life before this worker stops waiting for them:
        twice the grace period plus a heartbeat interval. A dead worker's trial and a trial lost
        while being asked are both failed within a grace period (heartbeat.fail_stale), so what
        shows no life for longer is a trial this worker cannot fail."""
        return 2 * optuna_private.grace_period(self.study) + self.interval

    def wait_for_others(self, batch: Batch, own_left: int) -> bool:
        """Sleep a second and return True if the budget is held by other workers' RUNNING trials.

        If one of those workers died, its trial goes stale after ``grace_period``, is failed and
        re-queued, and its retry is ours to run. The wait lasts while those trials show life: a
        heartbeat, or one of them finishing or being failed, at least once every ``patience()``
        seconds; past that, one paragraph names them and their owners and the worker stops
        waiting. Without heartbeats a dead worker's trial would never go stale, so we do not wait.
        """
        if not self.interval or batch.exhausted or batch.left > 0 or own_left <= 0:
            return False
        flight = riding_out(lambda: in_flight(self.study), "looking at other workers' trials")
        if not flight:
            return False
        seen, now = frozenset((t.number, beat) for t, beat in flight), time.monotonic()
        if seen != self.seen:
            self.seen, self.since = seen, now
        elif now - self.since > self.patience():
            log.warning(self._stalled([t for t, _ in flight]))
            return False
        if not self.waiting:
            log.info("%s: the budget is reached with %d trial(s) running in other workers; waiting "
                     "for them (a dead worker's trial is retried here).", self.study.study_name, len(flight))
        self.waiting = True
        time.sleep(min(self.interval, _WAIT_POLL))
        return True

    def _stalled(self, trials: list[FrozenTrial]) -> str:
        listed = "; ".join(f"trial {t.number} ({owner_of(t)})" for t in trials)
        return (
            f"Stopped waiting for other workers' trials of study {self.study.study_name!r}, which hold the "
            f"rest of its budget (hydra.sweeper.max_trials): {listed}. None of them beat, finished or "
            f"was failed for {self.patience():.0f} s (twice grace_period, plus heartbeat_interval): their "
            "owners record no heartbeats (heartbeat_interval=null there), so this worker cannot tell "
            "whether they live and cannot fail them. A live worker records them when they finish; if "
            "theirs is gone, fail them by hand (optuna.load_study(...).tell(number, "
            "state=optuna.trial.TrialState.FAIL)) and run the same command again."
        )
