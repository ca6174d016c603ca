"""Heartbeats for trials in flight, so a killed worker's trials do not stay RUNNING forever.

Optuna records heartbeats only inside ``study.optimize``; the sweeper uses ask/tell, so it beats
for its own batch. When a worker dies, its trials stop beating; after ``grace_period`` any other
worker's ``fail_stale`` marks them FAIL and the storage's callback (``rdb.StaleTrials``)
re-queues them. ``first_beat``, right after ``ask``, beats once and records the trial's owner:
host, PID and the process's start time. A worker that can see the owner is gone (same host and
PID namespace, no such PID, or a PID reused by a later process) fails and re-queues the trial at
once; the grace period is for owners it cannot see.

A RUNNING trial with neither an owner nor a heartbeat was lost while being asked for: its INSERT
committed while its worker saw an error (a database restart) and asked again. Optuna never finds a
trial that never beat stale, so ``fail_stale`` gives it its first heartbeat, from the database's
clock, and it goes stale a grace period later like any other; one whose ``datetime_start`` is
older than the grace period plus ``CLOCK_MARGIN`` is failed at once. Owners are recorded even
without heartbeats, so a worker running without them is never taken for a lost one.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import functools
import os
import threading
from typing import Iterator

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from . import writes
from sweeps import processes, records
from .rdb import retried_numbers
from ..adapters import optuna_private

# Seconds by which the clock of a host that asks for trials may lag the database's: an ownerless
# trial's datetime_start is that host's clock, its age the database's now minus it.
CLOCK_MARGIN = 300.0

# records.DEAD is set to the trial's own number before a dead worker's trial is failed: its retry
# is owed. Failing and re-queueing are two writes; a worker killed, or a database restarting,
# between them must not lose the retry, so every ``fail_stale`` also re-queues the owed retries that
# no trial answers yet. (A retry inherits its trial's system attrs: the number tells them apart.)


@contextlib.contextmanager
def beating(study: optuna.Study, trials: list[optuna.Trial], interval: int | None) -> Iterator[None]:
    if not interval:
        yield
        return
    storage, stop = optuna_private.storage_of(study), threading.Event()

    def beat() -> None:
        while True:
            for t in trials:
                with contextlib.suppress(Exception):   # a missed beat is retried next interval
                    storage.record_heartbeat(optuna_private.trial_id(t))
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
    """Record this process as the owner of freshly asked trials and, with heartbeats, beat once
    for them, so that they can go stale even if we die right now."""
    if trials:
        writes.first_beat(study, [optuna_private.trial_id(t) for t in trials], {records.OWNER: list(owner())},
                          beat=bool(interval))


@functools.cache
def owner() -> tuple[str, int, str | None]:
    """(host and PID namespace, PID, start time) of this process."""
    return processes.identity()


def _dead_owners(running: dict[int, FrozenTrial]) -> dict[int, str]:
    dead = {}
    for trial_id, t in running.items():
        found = t.system_attrs.get(records.OWNER)
        if found and processes.gone(*found):
            dead[trial_id] = (f"its worker (PID {found[1]} on this host) is gone; failed "
                              f"at once by PID {os.getpid()}")
    return dead


def _ownerless(study: optuna.Study, running: dict[int, FrozenTrial], grace: float) -> dict[int, str]:
    """The RUNNING trials with no owner and no heartbeat that are old enough to fail (trial id ->
    reason); the younger ones get their first heartbeat here, which starts their grace period on
    the database's clock."""
    why, storage = {}, optuna_private.storage_of(study)
    for row in optuna_private.running(study):
        trial = running.get(row.trial_id)
        if row.beat is not None or trial is None or trial.system_attrs.get(records.OWNER):
            continue
        if row.age is not None and row.age > grace + CLOCK_MARGIN:
            why[row.trial_id] = _lost(grace)
        else:
            storage.record_heartbeat(row.trial_id)
    return why


