"""Heartbeats for trials in flight, so a killed worker's trials do not stay RUNNING forever.

Optuna records heartbeats only inside ``study.optimize``; the sweeper uses ask/tell, so it beats
for its own batch. When a worker dies, its trials stop beating; after ``grace_period`` any other
worker's ``fail_stale_trials`` marks them FAIL and the storage's callback (``storage.StaleTrials``)
re-queues them. A trial with no heartbeat at all is never stale, hence ``first_beat`` right
after ``ask``.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from typing import Iterator

import optuna
from optuna.trial import FrozenTrial, TrialState


@contextlib.contextmanager
def beating(study: optuna.Study, trials: list[optuna.Trial], interval: int | None) -> Iterator[None]:
    if not interval:
        yield
        return
    storage, stop = study._storage, threading.Event()

    def beat() -> None:
        while True:
            for t in trials:
                with contextlib.suppress(Exception):   # a missed beat is retried next interval
                    storage.record_heartbeat(t._trial_id)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=beat, name="gammasweep-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def first_beat(study: optuna.Study, trials: list[optuna.Trial], interval: int | None) -> None:
    """Beat once for freshly asked trials, so that they can go stale even if we die right now."""
    if interval:
        for t in trials:
            study._storage.record_heartbeat(t._trial_id)


def fail_stale(study: optuna.Study, interval: int | None) -> list[FrozenTrial]:
    """Fail (and, with ``retry_failed_trials``, re-queue) the trials of workers that stopped beating.

    Returns the trials this call failed, as they were when their worker stopped.
    """
    if not interval:
        return []
    with warnings.catch_warnings():   # "experimental" since Optuna 2.9
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    callback = study._storage.get_heartbeat_stale_trial_callback()
    return callback.drain() if hasattr(callback, "drain") else []


def running_elsewhere(study: optuna.Study) -> int:
    """How many trials of the study are RUNNING (after this worker told all of its own)."""
    return len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))


def finished_elsewhere(study: optuna.Study, trial: optuna.Trial) -> bool:
    """True if another worker already finished ``trial``: it found it stale, failed and re-queued it."""
    return study._storage.get_trial(trial._trial_id).state.is_finished()