def _lost(grace: float) -> str:
    return ("no worker owns it and it never beat: the worker that asked for it lost the database while "
            f"asking and asked again; failed after the grace period ({grace} s)")


def fail_stale(study: optuna.Study, interval: int | None) -> list[FrozenTrial]:
    """Fail (and, with ``retry_failed_trials``, re-queue) the trials of workers that died: those
    whose owner is visibly gone, those with no heartbeat for the grace period, and those that
    no worker owns. Each gets the reason in its user attribute ``error``.

    Returns the trials this call failed, as they were when their worker stopped.
    """
    if not interval:
        return []
    running = {optuna_private.trial_id(t): t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}
    grace = optuna_private.grace_period(study)
    why = _dead_owners(running)
    why.update(_ownerless(study, running, grace))
    for trial_id in optuna_private.stale_ids(study):   # those Optuna's fail_stale_trials fails
        owned = trial_id not in running or running[trial_id].system_attrs.get(records.OWNER)
        why.setdefault(trial_id, f"its worker stopped: no heartbeat for the grace period ({grace} s)"
                       if owned else _lost(grace))
    return fail_dead(study, why)


def fail_dead(study: optuna.Study, why: dict[int, str]) -> list[FrozenTrial]:
    """Fail the RUNNING trials ``why`` names (trial id -> reason, into user attribute ``error``)
    and re-queue them, and any dead trial whose retry was lost, through the storage's stale-trial
    callback; returns those it failed or re-queued. Call it under the study's storage lock, so
    that two workers never re-queue one trial."""
    storage = optuna_private.storage_of(study)
    failed = set()
    for trial_id, reason in why.items():
        try:
            storage.set_trial_user_attr(trial_id, records.ERROR, reason)
            storage.set_trial_system_attr(trial_id, records.DEAD, storage.get_trial_number_from_id(trial_id))
            if storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
                failed.add(trial_id)
        except UpdateFinishedTrialError:   # its owner finished it, or another worker failed it
            pass
    callback = storage.get_heartbeat_stale_trial_callback()
    if callback is None:
        return []
    for trial in unretried(study):   # ours, and any whose retry a killed worker owed
        if optuna_private.trial_id(trial) in failed or callback.owes(trial):
            callback(study, copy.deepcopy(trial))
    return callback.drain()


def unretried(study: optuna.Study) -> list[FrozenTrial]:
    """Failed trials of dead workers that no trial retries (each of Optuna's retries carries the
    numbers of the trials it retries: ``rdb.retried_numbers``)."""
    dead = [t for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
            if t.system_attrs.get(records.DEAD) == t.number]
    if not dead:
        return []
    retried = set(retried_numbers(study.get_trials(deepcopy=False)))
    return [t for t in dead if t.number not in retried]


def running_elsewhere(study: optuna.Study) -> int:
    """How many trials of the study are RUNNING (after this worker told all of its own)."""
    return len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))


def in_flight(study: optuna.Study) -> list[tuple[FrozenTrial, datetime.datetime | None]]:
    """The study's RUNNING trials, each with its last heartbeat as stored (None: it never beat)."""
    beats = {row.trial_id: row.beat for row in optuna_private.running(study)}
    return [(t, beats.get(optuna_private.trial_id(t)))
            for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]


def owner_of(trial: FrozenTrial) -> str:
    """Who runs ``trial``, in words: its worker (host:PID), else its recorded owner, else none."""
    if trial.user_attrs.get(records.WORKER):
        return f"worker {trial.user_attrs[records.WORKER]}"
    found = trial.system_attrs.get(records.OWNER)
    return f"PID {found[1]} on {found[0]}" if found else "no owner recorded"


def finished_elsewhere(study: optuna.Study, trial: optuna.Trial) -> bool:
    """True if another worker already finished ``trial``: it found it stale, failed and re-queued it."""
    return optuna_private.stored_trial(study, trial).state.is_finished()
